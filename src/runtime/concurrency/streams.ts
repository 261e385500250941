// Buffer State, Stream State and Future State (CanonicalABI.md), plus lifting and lowering of
// stream and future handles. Copies are direct: the first side to arrive leaves its buffer
// pending and the second copies memory to memory (Uint8Array.set), never value by value, when
// the element type is a number (or absent).
import { trap, trapIf } from '../errors.js';
import { alignment, elemSize, isNumberType, typeEquals, type ValType } from '../types.js';
import { LiftLowerContext } from '../abi/context.js';
import { beginCopy, checkDepth, loadListFromValidRange, storeListIntoValidRange } from '../abi/values.js';
import { Waitable, type EventTuple } from './waitables.js';
import type { ComponentInstance, Store } from './store.js';

export const enum CopyResult { COMPLETED = 0, DROPPED = 1, CANCELLED = 2 }
export const BLOCKED = 0xffff_ffff;
export const MAX_BUFFER_LENGTH = 2 ** 28 - 1;

/** Elements in flight: a byte view (number or empty element types) or JS values. */
export type Chunk = { bytes: Uint8Array; values?: undefined; count: number } | { bytes?: undefined; values: ArrayLike<unknown>; count: number };

export interface Buffer {
  readonly t: ValType | null;
  progress: number;
  remain(): number;
  isZeroLength(): boolean;
}
export interface ReadableBuffer extends Buffer { read(n: number, asBytes: boolean): Chunk }
export interface WritableBuffer extends Buffer { write(c: Chunk): void; readonly wantsBytes: boolean }

/** A buffer in guest memory (BufferGuestImpl). */
export class GuestBuffer implements ReadableBuffer, WritableBuffer {
  progress = 0;
  private readonly size: number;
  readonly wantsBytes: boolean;
  constructor(readonly t: ValType | null, private readonly cx: LiftLowerContext, private ptr: number, readonly length: number) {
    trapIf(length > MAX_BUFFER_LENGTH, 'buffer too long');
    if (t) checkDepth(t);
    this.size = t ? elemSize(t) : 0;
    if (t && length > 0) {
      trapIf(ptr % alignment(t) !== 0, 'unaligned buffer pointer');
      trapIf(ptr + length * this.size > cx.bytes.length, 'buffer pointer/length out of bounds of memory');
    }
    this.wantsBytes = isNumberType(t); // number elements move as raw bytes
  }
  remain(): number { return this.length - this.progress; }
  isZeroLength(): boolean { return this.length === 0; }

  /** This buffer's context as seen from the host: a copy to or from a host buffer lifts and
   * lowers resources as host objects (as a host call's values are), not as reps. */
  private hostCx: LiftLowerContext | null = null;
  private cxFor(host: boolean): LiftLowerContext {
    if (!host || this.cx.host) return this.cx;
    return this.hostCx ??= new LiftLowerContext(this.cx.opts, this.cx.inst, this.cx.borrowScope, true);
  }

  read(n: number, asBytes: boolean, toHost = false): Chunk {
    let c: Chunk;
    if (this.size === 0) {
      c = { values: new Array<undefined>(n), count: n };
    } else if (asBytes && this.wantsBytes) {
      c = { bytes: this.cx.bytes.subarray(this.ptr, this.ptr + n * this.size), count: n };
    } else if (this.t) {
      beginCopy();
      c = { values: loadListFromValidRange(this.cxFor(toHost), this.ptr, n, this.t) as ArrayLike<unknown>, count: n };
    } else {
      c = { values: new Array<undefined>(n), count: n };
    }
    this.ptr += n * this.size;
    this.progress += n;
    return c;
  }

  write(c: Chunk, fromHost = false): void {
    if (this.size === 0) { /* no payload to move */ }
    else if (c.bytes) this.cx.bytes.set(c.bytes, this.ptr);
    else if (this.t) storeListIntoValidRange(this.cxFor(fromHost), c.values, this.ptr, this.t);
    this.ptr += c.count * this.size;
    this.progress += c.count;
  }
}

/** Copy n elements from src into dst, as bytes when both sides allow. */
export function copyElements(dst: WritableBuffer, src: ReadableBuffer, n: number): void {
  // A guest's buffer copying to or from the host's (host-ends.ts) moves resources as host objects.
  const srcGuest = src instanceof GuestBuffer;
  const dstGuest = dst instanceof GuestBuffer;
  const c = srcGuest ? src.read(n, dst.wantsBytes, !dstGuest) : src.read(n, dst.wantsBytes);
  if (dstGuest) dst.write(c, !srcGuest); else dst.write(c);
}

export type ReclaimBuffer = () => void;
export type OnCopy = (reclaim: ReclaimBuffer) => void;
export type OnCopyDone = (result: CopyResult) => void;

