// One TCP connection's two directions on one MessagePort between the two sockets' workers (or
// within one worker): bytes go as byte-port chunks (transferred buffers, credit, buffers lent
// back), so they never pass through the page. A message's type tells its direction: chunks, the
// end and errors are the peer's bytes (Inbound); credit, fin-ack and cancel answer ours
// (Outbound). One port a connection, not two: a connection's ports are made, moved through the
// page and dropped at each connect, and they were most of a connection's cost.
//
// Outbound: a guest's send stream is piped straight into the writer's lent buffers. Its end is
// a FIN ('end'); send's future says ok once the peer's socket acknowledges it ('fin-ack': every
// byte reached it), or connection-broken if the peer stopped reading (dropped its receive
// stream or its socket: 'cancel').
// Inbound: chunks wait here from the moment the connection exists (as in a kernel's receive
// buffer, bounded by the writer's window), whether or not the guest has called receive.
import { PortWriter } from '../../channel/byte-port.js';
import type { ByteMessage, CreditMessage, SocketAck } from '../../channel/protocol.js';
import { onDrop, pushInto, type PushSource, type StreamReader, type StreamWriter } from '../../runtime/index.js';
import { err, ok, type ErrorCode, type Result } from './net.js';

/** Bytes in flight per direction before the writer waits (the "socket buffer"). */
const WINDOW = 4 << 20;
/** The buffers a sender fills: a read of the guest's stream takes at most this much. */
const CHUNK = 1 << 20;
/** The reader returns credit once it has this much to give (at most half the window). */
const CREDIT_BATCH = 1 << 20;

class SendFailed extends Error {}

/** A connection's two directions on its port, which closes once both are over (each side's
 * FIN answered, a reader stopped, or the peer gone): nothing crosses after that, and an open
 * port with handlers would keep itself, the queues and the writer's buffers alive as long as
 * the two workers live. */
export function connection(port: MessagePort): { inbound: Inbound; outbound: Outbound } {
  let open = 2;
  const over = (): void => { if (--open === 0) port.close(); };
  const outbound = new Outbound(port, over);
  return { outbound, inbound: new Inbound(port, port.onmessage, over) };
}

export class Outbound {
  private readonly writer: PortWriter;
  private started = false;
  private peerStopped = false;
  private wrote = 0;
  private acked: ((r: 'ok' | 'broken') => void) | null = null;

  /** `over`: called once nothing more will cross for this direction. */
  constructor(private readonly port: MessagePort, private readonly over: () => void = () => {}) {
    this.writer = new PortWriter(port, WINDOW, CHUNK, true);
    const inner = port.onmessage;
    port.onmessage = (e: MessageEvent<CreditMessage | SocketAck>) => {
      const t = e.data.type;
      if (t === 'fin-ack') { this.settle('ok'); this.end(); return; }
      // The peer stopped reading: bytes sent to it are lost (an error), a bare FIN is not;
      // it needs nothing more from this side (a FIN sent later is not answered).
      if (t === 'cancel') { this.peerStopped = true; this.settle(this.wrote > 0 ? 'broken' : 'ok'); this.end(); }
      inner?.call(port, e);
    };
  }

  private ended = false;
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.over();
  }

  private settle(r: 'ok' | 'broken'): void {
    const f = this.acked;
    this.acked = null;
    f?.(r);
  }

  /** Whether send has been called (or the direction closed without it). */
  get used(): boolean { return this.started; }

  /** Send the guest's stream, then a FIN; the result once the peer has it all. */
  async send(data: StreamReader): Promise<Result<undefined>> {
    this.started = true;
    const sent = (r: boolean) => { if (!r) throw new SendFailed(); };
    try {
      await data.pipe((c) => {
        this.wrote += (c as Uint8Array).byteLength;
        const r = this.writer.write(c as Uint8Array);
        return r instanceof Promise ? r.then(sent) : sent(r);
      }, { buffer: () => this.writer.buffer(), chunkSize: CHUNK, coalesce: true });
    } catch {
      return err('connection-broken');
    }
    return this.fin();
  }

  /** End this direction: a FIN, acknowledged (or not) by the peer. */
  private fin(): Promise<Result<undefined>> {
    if (this.peerStopped) return Promise.resolve(this.wrote > 0 ? err('connection-broken') : ok(undefined));
    const done = new Promise<'ok' | 'broken'>((r) => { this.acked = r; });
    this.writer.close();
    return done.then((r) => (r === 'ok' ? ok(undefined) : err('connection-broken')));
  }

  /** The peer's worker is gone: writes fail, a FIN waiting for its acknowledgement too. */
  fail(): void {
    this.peerStopped = true;
    this.wrote = Math.max(this.wrote, 1);
    this.settle('broken');
    // The writer stops as at a reader's cancel.
    this.port.onmessage?.(new MessageEvent('message', { data: { type: 'cancel' } satisfies CreditMessage }));
  }

  /** WASI 0.2's output stream: one write of bytes the caller owns (true once it may be
   * followed by another, false if the peer stopped reading). */
  write(chunk: Uint8Array): boolean | Promise<boolean> {
    this.started = true;
    this.wrote += chunk.byteLength;
    return this.writer.write(chunk);
  }

  /** WASI 0.2's shutdown of the send side: a FIN, unless one was sent. */
  shutdown(): void {
    if (this.finished) return;
    this.finished = true;
    this.started = true;
    this.writer.close();
  }
  private finished = false;

  /** The socket is dropped without having sent: the peer reads to the end (a FIN). */
  close(): void {
    if (this.started) return;
    this.started = true;
    this.writer.close();
  }
}

