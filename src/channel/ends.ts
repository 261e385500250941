// Stream and future ends that cross threads (protocol.ts EndWire): what the page and the
// component workers share. A stream's end travels as a MessagePort speaking the byte port's
// credit protocol (byte-port.ts): chunks of a stream<u8> as transferred ArrayBuffers, other
// elements in batches of values, at most `window` units in flight. A future's end is a port that
// carries one value. The page only introduces ports: once a port reaches the worker that reads
// it, chunks go from writer to reader directly.
//
// A thread that ends (a terminated worker) sends nothing more, so each thread holds a Web Lock
// for as long as it lives and each end names it to the other side ('watch'); a terminated
// worker's lock is released, and the other side, finding it free while the stream is still
// open, fails the stream with a message that says so.
import type { ByteMessage, CreditMessage, EndWire, FutureMessage, StreamStats } from './protocol.js';
import { Credit, PortWriter, type ByteWriter } from './byte-port.js';
import { RingReader, RingWriter } from './sab-ring.js';

/** The name of the Comlink transfer handler for values that hold stream and future ends. */
export const ENDS_HANDLER = 'wasip3-ends';
/** Bytes a stream<u8> may have in flight between threads by default (LoadOptions.streamWindow). */
export const DEFAULT_STREAM_WINDOW = 1 << 20;
/** Elements of other streams in flight, and per message. */
export const VALUE_WINDOW = 1024;
export const VALUE_BATCH = 256;
/** The chunk a stream<u8> crosses in: a quarter of the window (guest writes in quick succession
 * share one), so a writer keeps several in flight. */
export const chunkFor = (window: number): number => Math.max(1024, Math.min(1 << 20, Math.floor(window / 4)));
/** After the other side's lock comes free, how long its last messages may take to arrive. */
const GRACE_MS = 400;

export const STREAM_WRITER_GONE = "the stream's writer is gone: its thread ended (a terminated or trapped component worker) before the end of the stream";
export const FUTURE_WRITER_GONE = "the future's writer is gone: its thread ended (a terminated or trapped component worker) before it wrote a value";

export type StreamWire = Extract<EndWire, { wasip3End: 'stream' }>;
export type FutureWire = Extract<EndWire, { wasip3End: 'future' }>;

export function isWire(v: unknown): v is EndWire {
  return typeof v === 'object' && v !== null && 'wasip3End' in v && (v as { port?: unknown }).port instanceof MessagePort;
}

// ---- Web Locks: is the other side's thread still there?

const locks: LockManager | undefined = (globalThis as { navigator?: Navigator }).navigator?.locks;
let held: string | null = null;

/** The name of the lock this thread holds for as long as it lives (requested at the first
 * call): every end this thread holds names it, so the other side learns when the thread ends.
 * One per thread, not one per end: a lock request (and the abort of a watch) costs a round trip
 * to the browser's lock manager, which a stream would pay at its start and at its end. */