function sameInstanceTrap(inst: ComponentInstance | null, pending: ComponentInstance | null, t: ValType | null, what: string): void {
  if (inst !== null && inst === pending && !isNumberType(t)) trap(`cannot read from and write to intra-component ${what}`);
}

export class SharedStream {
  dropped = false;
  private pendingInst: ComponentInstance | null = null;
  private pendingBuffer: Buffer | null = null;
  private pendingOnCopy: OnCopy | null = null;
  private pendingOnCopyDone: OnCopyDone | null = null;
  /** The reclaim_buffer the pending side is handed after a copy (one per stream, not one per copy). */
  private readonly reclaim: ReclaimBuffer = () => this.resetPending();

  constructor(readonly t: ValType | null) {}

  private resetPending(): void { this.setPending(null, null, null, null); }
  private setPending(inst: ComponentInstance | null, b: Buffer | null, onCopy: OnCopy | null, done: OnCopyDone | null): void {
    this.pendingInst = inst;
    this.pendingBuffer = b;
    this.pendingOnCopy = onCopy;
    this.pendingOnCopyDone = done;
  }
  private resetAndNotifyPending(result: CopyResult): void {
    const done = this.pendingOnCopyDone!;
    this.resetPending();
    done(result);
  }

  hasPending(): boolean { return this.pendingBuffer !== null; }

  cancel(): void {
    if (this.pendingBuffer) this.resetAndNotifyPending(CopyResult.CANCELLED);
  }

  drop(): void {
    if (!this.dropped) {
      this.dropped = true;
      if (this.pendingBuffer) this.resetAndNotifyPending(CopyResult.DROPPED);
      const w = this.dropWatchers;
      this.dropWatchers = null;
      w?.forEach((f) => f());
    }
  }

  private dropWatchers: (() => void)[] | null = null;
  /** Call f once either end drops (at once if one has): a host end that waits on its own
   * source (a ReadableStream) learns that nobody will take what it brings. */
  whenDropped(f: () => void): void {
    if (this.dropped) f();
    else (this.dropWatchers ??= []).push(f);
  }

  read(inst: ComponentInstance | null, dst: WritableBuffer, onCopy: OnCopy, onCopyDone: OnCopyDone): void {
    if (this.dropped) { onCopyDone(CopyResult.DROPPED); return; }
    if (!this.pendingBuffer) { this.setPending(inst, dst, onCopy, onCopyDone); return; }
    sameInstanceTrap(inst, this.pendingInst, this.t, 'stream');
    const src = this.pendingBuffer as ReadableBuffer;
    if (src.remain() > 0) {
      if (dst.remain() > 0) {
        copyElements(dst, src, Math.min(dst.remain(), src.remain()));
        this.pendingOnCopy!(this.reclaim);
      }
      onCopyDone(CopyResult.COMPLETED);
    } else {
      this.resetAndNotifyPending(CopyResult.COMPLETED);
      this.setPending(inst, dst, onCopy, onCopyDone);
    }
  }

  write(inst: ComponentInstance | null, src: ReadableBuffer, onCopy: OnCopy, onCopyDone: OnCopyDone): void {
    if (this.dropped) { onCopyDone(CopyResult.DROPPED); return; }
    if (!this.pendingBuffer) { this.setPending(inst, src, onCopy, onCopyDone); return; }
    sameInstanceTrap(inst, this.pendingInst, this.t, 'stream');
    const dst = this.pendingBuffer as WritableBuffer;
    if (dst.remain() > 0) {
      if (src.remain() > 0) {
        copyElements(dst, src, Math.min(dst.remain(), src.remain()));
        this.pendingOnCopy!(this.reclaim);
      }
      onCopyDone(CopyResult.COMPLETED);
    } else if (src.isZeroLength() && dst.isZeroLength()) {
      onCopyDone(CopyResult.COMPLETED);
    } else {
      this.resetAndNotifyPending(CopyResult.COMPLETED);
      this.setPending(inst, src, onCopy, onCopyDone);
    }
  }
}

export class SharedFuture {
  dropped = false;
  private pendingInst: ComponentInstance | null = null;
  private pendingBuffer: Buffer | null = null;
  private pendingOnCopyDone: OnCopyDone | null = null;

  constructor(readonly t: ValType | null) {}

  private setPending(inst: ComponentInstance | null, b: Buffer | null, done: OnCopyDone | null): void {
    this.pendingInst = inst;
    this.pendingBuffer = b;
    this.pendingOnCopyDone = done;
  }
  private resetAndNotifyPending(result: CopyResult): void {
    const done = this.pendingOnCopyDone!;
    this.setPending(null, null, null);
    done(result);
  }

  cancel(): void {
    if (this.pendingBuffer) this.resetAndNotifyPending(CopyResult.CANCELLED);
  }

