// The host's ends of streams and futures: what a host function receives when a guest passes it a
// stream or future, and what the host hands a guest. Bytes arrive as Uint8Array chunks (one copy
// out of guest memory, into a buffer the host owns and may transfer), never a value per byte.
import { isNumberType, elemSize, type ValType } from '../types.js';
import { TYPED } from '../abi/values.js';
import {
  CopyResult, SharedFuture, SharedStream, type Chunk, type ReadableBuffer, type WritableBuffer,
} from './streams.js';
import { holdUntilYield, releaseHold, type Store } from './store.js';

/** A host-side buffer that collects what a guest writes. Bytes go straight into memory the
 * host lends (`lend`, number types only), else into new memory. The loan is asked for at the
 * first copy: a read that never gets a byte (a socket's send stream its guest never writes to,
 * pending for the connection's life) holds no memory, and a new buffer is not made for it. */
class HostWritableBuffer implements WritableBuffer {
  progress = 0;
  readonly wantsBytes: boolean;
  private readonly parts: Chunk[] = [];
  private capacity: number;
  private into: Uint8Array | null = null;
  private lend: (() => Uint8Array) | null;
  constructor(readonly t: ValType | null, capacity: number, lend: (() => Uint8Array) | null = null) {
    this.wantsBytes = isNumberType(t);
    this.lend = this.wantsBytes && t ? lend : null;
    this.capacity = capacity;
  }
  /** Take the loan: the capacity is what fits in it. */
  private borrow(): void {
    const lend = this.lend!;
    this.lend = null;
    this.into = lend();
    this.capacity = Math.min(this.capacity, Math.floor(this.into.byteLength / elemSize(this.t!)));
  }
  remain(): number {
    if (this.lend) this.borrow();
    return this.capacity - this.progress;
  }
  isZeroLength(): boolean { return this.capacity === 0; }
  write(c: Chunk): void {
    if (this.lend) this.borrow();
    if (this.into && c.bytes) this.into.set(c.bytes, this.progress * elemSize(this.t!));
    // Guest memory is reused after the copy completes, so bytes are copied out here.
    else this.parts.push(c.bytes ? { bytes: c.bytes.slice(), count: c.count } : { values: Array.from(c.values), count: c.count });
    this.progress += c.count;
  }
  /** What was written: a typed array for number types, else an array of values. */
  take(): Uint8Array | ArrayLike<unknown> {
    const Typed = this.t ? TYPED[this.t.k] : undefined;
    // (A host writer may hand number elements as JS values: they stay values.)
    if (this.wantsBytes && this.t && (this.into || this.parts.every((p) => p.bytes))) {
      const bytes = this.into ? this.into.subarray(0, this.progress * elemSize(this.t))
        : this.parts.length === 1 ? this.parts[0]!.bytes! : concat(this.parts.map((p) => p.bytes!));
      return Typed === Uint8Array || !Typed ? bytes : new Typed(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / elemSize(this.t));
    }
    const out: unknown[] = [];
    for (const p of this.parts) {
      if (p.values) for (let i = 0; i < p.values.length; i++) out.push(p.values[i]);
      else for (let i = 0; i < p.count; i++) out.push(undefined);
    }
    return out;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A host-side buffer over a chunk the host writes into a stream. */
class HostReadableBuffer implements ReadableBuffer {
  progress = 0;
  readonly length: number;
  private readonly bytes: Uint8Array | null;
  constructor(readonly t: ValType | null, private readonly chunk: ArrayLike<unknown>) {
    this.length = chunk.length;
    this.bytes = ArrayBuffer.isView(chunk) && isNumberType(t)
      ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : null;
  }
  remain(): number { return this.length - this.progress; }
  isZeroLength(): boolean { return this.length === 0; }
  read(n: number, asBytes: boolean): Chunk {
    const start = this.progress;
    this.progress += n;
    if (asBytes && this.bytes && this.t) {
      const s = elemSize(this.t);
      return { bytes: this.bytes.subarray(start * s, (start + n) * s), count: n };
    }
    return { values: Array.prototype.slice.call(this.chunk, start, start + n), count: n };
  }
}

/** How StreamReader.pipe reads: the most elements a read takes, and where a read's bytes go. */
export interface PipeOptions {
  chunkSize?: number;
  /** Lends the buffer a read copies into, asked for at its first copy (the read takes at most what fits). */
  buffer?: () => Uint8Array;
  /** Let bulk writes that come in quick succession fill one read (fewer, larger chunks). */
  coalesce?: boolean;
  /** Where a coalescing pipe registers its flush while it holds bytes back, so that other
   * writers to the same sink (WASI 0.2 stdout beside 0.3's) can send them first and keep order. */
  holds?: Set<() => void>;
}

/** Coalescing: a write of at least BULK elements within BURST_MS of the previous one. Smaller
 * writes (lines of text) always go out at once. */
const BULK = 16384;
const BURST_MS = 1;

/** StreamReader.pipe's loop: one read pending at a time, each into the chunk being filled.
 *
 * Coalescing: a read normally ends at the first write that copies into it (a line of text goes
 * out at once). A bulk write (at least BULK elements) that comes hard on the heels of another,
 * or after a chunk that went out full, leaves the chunk open for the next write while it has
 * room: fewer, larger chunks cross to the page. An open chunk goes out when it is full, when a
 * small write follows, or once the guest stops running: it blocks, suspends in a host call, or
 * its call returns (store.ts yielded()). */
class Pipe {
  private chunk: HostWritableBuffer | null = null;
  /** Ends the pending read after a copy into it: set while one is open. */
  private reclaim: (() => void) | null = null;
  private pending = false;
  private lastCopy = -Infinity;
  private lastFull = false;
  private readonly chunkSize: number;

  constructor(
    private readonly reader: StreamReader, private readonly shared: SharedStream, private readonly store: Store,
    private readonly onChunk: (chunk: Uint8Array | ArrayLike<unknown>) => void | Promise<void>,
    private readonly options: PipeOptions, private readonly resolve: () => void, private readonly reject: (e: unknown) => void,
  ) {
    this.chunkSize = options.chunkSize ?? 65536;
  }

  /** Start a read into the open chunk (a new one if none is open). */
  read(): void {
    if (this.reader.ended) { this.finish(); return; }
    const chunk = this.chunk ??= new HostWritableBuffer(this.shared.t, this.chunkSize, this.options.buffer ?? null);
    let before = chunk.progress;
    this.pending = true;
    this.shared.read(null, chunk,
      (reclaim) => {
        const n = chunk.progress - before;
        before = chunk.progress;
        if (this.keepOpen(n)) { this.reclaim = reclaim; return; }
        this.pending = false;
        this.reclaim = null;
        reclaim();
        this.send(false);
      },
      (result) => {
        if (!this.pending) return; // ended by a flush
        this.pending = false;
        this.reclaim = null;
        if (result === CopyResult.DROPPED) this.reader.ended = true;
        const n = chunk.progress - before;
        if (chunk.progress === 0) { this.read(); return; }
        if (!this.reader.ended && chunk.remain() > 0 && this.keepOpen(n)) { this.read(); return; }
        this.send(this.reader.ended);
      });
    this.store.kick();
  }

  /** Whether a copy of n elements leaves the chunk open for more (and arranges its flush). */
  private keepOpen(n: number): boolean {
    if (!this.options.coalesce || !this.chunk) return false;
    const now = performance.now();
    const burst = now - this.lastCopy < BURST_MS || this.lastFull;
    this.lastCopy = now;
    if (!(burst && n >= BULK && this.chunk.remain() >= n)) return false;
    this.options.holds?.add(this.flushNow);
    holdUntilYield(this.flushNow);
    return true;
  }

  private readonly flushNow = (): void => { this.flush(); };
  /** The open chunk went out (or has nothing to send): nobody need flush it. */
  private unhold(): void {
    this.options.holds?.delete(this.flushNow);
    releaseHold(this.flushNow);
  }

  /** Send the open chunk now, ending its read first. */
  private flush(): void {
    this.unhold();
    if (!this.chunk || this.chunk.progress === 0 || this.reader.ended) return;
    if (this.pending) {
      this.pending = false;
      if (this.reclaim) { this.reclaim(); this.reclaim = null; }
      else this.shared.cancel(); // a read re-opened on the chunk and not yet reached
    }
    this.send(false);
  }

  private send(ended: boolean): void {
    this.unhold();
    const chunk = this.chunk!;
    this.chunk = null;
    this.lastFull = chunk.remain() < BULK;
    let r: void | Promise<void>;
    try {
      r = this.onChunk(chunk.take());
    } catch (e) {
      this.fail(e);
      return;
    }
    const next = () => (ended ? this.finish() : this.read());
    if (r instanceof Promise) r.then(next, (e: unknown) => this.fail(e));
    else next();
  }

  private finish(): void { this.resolve(); }
  private fail(e: unknown): void {
    this.pending = false; // the cancel below must not deliver the open chunk
    this.reader.cancel();
    this.reject(e);
  }
}

/** The host value each stream fromHostStream made was made from. */
const ORIGIN = new WeakMap<SharedStream, unknown>();

/** The host's reading end of a stream a guest writes (stdout, a returned stream<u8>...). */
export class StreamReader {
  /** Set once the writer is gone (or the host cancelled). */
  ended = false;
  constructor(readonly shared: SharedStream, private readonly store: Store) {}

  /** The host value this stream was made from (fromHostStream), when a guest hands the host
   * back a stream the host gave it; undefined for a guest's own. A guest may have read part of
   * it: what is left is what this reader reads. */
  get origin(): unknown { return ORIGIN.get(this.shared); }

  /** Read up to max elements; resolves with a chunk, or null once the writer is gone. */
  read(max = 65536): Promise<Uint8Array | ArrayLike<unknown> | null> {
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const buf = new HostWritableBuffer(this.shared.t, max);
      this.shared.read(null, buf,
        (reclaim) => { reclaim(); resolve(buf.take()); },
        (result) => {
          if (result === CopyResult.DROPPED && buf.progress === 0) { this.ended = true; resolve(null); }
          else resolve(buf.take());
        });
    });
  }

