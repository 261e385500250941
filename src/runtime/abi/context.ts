// Lifting and Lowering Context (CanonicalABI.md): the options, instance and borrow scope of one
// lift or lower, with cached views of the guest's memory.
// The abi imports nothing of the concurrency layer but its types: the layers run one way
// (types -> abi -> concurrency -> boundary -> canon), and what the abi needs from above (a
// stream's or future's end, a task for realloc) it reaches through the store.
import { trap } from '../errors.js';
import type { ComponentInstance, Options, Task } from '../concurrency/store.js';
import type { Subtask } from '../concurrency/waitables.js';
import type { ValType } from '../types.js';

/** What an allocation holds, for the wording of its traps. */
export type Allocation = 'list' | 'string' | 'pointer';

type StreamT = { k: 'stream'; t: ValType | null };
type FutureT = { k: 'future'; t: ValType | null };

/** Where stream and future handles cross between a component and what it calls or is called
 * by: another guest (the shared end as it is), the host in this worker, or, through the host's
 * ends, another worker. One object per store (src/runtime/boundary.ts). */
export interface Boundary {
  liftStream(cx: LiftLowerContext, i: number, t: StreamT): unknown;
  liftFuture(cx: LiftLowerContext, i: number, t: FutureT): unknown;
  lowerStream(cx: LiftLowerContext, v: unknown, t: StreamT): number;
  lowerFuture(cx: LiftLowerContext, v: unknown, t: FutureT): number;
}

/** Views of one memory's current buffer, shared by every context on it: a context lives for
 * one call, and making two views per call cost more than a small call's whole lift. */
interface MemoryViews { buf: ArrayBuffer | SharedArrayBuffer | null; dv: DataView | null; u8: Uint8Array | null; shared: boolean }
const VIEWS = new WeakMap<WebAssembly.Memory, MemoryViews>();

export class LiftLowerContext {
  private views: MemoryViews | null = null;

  constructor(
    readonly opts: Options,
    readonly inst: ComponentInstance,
    readonly borrowScope: Task | Subtask | null = null,
    /** True when the other side is the host (JS values, host resources and stream ends). */
    readonly host = false,
  ) {}

  /** Lift `list<u8>` as a view of guest memory, not a copy: for a host function that is done
   * with its arguments when it returns (borrowsBytes). */
  borrowBytes = false;

  get memory(): WebAssembly.Memory {
    const m = this.opts.memory;
    if (!m) trap('canonical option `memory` is required');
    return m;
  }

  /** The memory's views, remade when it has grown. Growing detaches the old buffer, whose
   * views then have length 0: a cheaper test than reading memory.buffer at every access. */
  private refresh(): MemoryViews {
    let v = this.views;
    if (v !== null && v.u8 !== null && v.u8.byteLength !== 0 && !v.shared) return v;
    const m = this.memory;
    if (v === null) {
      v = VIEWS.get(m) ?? null;
      if (v === null) VIEWS.set(m, v = { buf: null, dv: null, u8: null, shared: false });
      this.views = v;
    }
    const b = m.buffer;
    if (b !== v.buf) {
      v.buf = b;
      v.dv = new DataView(b);
      v.u8 = new Uint8Array(b);
      // A shared memory's buffer is never detached: it is read every time.
      v.shared = !(b instanceof ArrayBuffer);
    }
    return v;
  }

  get view(): DataView { return this.refresh().dv!; }
  get bytes(): Uint8Array { return this.refresh().u8!; }

  checkRange(ptr: number, len: number, align: number): void {
    if (ptr % align !== 0) trap(`unaligned pointer ${ptr}`);
    if (ptr + len > this.bytes.length) trap(`pointer out of bounds: ${ptr} + ${len}`);
  }

  /** Call the guest's realloc, as definitions.py's reallocate does: a sync task of its own in
   * this instance (canon_lift of `(u32 u32 u32 u32) -> u32`), which may not leave the instance.
   * Built-ins it calls (libc's malloc reading context.get) act for that task: a fresh thread,
   * context slots 0, not the thread that happens to be lowering. `what` names the value in
   * the trap, worded as the spec's tests expect: `realloc return: ...` when the host lowers,
   * the fused adapter's `wasm trap: ...` between guests. */
  reallocate(old: number, oldLen: number, align: number, newLen: number, what: Allocation = 'pointer'): number {
    const realloc = this.opts.realloc;
    if (!realloc) trap('canonical option `realloc` is required');
    let ptr = this.inst.store.callRealloc(this.inst, () => realloc(old, oldLen, align, newLen) as number);
    ptr = ptr >>> 0;
    if (ptr % align !== 0) trap(this.host ? 'realloc return: result not aligned' : 'wasm trap: unaligned pointer');
    if (ptr + newLen > this.bytes.length) {
      trap(this.host ? 'realloc return: beyond end of memory'
        : what === 'pointer' ? 'wasm trap: pointer out of bounds' : `wasm trap: ${what} content out-of-bounds`);
    }
    return ptr;
  }

  allocate(align: number, len: number, what: Allocation = 'pointer'): number {
    return this.reallocate(0, 0, align, len, what);
  }
}
