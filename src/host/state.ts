// One component's host state, behind every package and both WASI generations: what it writes
// through wasi:cli 0.2 and 0.3 reaches the same sinks in the order written, it sees one set of
// arguments and environment, and its stdin is read once, by whichever asks. Knows nothing of
// workers: src/channel/ and workers/ connect these to the page.
import type { Instance } from '../runtime/index.js';
import type { Grants } from './grants.js';
import type { HostEvent } from '../channel/protocol.js';

/** Thrown (or rejected) by a sink once nobody reads its output any more. */
export class ReaderGone extends Error {
  constructor() { super('the reader of this output went away'); this.name = 'ReaderGone'; }
}

/** Receives a component's output bytes. write() may return a Promise to apply backpressure,
 * and throws (or rejects) with ReaderGone once nobody reads any more; buffer(), where present,
 * lends the memory the next chunk is copied into (straight out of guest memory), and write()
 * is then given a view of that buffer. */
export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
  /** A buffer of at least `size` bytes (the sink's own chunk size by default). */
  buffer?(size?: number): Uint8Array;
}

/** One output (stdout or stderr) shared by every writer: writes reach the sink in the order
 * they were made, whichever generation made them. */
export class Output implements ByteSink {
  /** Flushes of writers that hold bytes back to coalesce them (0.3's pipes, see
   * PipeOptions.holds; 0.2's output streams). Every write to the sink first sends what the
   * others hold, so bytes reach the sink in the order they were written: a held chunk's bytes
   * all came before any write that reaches the sink after it. */
  readonly holds = new Set<() => void>();
  private tail: Promise<void> | null = null;
  readonly buffer?: (size?: number) => Uint8Array;

  constructor(private readonly sink: ByteSink) {
    if (sink.buffer) this.buffer = (size) => sink.buffer!(size);
  }

  /** Send a chunk, after whatever another writer holds back (see holds). */
  write(chunk: Uint8Array): void | Promise<void> {
    if (this.holds.size) this.flushHeld();
    if (this.tail) return this.queue(this.tail.then(() => this.sink.write(chunk)));
    const r = this.sink.write(chunk);
    return r instanceof Promise ? this.queue(r) : r;
  }

  /** Send what other writers hold back (all but `self`) before bytes of one's own. */
  flushHeld(self?: () => void): void {
    for (const f of [...this.holds]) if (f !== self) f();
  }

  private queue(p: Promise<void>): Promise<void> {
    const t = p.finally(() => { if (this.tail === t) this.tail = null; });
    this.tail = t;
    return t;
  }
}

/** Stdin: a byte source read once, in pieces, by whichever interface asks. */
export class Stdin {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null;
  private left: Uint8Array | null = null;
  private pending: Promise<void> | null = null;
  /** No more bytes will come. */
  ended = false;

  constructor(source: ReadableStream<Uint8Array> | null) {
    this.reader = source ? source.getReader() : null;
    if (!this.reader) this.ended = true;
  }

  /** Bytes ready now, at most max (empty when none are buffered); null at the end. */
  take(max: number): Uint8Array | null {
    if (this.left && this.left.byteLength) {
      const n = Math.min(max, this.left.byteLength);
      const out = this.left.subarray(0, n);
      this.left = n < this.left.byteLength ? this.left.subarray(n) : null;
      return out;
    }
    return this.ended ? null : new Uint8Array(0);
  }

  /** Whether take() would return bytes or the end without waiting. */
  ready(): boolean { return this.ended || (this.left !== null && this.left.byteLength > 0); }

  /** Resolves once ready(). */
  wait(): Promise<void> {
    if (this.ready()) return Promise.resolve();
    return this.pending ??= this.reader!.read().then(({ done, value }) => {
      if (done) this.ended = true; else this.left = value;
    }, () => { this.ended = true; }).finally(() => { this.pending = null; });
  }

  /** Wait for bytes: at most max, null at the end. */
  async read(max: number): Promise<Uint8Array | null> {
    while (!this.ready()) await this.wait();
    return this.take(max);
  }

  /** Stop reading: the source is cancelled. */
  cancel(): void {
    this.ended = true;
    this.left = null;
    void this.reader?.cancel().catch(() => {});
  }
}

/** What the page configured for one component, as the worker received it. */
export interface StateInit {
  args: string[];
  env: [string, string][];
  cwd: string | null;
  stdin: ReadableStream<Uint8Array> | null;
  stdout: ByteSink;
  stderr: ByteSink;
  grants: Grants;
  /** Tell the page something (an overflow, a handler's trap): see HostEvent. */
  emit?: (event: HostEvent) => void;
  /** The page's loopback network (wasi:sockets), when sockets are granted. */
  network?: MessagePort | null;
  /** Another component's exported wasi:http handler, wired to this one's import (HttpGrant.handler). */
  httpHandler?: MessagePort | null;
}

/** One component's state, shared by every host package that serves it. */
export class ComponentState {
  readonly args: string[];
  readonly env: [string, string][];
  readonly cwd: string | null;
  readonly stdin: Stdin;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly grants: Grants;
  readonly emit: (event: HostEvent) => void;
  /** The page's loopback network, if sockets are granted (src/host/sockets/net.ts). */
  readonly network: MessagePort | null;
  /** Another component's exported wasi:http handler, if the page wired one (src/host/http/handler.ts). */
  readonly httpHandler: MessagePort | null;
  /** The instance, once instantiated (handlers that call exports need it). */
  instance: Instance | null = null;

  constructor(init: StateInit) {
    this.args = init.args;
    this.env = init.env;
    this.cwd = init.cwd;
    this.stdin = new Stdin(init.stdin);
    this.stdout = new Output(init.stdout);
    this.stderr = new Output(init.stderr);
    this.grants = init.grants;
    this.emit = init.emit ?? (() => {});
    this.network = init.network ?? null;
    this.httpHandler = init.httpHandler ?? null;
  }
}