  /** Drain the stream into onChunk, keeping a read pending at all times so a guest's write
   * completes at once; a Promise from onChunk holds the next read (backpressure). Resolves at
   * the end of the stream; rejects (and stops reading) if onChunk throws. With `buffer`, each
   * read copies a number stream's bytes straight into the buffer it returns, and onChunk gets a
   * view of the part written; with `coalesce`, bulk writes share a chunk (see Pipe). */
  pipe(onChunk: (chunk: Uint8Array | ArrayLike<unknown>) => void | Promise<void>, options: PipeOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) { resolve(); return; }
      new Pipe(this, this.shared, this.store, onChunk, options, resolve, reject).read();
    });
  }

  /** Stop reading: the writer's next write sees DROPPED. */
  cancel(): void {
    this.ended = true;
    this.shared.drop();
    this.store.kick();
  }

  /** This stream as a WHATWG ReadableStream (bytes as Uint8Array chunks), pulled on demand. */
  toReadableStream(chunkSize = 65536): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (ctrl) => {
        const c = await this.read(chunkSize);
        if (c === null) ctrl.close();
        else ctrl.enqueue(c as Uint8Array);
      },
      cancel: () => this.cancel(),
    }, { highWaterMark: 0 });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array | ArrayLike<unknown>> {
    for (;;) {
      const c = await this.read();
      if (c === null) return;
      yield c;
    }
  }
}

