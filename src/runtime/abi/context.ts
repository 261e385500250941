// Lifting and Lowering Context (CanonicalABI.md): the options, instance and borrow scope of one
// lift or lower, with cached views of the guest's memory.
import { trap, trapIf } from '../errors.js';
import type { ComponentInstance, Options, Task } from '../concurrency/store.js';
import type { Subtask } from '../concurrency/waitables.js';

export class LiftLowerContext {
  private buf: ArrayBuffer | SharedArrayBuffer | null = null;
  private dv: DataView | null = null;
  private u8: Uint8Array | null = null;

  constructor(
    readonly opts: Options,
    readonly inst: ComponentInstance,
    readonly borrowScope: Task | Subtask | null = null,
    /** True when the other side is the host (JS values, host resources and stream ends). */
    readonly host = false,
  ) {}

  get memory(): WebAssembly.Memory {
    const m = this.opts.memory;
    if (!m) trap('canonical option `memory` is required');
    return m;
  }

  private refresh(): void {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.dv = new DataView(b);
      this.u8 = new Uint8Array(b);
    }
  }

  get view(): DataView { this.refresh(); return this.dv!; }
  get bytes(): Uint8Array { this.refresh(); return this.u8!; }

  checkRange(ptr: number, len: number, align: number): void {
    if (ptr % align !== 0) trap(`unaligned pointer ${ptr}`);
    if (ptr + len > this.bytes.length) trap(`pointer out of bounds: ${ptr} + ${len}`);
  }

  /** Call the guest's realloc (may not re-enter the instance). */
  reallocate(old: number, oldLen: number, align: number, newLen: number): number {
    const realloc = this.opts.realloc;
    if (!realloc) trap('canonical option `realloc` is required');
    this.inst.mayLeave = false;
    let ptr: number;
    try {
      ptr = realloc(old, oldLen, align, newLen) as number;
    } finally {
      this.inst.mayLeave = true;
    }
    ptr = ptr >>> 0;
    trapIf(ptr % align !== 0, 'realloc return: result not aligned');
    trapIf(ptr + newLen > this.bytes.length, 'realloc return: beyond end of memory');
    return ptr;
  }

  allocate(align: number, len: number): number {
    return this.reallocate(0, 0, align, len);
  }
}