export class Inbound {
  private queue: Uint8Array<ArrayBuffer>[] = [];
  private ended = false;
  private failure: ErrorCode | null = null;
  private stopped = false;
  /** Bytes that came after the read side was shut down (and were lost). */
  private discarded = false;
  private wake: (() => void) | null = null;
  private creditBytes = 0;
  private creditBuffers: ArrayBuffer[] = [];
  private taken = false;

  /** `answers`: the port's handler for what answers our own sending (the Outbound's);
   * `over`: called once nothing more will cross for this direction. */
  constructor(private readonly port: MessagePort, answers: MessagePort['onmessage'], private readonly over: () => void = () => {}) {
    port.onmessage = (e: MessageEvent<ByteMessage | CreditMessage | SocketAck>) => {
      const m = e.data;
      if (m.type !== 'chunk' && m.type !== 'end' && m.type !== 'error') { answers?.call(port, e); return; }
      if (m.type === 'chunk') {
        // After a shutdown of the read side, bytes are discarded (the writer was told).
        if (!this.stopped) this.queue.push(new Uint8Array(m.chunk, 0, m.length));
        else this.discarded = true;
      } else if (m.type === 'end') {
        this.ended = true;
        const reply: SocketAck | CreditMessage = this.discarded ? { type: 'cancel' } : { type: 'fin-ack' };
        port.postMessage(reply);
        this.end();
      } else if (m.type === 'error') {
        this.failure = 'connection-reset';
        this.end();
      }
      this.wake?.();
    };
  }

  private done = false;
  private end(): void {
    if (this.done) return;
    this.done = true;
    this.over();
  }

  private give(bytes: number, buffer?: ArrayBuffer): void {
    this.creditBytes += bytes;
    if (buffer) this.creditBuffers.push(buffer);
    if (this.creditBytes >= CREDIT_BATCH) this.flush();
  }

  private flush(): void {
    if (this.creditBytes === 0) return;
    const m: CreditMessage = { type: 'credit', bytes: this.creditBytes, buffers: this.creditBuffers };
    this.port.postMessage(m, this.creditBuffers);
    this.creditBytes = 0;
    this.creditBuffers = [];
  }

  /** Whether receive has been called. */
  get used(): boolean { return this.taken; }

  /** Whether the writer's FIN has come (what waits may still be read). */
  get finished(): boolean { return this.ended; }
  /** Why the bytes ended early (the peer's worker ended, or it refused the connection). */
  get error(): ErrorCode | null { return this.failure; }

  /** The bytes as a stream for the guest, and the result once it ends: ok after the peer's
   * FIN (or if the guest drops the stream: a shutdown of the read side), else the error. Each
   * chunk is offered to the guest as it comes; once the guest has taken all of it, its memory
   * goes back to the writer with the credit. */
  receive(): [PushSource, Promise<Result<undefined>>] {
    this.taken = true;
    let done!: (r: Result<undefined>) => void;
    const result = new Promise<Result<undefined>>((r) => { done = r; });
    let writer: StreamWriter | null = null;
    let over = false;
    const stop = (): void => { if (over) return; over = true; this.stop(); done(ok(undefined)); };
    const pump = (): void => {
      if (over || !writer) return;
      const c = this.queue.shift();
      if (c) {
        writer.offer(c, (taken) => {
          if (!taken) { stop(); return; }
          this.give(c.byteLength, c.buffer);
          pump();
        });
        return;
      }
      this.flush();
      if (this.ended || this.failure || this.stopped) {
        over = true;
        writer.close();
        done(this.failure ? err(this.failure) : ok(undefined));
        return;
      }
      this.wake = () => { this.wake = null; pump(); };
    };
    const source = {
      [pushInto]: (w: StreamWriter) => { writer = w; pump(); },
      [onDrop]: stop,
    };
    return [source as PushSource, result];
  }

  /** The peer's worker is gone before its FIN: the receive stream ends in connection-reset. */
  fail(): void {
    if (this.ended) return;
    this.failure = 'connection-reset';
    this.wake?.();
    this.end();
  }

  /** WASI 0.2's input stream: bytes waiting now (a copy, at most max; empty if none), or null
   * at the end (after the peer's FIN, a failure or a shutdown). */
  readNow(max: number): Uint8Array | null {
    this.taken = true;
    const c = this.queue[0];
    if (!c) {
      this.flush();
      return this.ended || this.failure || this.stopped ? null : new Uint8Array(0);
    }
    const n = Math.min(max, c.byteLength);
    const out = c.slice(0, n);
    if (n === c.byteLength) { this.queue.shift(); this.give(n, c.buffer); } else { this.queue[0] = c.subarray(n); this.give(n); }
    return out;
  }

  /** Resolves once readNow would give bytes or the end. */
  async readable(): Promise<void> {
    while (this.queue.length === 0 && !this.ended && !this.failure && !this.stopped) {
      this.flush();
      await new Promise<void>((r) => { this.wake = r; });
      this.wake = null;
    }
  }

  /** Shut the read side down: what waits is discarded, the writer is told. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.queue.length) this.discarded = true;
    this.queue = [];
    this.creditBytes = 0;
    this.creditBuffers = [];
    const m: CreditMessage = { type: 'cancel' };
    this.port.postMessage(m);
    this.wake?.();
    // What the peer sends from now on is lost anyway, and it waits for no answer (Outbound).
    this.end();
  }
}