/** The host's writing end of a stream it hands a guest (stdin, a request body...). */
export class StreamWriter {
  constructor(readonly shared: SharedStream, private readonly store: Store) {}

  /** Write a chunk; resolves true once the reader has taken all of it, false if it dropped. */
  write(chunk: ArrayLike<unknown>): Promise<boolean> {
    return new Promise((resolve) => this.offer(chunk, resolve));
  }

  /** Write a chunk, one at a time; `taken(true)` runs once the reader has taken all of it (at
   * once, within the read that took the last of it), `taken(false)` if it dropped. What a read
   * leaves stays pending, so the reader's next read takes it without waiting. */
  offer(chunk: ArrayLike<unknown>, taken: (ok: boolean) => void): void {
    const buf = new HostReadableBuffer(this.shared.t, chunk);
    const go = (): void => {
      this.shared.write(null, buf,
        (reclaim) => {
          if (buf.remain() > 0) return;
          reclaim();
          taken(true);
        },
        (result) => {
          if (result === CopyResult.DROPPED) taken(false);
          else if (buf.remain() > 0) go();
          else taken(true);
        });
      this.store.kick();
    };
    go();
  }

  /** End the stream: the reader sees DROPPED after what was written. */
  close(): void {
    this.shared.drop();
    this.store.kick();
  }

  /** This end as a WHATWG WritableStream: each write resolves once the guest has taken it. */
  toWritableStream(): WritableStream<ArrayLike<unknown>> {
    return new WritableStream<ArrayLike<unknown>>({
      write: async (chunk) => {
        if (!(await this.write(chunk))) throw new Error('the reading end of the stream was dropped');
      },
      close: () => this.close(),
      abort: () => this.close(),
    }, { highWaterMark: 1 });
  }
}

/** A stream the host creates: pass `stream` to a guest, write with `writer`. */
export function createHostStream(t: ValType | null, store: Store): { stream: SharedStream; writer: StreamWriter } {
  const stream = new SharedStream(t);
  return { stream, writer: new StreamWriter(stream, store) };
}

/** A host value passed for a stream or future may carry a function under this key: it is called
 * once the guest drops its end (or at once if the guest already has), so a source in another
 * thread can tell its writer. */