  drop(): void {
    if (!this.dropped) {
      this.dropped = true;
      if (this.pendingBuffer) this.resetAndNotifyPending(CopyResult.DROPPED);
      const w = this.dropWatchers;
      this.dropWatchers = null;
      w?.forEach((f) => f());
    }
  }

  private dropWatchers: (() => void)[] | null = null;
  /** Call f once either end drops (at once if one has): a host end that waits on its own
   * source (a ReadableStream) learns that nobody will take what it brings. */
  whenDropped(f: () => void): void {
    if (this.dropped) f();
    else (this.dropWatchers ??= []).push(f);
  }

  read(inst: ComponentInstance | null, dst: WritableBuffer, onCopyDone: OnCopyDone): void {
    if (!this.pendingBuffer) { this.setPending(inst, dst, onCopyDone); return; }
    sameInstanceTrap(inst, this.pendingInst, this.t, 'future');
    copyElements(dst, this.pendingBuffer as ReadableBuffer, 1);
    this.resetAndNotifyPending(CopyResult.COMPLETED);
    onCopyDone(CopyResult.COMPLETED);
  }

  write(inst: ComponentInstance | null, src: ReadableBuffer, onCopyDone: OnCopyDone): void {
    if (this.dropped) { onCopyDone(CopyResult.DROPPED); return; }
    if (!this.pendingBuffer) { this.setPending(inst, src, onCopyDone); return; }
    sameInstanceTrap(inst, this.pendingInst, this.t, 'future');
    copyElements(this.pendingBuffer as WritableBuffer, src, 1);
    this.resetAndNotifyPending(CopyResult.COMPLETED);
    onCopyDone(CopyResult.COMPLETED);
  }
}

export const enum CopyState { IDLE = 1, COPYING = 2, CANCELLING_COPY = 3, DONE = 4 }

export abstract class CopyEnd extends Waitable {
  state: CopyState = CopyState.IDLE;
  /** The guest buffer of the copy in progress, if any. */
  buffer: GuestBuffer | null = null;
  abstract readonly shared: SharedStream | SharedFuture;
  abstract readonly what: 'stream' | 'future';
  abstract readonly readable: boolean;

  copying(): boolean {
    return this.state === CopyState.COPYING || this.state === CopyState.CANCELLING_COPY;
  }

  override drop(): void {
    if (this.copying()) trap(this.readable ? `cannot remove busy ${this.what}` : `cannot drop busy ${this.what}`);
    this.shared.drop();
    super.drop();
  }
}

/** A stream's end, with the state of its copy in progress (stream.read or stream.write):
 * the spec's stream_event, on_copy and on_copy_done, as methods over fields rather than
 * closures made at each copy (a copy is on every stream's hot path; one end has one copy at a
 * time). */
export abstract class StreamEnd extends CopyEnd {
  abstract override readonly shared: SharedStream;
  private copyIndex = 0;
  private copyCode = 0;
  private copyResult: CopyResult = CopyResult.COMPLETED;
  private copyReclaim: ReclaimBuffer | null = null;

  /** A copy starts: the handle and event code its event reports. */
  beginCopy(index: number, code: number, buffer: GuestBuffer): void {
    this.copyIndex = index;
    this.copyCode = code;
    this.buffer = buffer;
    this.state = CopyState.COPYING;
  }

  readonly onCopy: OnCopy = (reclaim) => {
    this.copyResult = CopyResult.COMPLETED;
    this.copyReclaim = reclaim;
    this.setPendingEvent(this.streamEvent);
  };

  readonly onCopyDone: OnCopyDone = (result) => {
    this.copyResult = result;
    this.copyReclaim = null;
    this.setPendingEvent(this.streamEvent);
  };

  private readonly streamEvent = (): EventTuple => {
    const reclaim = this.copyReclaim;
    this.copyReclaim = null;
    reclaim?.();
    const result = this.copyResult;
    this.state = result === CopyResult.DROPPED ? CopyState.DONE : CopyState.IDLE;
    return [this.copyCode, this.copyIndex, result | (this.buffer!.progress << 4)];
  };
}

export class ReadableStreamEnd extends StreamEnd {
  readonly what = 'stream';
  readonly readable = true;
  constructor(store: Store, readonly shared: SharedStream) { super(store); }
}
export class WritableStreamEnd extends StreamEnd {
  readonly what = 'stream';
  readonly readable = false;
  constructor(store: Store, readonly shared: SharedStream) { super(store); }
}
export class ReadableFutureEnd extends CopyEnd {
  readonly what = 'future';
  readonly readable = true;
  constructor(store: Store, readonly shared: SharedFuture) { super(store); }
}
export class WritableFutureEnd extends CopyEnd {
  readonly what = 'future';
  readonly readable = false;
  constructor(store: Store, readonly shared: SharedFuture) { super(store); }
  override drop(): void {
    trapIf(this.state !== CopyState.DONE, 'cannot drop future write end without first writing a value');
    super.drop();
  }
}
