// Byte streams through a SharedArrayBuffer ring, for crossOriginIsolated pages: one producer
// thread, one consumer thread, and no message per chunk. The writer copies into the ring (or the
// guest's bytes are copied straight into the free space it lends: buffer()), then moves the
// head; the reader hands out views of the ring and moves the tail once they are taken. Bytes
// written and not yet taken never exceed the window, as on a port (byte-port.ts).
//
// Both sides wait with Atomics.waitAsync, never Atomics.wait: the page's main thread must not
// block, and a component worker's event loop carries its calls and host work. End, error,
// cancel and the Web Lock watch still go as port messages (protocol.ts), after the head moved:
// a reader that hears 'end' has every byte in the ring already.
import type { CreditMessage } from './protocol.js';
import { PortSignals, type ByteWriter } from './byte-port.js';

/** Int32 slots of the header: the head (bytes written) and the tail (bytes taken), counters
 * modulo 2^32, a cache line apart so the two threads do not share one. */
const HEAD = 0;
const TAIL = 16;
const HEADER = 128;

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** Whether this thread can use a ring: SharedArrayBuffer may be posted only when
 * crossOriginIsolated, and waiting must not block (Atomics.waitAsync). */
export function ringsAvailable(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
    && typeof SharedArrayBuffer === 'function' && typeof waitAsync === 'function';
}

/** Resolves once slot i no longer holds v (at once if it already does not). A reader handed a
 * ring on a thread without Atomics.waitAsync (only a writer checks ringsAvailable) polls. */
function changed(h: Int32Array, i: number, v: number): Promise<unknown> {
  if (!waitAsync) return new Promise((r) => setTimeout(r, 1));
  const w = waitAsync(h, i, v);
  return w.async ? (w.value as Promise<string>) : Promise.resolve();
}

/** The ring's capacity for a window: a power of two (positions are counters modulo 2^32). */
const capacityFor = (window: number): number => 2 ** Math.ceil(Math.log2(Math.max(window, 4096)));

/** The writing end: the same interface as PortWriter, for bytes only. */
export class RingWriter extends PortSignals implements ByteWriter {
  readonly sab: SharedArrayBuffer;
  private readonly h: Int32Array;
  private readonly data: Uint8Array<SharedArrayBuffer>;
  private readonly cap: number;
  private head = 0;
  private lastTail = 0;
  private cancelled = false;
  /** Who waits for the reader now (taken()): cancel() wakes them. A Promise.race against one
   * long-lived promise would hang a reaction on it at every wait, kept for the stream's life. */
  private readonly waiting = new Set<() => void>();
  private taken_ = 0;
  /** Bytes written. */
  sent = 0;
  /** Chunks written into the ring. */
  messages = 0;

  constructor(port: MessagePort, private readonly window: number, readonly chunkSize: number) {
    super(port);
    this.cap = capacityFor(window);
    this.sab = new SharedArrayBuffer(HEADER + this.cap);
    this.h = new Int32Array(this.sab, 0, HEADER / 4);
    this.data = new Uint8Array(this.sab, HEADER, this.cap);
    port.onmessage = (e: MessageEvent<CreditMessage>) => {
      const m = e.data;
      if (m.type === 'watch') this.onWatch?.(m.lock);
      else if (m.type === 'cancel') this.cancel();
    };
  }

  /** Bytes the reader has taken (its tail, counted past 2^32). */
  get credited(): number { this.unread(); return this.taken_; }