export function threadLock(): string {
  if (held !== null) return held;
  held = `wasip3-web-thread:${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  // Named to the other side at once (a worker may end before the grant comes): a watcher that
  // gets the lock first sees this request pending and watches again (watchLock).
  if (locks) void locks.request(held, () => new Promise<never>(() => {})).catch(() => {});
  return held;
}

interface Watcher { isDone: () => boolean; onGone: () => void }
/** Per watched lock, who is told when it comes free: one pending request for each other
 * thread, however many of its ends this thread holds. */
const watched = new Map<string, Set<Watcher>>();

/** Call onGone if the lock comes free while isDone() is false (after a grace period for messages
 * still on their way). Returns a function that stops watching. */
export function watchLock(name: string, isDone: () => boolean, onGone: () => void): () => void {
  // An end already over (the other side named its lock late) has nothing to watch for; kept,
  // its watcher would hold the end until that thread ends.
  if (!locks || isDone()) return () => {};
  const w: Watcher = { isDone, onGone };
  let set = watched.get(name);
  if (!set) {
    watched.set(name, set = new Set());
    watchFree(locks, name);
  }
  set.add(w);
  return () => { watched.get(name)?.delete(w); };
}

/** Granted: the holder is gone, or its own request has not reached the lock manager yet. Let
 * the lock go, and look again after the grace period: free then, the holder is gone. */
function watchFree(locks: LockManager, name: string): void {
  void locks.request(name, () => {}).then(() => {
    setTimeout(() => {
      const set = watched.get(name);
      if (!set) return;
      void locks.request(name, { ifAvailable: true }, (lock) => lock !== null).then((free: unknown) => {
        if (!free) { watchFree(locks, name); return; }
        watched.delete(name);
        for (const w of set) if (!w.isDone()) w.onGone();
      }, () => {});
    }, GRACE_MS);
  }, () => {});
}

// ---- Finding ends inside values (records, results, options, lists, tuples, maps)

/** Whether v holds something isEnd accepts, at any depth. */
export function hasEnd(v: unknown, isEnd: (x: object) => boolean): boolean {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false;
  if (isEnd(v)) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === 'object' && x !== null && hasEnd(x, isEnd)) return true;
    return false;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (hasEnd(k, isEnd) || hasEnd(x, isEnd)) return true;
    return false;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) if (hasEnd((v as Record<string, unknown>)[k], isEnd)) return true;
  return false;
}

/** v with every end that isEnd accepts replaced by f(end) (containers copied only if they hold one). */
export function mapEnds(v: unknown, isEnd: (x: object) => boolean, f: (x: object) => unknown): unknown {
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  if (isEnd(v)) return f(v);
  if (!hasEnd(v, isEnd)) return v;
  if (Array.isArray(v)) return v.map((x) => mapEnds(x, isEnd, f));
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [mapEnds(k, isEnd, f), mapEnds(x, isEnd, f)]));
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = mapEnds((v as Record<string, unknown>)[k], isEnd, f);
  return out;
}

// ---- The writing side of a stream

interface Tracked { stats: StreamStats; writer: ByteWriter }
const tracked: Tracked[] = [];

/** The counters of the streams this thread has sent (the last 16: each keeps its writer, and a
 * ring's writer its ring). */
export function streamStats(): StreamStats[] {
  return tracked.map(({ stats, writer }) => ({ ...stats, read: writer.credited, messages: writer.messages }));
}

/** A stream's writing end in this thread: `wire` goes to the reader, `writer` sends. */
export class EndWriter {
  readonly wire: StreamWire;
  readonly writer: ByteWriter;
  readonly stats: StreamStats;
  private stopWatch: () => void = () => {};

  /** With `ring`, a bytes stream's bytes go through a shared ring (sab-ring.ts): only for a
   * writer that never sends values, on a crossOriginIsolated thread. */
  constructor(bytes: boolean, window: number, ring = false) {
    const ch = new MessageChannel();
    const units = bytes ? window : VALUE_WINDOW;
    const chunk = bytes ? chunkFor(window) : VALUE_BATCH;
    if (bytes && ring) {
      const w = new RingWriter(ch.port1, units, chunk);
      this.writer = w;
      this.wire = { wasip3End: 'stream', port: ch.port2, bytes, window: units, ring: w.sab };
    } else {
      this.writer = new PortWriter(ch.port1, units, chunk);
      this.wire = { wasip3End: 'stream', port: ch.port2, bytes, window: units };
    }
    this.stats = { written: 0, read: 0, peakUnread: 0, messages: 0, window: units, chunk, ring: this.wire.ring !== undefined, done: false, finishedAt: null };
    tracked.push({ stats: this.stats, writer: this.writer });
    if (tracked.length > 16) tracked.shift();
    this.writer.watch(threadLock());
    this.writer.onWatch = (name) => {
      this.stopWatch = watchLock(name, () => this.stats.done, () => this.writer.cancel());
    };
  }

  /** Count n units the writer has taken from its source (before it sends them). */
  took(n: number): void {
    const s = this.stats;
    s.written += n;
    const unread = s.written - this.writer.credited;
    if (unread > s.peakUnread) s.peakUnread = unread;
  }

  /** Send bytes: a chunk from writer.buffer() is transferred; other bytes are copied first
   * (the caller keeps its memory). False once the reader is gone. */
  writeBytes(chunk: Uint8Array, lent = false): boolean | Promise<boolean> {
    this.took(chunk.byteLength);
    if (lent) return this.writer.write(chunk);
    if (chunk.byteLength <= this.writer.chunkSize) {
      const b = this.writer.buffer();
      b.set(chunk);
      return this.writer.write(b.subarray(0, chunk.byteLength));
    }
    return this.writer.write(chunk.slice());
  }

  writeValues(values: unknown[], transfer: Transferable[]): boolean | Promise<boolean> {
    this.took(values.length);
    return this.writer.writeValues(values, transfer);
  }

  /** The end of the stream (or its failure). */
  finish(error?: string): void {
    if (this.stats.done) return;
    this.stats.done = true;
    this.stats.finishedAt = Date.now();
    if (error === undefined) this.writer.close();
    else this.writer.error(error);
    this.stopWatch();
  }
}

// ---- The reading side of a stream

/** A stream's reading end in this thread, started on first use (until then its port can be
 * passed on unread). next() gives chunks (Uint8Array) or batches of values. */
export class EndReader {
  private readonly queue: (Uint8Array | unknown[])[] = [];
  private ended = false;
  private closed = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private credit: Credit | null = null;
  private ring: RingReader | null = null;
  private stopWatch: () => void = () => {};
  started = false;

  constructor(readonly wire: StreamWire, private readonly decode: (values: unknown[]) => unknown[], private readonly gone = STREAM_WRITER_GONE) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    const port = this.wire.port;
    if (this.wire.ring) this.ring = new RingReader(this.wire.ring, chunkFor(this.wire.window));
    else this.credit = new Credit(port, Math.max(1, Math.floor(this.wire.window / 4)));
    port.onmessage = (e: MessageEvent<ByteMessage>) => {
      const m = e.data;
      if (m.type === 'chunk') this.queue.push(new Uint8Array(m.chunk, 0, m.length));
      else if (m.type === 'values') this.queue.push(this.decode(m.values));
      else if (m.type === 'end') this.ended = true;
      else if (m.type === 'error') this.failure ??= new Error(m.message);
      else if (m.type === 'watch') {
        this.stopWatch = watchLock(m.lock, () => this.ended || this.closed || this.failure !== null, () => {
          this.failure ??= new Error(this.gone);
          this.wake?.();
        });
      }
      this.wake?.();
    };
    const m: CreditMessage = { type: 'watch', lock: threadLock() };
    port.postMessage(m);
  }

  /** The next chunk or batch, or null at the end; throws the stream's failure. Give credit for
   * it with done() once its contents are taken. */
  async next(): Promise<Uint8Array | unknown[] | null> {
    for (;;) {
      let ready!: () => void;
      const here = new Promise<void>((r) => { ready = r; });
      const v = this.poll(ready);
      if (v !== undefined) return v;
      await here;
    }
  }

  /** The next chunk or batch if one is here, null at the end, or undefined if none is yet:
   * then `ready` runs (once) when one may be. Throws the stream's failure. On a ring, a view
   * of its next bytes (only the rest of a partly taken one waits in the queue); bytes in the
   * ring come before an end or a failure, which follow them on the port. */
  poll(ready: () => void): Uint8Array | unknown[] | null | undefined {
    this.start();
    if (this.queue.length) return this.queue.shift()!;
    const ring = this.ring;
    const v = ring?.next();
    if (v) return v;
    if (this.closed) return null;
    if (this.ended || this.failure) {
      // On a ring, the head may have moved before the port's message left: look once more.
      const last = ring?.next();
      if (last) return last;
      if (this.failure) { this.close(); throw this.failure; }
      this.close();
      return null;
    }
    let once = false;
    const wake = (): void => {
      if (once) return;
      once = true;
      if (this.wake === wake) this.wake = null;
      ready();
    };
    this.wake = wake;
    if (ring) void ring.written().then(wake);
    else this.credit!.flush();
    return undefined;
  }

  /** Put back the rest of a chunk that was only partly taken. */
  unshift(rest: Uint8Array): void { this.queue.unshift(rest); }

  /** Credit for n units taken, with the chunk's buffer if the writer may fill it again. On a
   * ring, everything handed out but the rests put back is taken (n does not matter). */
  done(n: number, buffer?: ArrayBuffer): void {
    if (this.ring) {
      let held = 0;
      for (const c of this.queue) held += (c as Uint8Array).byteLength;
      this.ring.take(held);
    } else this.credit?.give(n, buffer);
  }

  /** Stop reading: the writer's next write sees the reader gone. */
  cancel(): void {
    if (this.closed) return;
    const m: CreditMessage = { type: 'cancel' };
    this.wire.port.postMessage(m);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.credit?.flush();
    this.ring?.release();
    this.wire.port.close();
    this.stopWatch();
    this.wake?.();
  }
}

// ---- Futures

/** Send a future's value (when `value` settles) on a new port; onCancel runs if the reader
 * drops its end (or its thread ends) first. */
export function sendFuture(value: PromiseLike<unknown>, encode: (v: unknown, transfer: Transferable[]) => unknown, onCancel: () => void): FutureWire {
  const ch = new MessageChannel();
  futureWriter(ch.port1, value, encode, onCancel);
  return { wasip3End: 'future', port: ch.port2 };
}

/** Send a future's value on `port` (the writer's end of a future's channel). */
export function futureWriter(port: MessagePort, value: PromiseLike<unknown>, encode: (v: unknown, transfer: Transferable[]) => unknown, onCancel: () => void): void {
  let done = false;
  let stopWatch: () => void = () => {};
  const end = () => { done = true; stopWatch(); };
  port.onmessage = (e: MessageEvent<FutureMessage>) => {
    const m = e.data;
    if (m.type === 'cancel') { if (!done) { end(); onCancel(); port.close(); } } else if (m.type === 'watch') {
      stopWatch = watchLock(m.lock, () => done, () => { end(); onCancel(); port.close(); });
    }
  };
  port.postMessage({ type: 'watch', lock: threadLock() } satisfies FutureMessage);
  value.then((v) => {
    if (done) return;
    const transfer: Transferable[] = [];
    const msg: FutureMessage = { type: 'value', value: encode(v, transfer) };
    port.postMessage(msg, transfer);
    // Nothing comes back for a future that has its value: the port goes (an open one with a
    // handler lives as long as both threads do).
    end();
    port.close();
  }, (e: unknown) => {
    if (done) return;
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FutureMessage);
    end();
    port.close();
  });
}

/** A future's reading end: start() listens (once) and settles with the value. */
export class FutureEnd {
  private promise: Promise<unknown> | null = null;
  private settled = false;
  private stopWatch: () => void = () => {};
  constructor(readonly wire: FutureWire, private readonly decode: (v: unknown) => unknown) {}

  get started(): boolean { return this.promise !== null; }

  start(): Promise<unknown> {
    if (this.promise) return this.promise;
    const port = this.wire.port;
    this.promise = new Promise<unknown>((resolve, reject) => {
      const settle = () => { this.settled = true; this.stopWatch(); port.close(); };
      port.onmessage = (e: MessageEvent<FutureMessage>) => {
        const m = e.data;
        if (m.type === 'value') { settle(); resolve(this.decode(m.value)); } else if (m.type === 'error') { settle(); reject(new Error(m.message)); } else if (m.type === 'watch') {
          this.stopWatch = watchLock(m.lock, () => this.settled, () => { settle(); reject(new Error(FUTURE_WRITER_GONE)); });
        }
      };
    });
    port.postMessage({ type: 'watch', lock: threadLock() } satisfies FutureMessage);
    return this.promise;
  }

  /** The reader drops its end: the writer is told. */
  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    this.wire.port.postMessage({ type: 'cancel' } satisfies FutureMessage);
    this.stopWatch();
    this.wire.port.close();
  }
}