export const onDrop: unique symbol = Symbol.for('wasip3-web.onDrop') as never;
type DropAware = { [onDrop]?: () => void };

/** A host value passed for a stream may write it itself: fromHostStream calls its function
 * under this key with the stream's writer (a source in another thread offers each chunk as it
 * comes, with no iteration between), and the source closes the writer at its end. */
export const pushInto: unique symbol = Symbol.for('wasip3-web.pushInto') as never;
/** A host source that writes a stream itself (pushInto). */
export type PushSource = { [pushInto]: (writer: StreamWriter) => void };

/** Turn what the host passes for a stream (a ReadableStream, an async or sync iterable of chunks,
 * a Uint8Array, a PushSource, or a StreamReader to pass on) into a stream a guest can read. */
export function fromHostStream(v: unknown, t: ValType | null, store: Store): SharedStream {
  if (v instanceof StreamReader) return v.shared;
  const { stream, writer } = createHostStream(t, store);
  if (v !== null && typeof v === 'object') ORIGIN.set(stream, v);
  const dropped = v && typeof v === 'object' ? (v as DropAware)[onDrop] : undefined;
  if (dropped) stream.whenDropped(dropped);
  // Nothing to write (an empty body): the stream ends before anyone reads, with no pump.
  if ((Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<unknown>).length === 0) {
    writer.close();
    return stream;
  }
  if (v && typeof v === 'object' && pushInto in v) {
    (v as PushSource)[pushInto](writer);
    return stream;
  }
  void (async () => {
    try {
      // An array of typed arrays is a list of chunks (the page's iterable of Uint8Array).
      if (ArrayBuffer.isView(v) || (Array.isArray(v) && !(isNumberType(t) && v.length > 0 && ArrayBuffer.isView(v[0])))) {
        await writer.write(v as ArrayLike<unknown>);
      } else if (v instanceof ReadableStream) {
        const r = (v as ReadableStream<ArrayLike<unknown>>).getReader();
        // A reader that drops while the source has nothing to give cancels the source at once
        // (stdin: the guest's future says ok without waiting for more input).
        stream.whenDropped(() => { void r.cancel().catch(() => {}); });
        for (;;) {
          const { done, value } = await r.read();
          if (done) break;
          if (!(await writer.write(value))) { await r.cancel(); break; }
        }
      } else if (v && (Symbol.asyncIterator in (v as object) || Symbol.iterator in (v as object))) {
        for await (const chunk of v as AsyncIterable<ArrayLike<unknown>>) {
          if (!(await writer.write(chunk))) break;
        }

      } else {
        throw new TypeError('a stream must be a ReadableStream, an iterable of chunks or a typed array');
      }
    } finally {
      writer.close();
    }
  })();
  return stream;
}

/** The host's reading end of a future: a thenable that resolves with the value. */
export class FutureReader implements PromiseLike<unknown> {
  private promise: Promise<unknown> | null = null;
  constructor(readonly shared: SharedFuture, private readonly store: Store) {}

  private start(): Promise<unknown> {
    if (!this.promise) {
      this.promise = new Promise((resolve, reject) => {
        const buf = new HostWritableBuffer(this.shared.t, 1);
        this.shared.read(null, buf, (result) => {
          if (result === CopyResult.COMPLETED) {
            const v = buf.take();
            resolve(this.shared.t ? (v as ArrayLike<unknown>)[0] : undefined);
          } else reject(new Error('the future was dropped before a value was written'));
        });
        this.store.kick();
      });
    }
    return this.promise;
  }

  /** Drop the host's reading end: the guest writer's write sees DROPPED. */
  cancel(): void {
    this.shared.drop();
    this.store.kick();
  }

  then<A = unknown, B = never>(ok?: ((v: unknown) => A | PromiseLike<A>) | null, err?: ((e: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    return this.start().then(ok, err);
  }
}

/** Turn what the host passes for a future (a Promise, a value, or a FutureReader to pass on)
 * into a future a guest can read. */
export function fromHostFuture(v: unknown, t: ValType | null, store: Store): SharedFuture {
  if (v instanceof FutureReader) return v.shared;
  const shared = new SharedFuture(t);
  const dropped = v && typeof v === 'object' ? (v as DropAware)[onDrop] : undefined;
  if (dropped) shared.whenDropped(dropped);
  void Promise.resolve(v).then((value) => {
    shared.write(null, new HostReadableBuffer(t, [value]), () => {});
    store.kick();
  }, () => {
    // No value will come (a writer in another worker is gone): a pending read sees DROPPED.
    shared.drop();
    store.kick();
  });
  return shared;
}