  /** Bytes written and not yet taken, after catching up with the reader's tail. */
  private unread(): number {
    const t = Atomics.load(this.h, TAIL);
    this.taken_ += (t - this.lastTail) >>> 0;
    this.lastTail = t;
    return (this.head - t) >>> 0;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const wake of [...this.waiting]) wake();
    Atomics.notify(this.h, TAIL); // and its own waitAsync, so nothing stays registered
    this.onCancel?.();
  }

  get isCancelled(): boolean { return this.cancelled; }

  // Ended, the writer owes the port nothing more (the reader takes what is left from the
  // ring), and a port left open would live as long as both threads do.
  override close(): void { super.close(); this.port.close(); }
  override error(message: string): void { super.error(message); this.port.close(); }

  /** How many waits for the reader are pending (each held only until the reader takes, or the
   * stream is cancelled). */
  get pending(): number { return this.waiting.size; }

  writeValues(): boolean {
    throw new Error('a shared-memory ring carries bytes only');
  }

  /** Wait until the reader takes something (or cancels). */
  private taken(): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = (): void => { this.waiting.delete(wake); resolve(); };
      this.waiting.add(wake);
      void changed(this.h, TAIL, this.lastTail).then(wake);
    });
  }

  whenRoom(n: number): true | Promise<void> {
    const u = this.unread();
    if (this.cancelled || u === 0 || u + n <= this.window) return true;
    return this.taken().then(() => { const w = this.whenRoom(n); return w === true ? undefined : w; });
  }

  /** The free part of the ring at the head, to fill and pass to write() (no copy then); a
   * plain buffer when too little of it is free in one piece. */
  buffer(size = this.chunkSize): Uint8Array {
    size = Math.min(size, this.chunkSize);
    const pos = this.head & (this.cap - 1);
    const n = Math.min(size, this.cap - pos, this.window - this.unread());
    if (n >= Math.min(size, 4096)) return this.data.subarray(pos, pos + n);
    return new Uint8Array(size);
  }

  write(chunk: Uint8Array): boolean | Promise<boolean> {
    if (this.cancelled) return false;
    const n = chunk.byteLength;
    if (n > this.window) {
      // More than fits at once: in pieces.
      let p: Promise<boolean> = Promise.resolve(true);
      for (let off = 0; off < n; off += this.window) {
        const part = chunk.subarray(off, Math.min(n, off + this.window));
        p = p.then((ok) => ok && this.write(part));
      }
      return p;
    }
    const u = this.unread();
    if (u > 0 && u + n > this.window) return this.taken().then(() => this.write(chunk));
    const pos = this.head & (this.cap - 1);
    // A chunk already in place (filled in buffer()'s view) needs no copy.
    if (chunk.buffer !== this.sab || chunk.byteOffset !== HEADER + pos) {
      const first = Math.min(n, this.cap - pos);
      this.data.set(first === n ? chunk : chunk.subarray(0, first), pos);
      if (first < n) this.data.set(chunk.subarray(first), 0);
    }
    this.head = (this.head + n) | 0;
    Atomics.store(this.h, HEAD, this.head);
    Atomics.notify(this.h, HEAD);
    this.sent += n;
    this.messages++;
    return true;
  }
}

/** The reading end's ring: views of the bytes written, taken in order. */
export class RingReader {
  private readonly h: Int32Array;
  private readonly data: Uint8Array<SharedArrayBuffer>;
  private readonly cap: number;
  /** Where the next view starts (the tail moves only when views are taken: take()). */
  private pos = 0;

  constructor(sab: SharedArrayBuffer, private readonly maxChunk: number) {
    this.h = new Int32Array(sab, 0, HEADER / 4);
    this.data = new Uint8Array(sab, HEADER);
    this.cap = this.data.byteLength;
  }

  /** The next bytes written (at most maxChunk, in one piece), or null if none are there yet.
   * A view stays valid until take() passes it. */
  next(): Uint8Array<SharedArrayBuffer> | null {
    const avail = (Atomics.load(this.h, HEAD) - this.pos) >>> 0;
    if (avail === 0) return null;
    const at = this.pos & (this.cap - 1);
    const n = Math.min(avail, this.maxChunk, this.cap - at);
    this.pos = (this.pos + n) | 0;
    return this.data.subarray(at, at + n);
  }

  /** Resolves once the writer writes more (after `next()` gave null). */
  written(): Promise<unknown> { return changed(this.h, HEAD, this.pos); }

  /** Everything handed out, but for `held` bytes put back, is taken: the writer may reuse it. */
  take(held: number): void {
    Atomics.store(this.h, TAIL, (this.pos - held) | 0);
    Atomics.notify(this.h, TAIL);
  }

  /** Wake this thread's own pending waits (the reader is done). */
  release(): void { Atomics.notify(this.h, HEAD); }
}
