// A component's exported wasi:http handler on a MessagePort of its own (HandlerCall and
// HandlerReply in protocol.ts). The page makes the channel, gives one end to the handler's
// worker (serveHandlerPort) and the other to the caller (HandlerClient): another component's
// worker, whose imported handler it is, or a Service Worker. After that the page is out of the
// way: requests, responses and their bodies (each on a byte port of its own) go thread to
// thread. The serving thread holds a Web Lock for as long as it lives; a caller that finds it
// free (the worker was terminated, or trapped and was ended) fails what is pending or streaming.
import { receiveBody, sendBody, type BodyReader, type PortWriter } from './byte-port.js';
import { threadLock, watchLock } from './ends.js';
import type { HandlerCall, HandlerReply, HttpRequestWire, HttpResponseWire, WireError } from './protocol.js';

/** A request or response as either side holds it: the body a byte stream. */
export interface HandlerRequest { method: string; url: string; headers: [string, string][]; body: ReadableStream<Uint8Array> | null }
export interface HandlerResponse { status: number; headers: [string, string][]; body: ReadableStream<Uint8Array> | null; reader?: BodyReader }

/** The handler's thread is gone: its worker ended. */
export class HandlerGone extends Error {
  constructor(message = "the wired wasi:http handler is gone: its component's worker ended (terminated, or a trap)") {
    super(message);
    this.name = 'HandlerGone';
  }
}

/** Answer the requests that come on `port` with `serve`. A failure's reply carries its
 * message and, with `wireError`, the error itself as the page's calls receive it. */
export function serveHandlerPort(port: MessagePort, serve: (req: HandlerRequest) => Promise<HandlerResponse>, wireError?: (e: unknown) => WireError): void {
  port.postMessage({ type: 'watch', lock: threadLock() } satisfies HandlerReply);
  port.onmessage = async (e: MessageEvent<HandlerCall>) => {
    const m = e.data;
    if (m?.type !== 'request') return;
    const { request } = m;
    try {
      const r = await serve({ ...request, body: receiveBody(request.body) });
      const transfer: Transferable[] = [];
      const response: HttpResponseWire = { status: r.status, headers: r.headers, body: await sendBody(r.reader ?? r.body, transfer) };
      port.postMessage({ type: 'response', id: m.id, response } satisfies HandlerReply, transfer);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      port.postMessage({ type: 'error', id: m.id, message, ...(wireError ? { error: wireError(err) } : {}) } satisfies HandlerReply);
    }
  };
}

/** The calling end: fetch() sends a request to the handler and gives its response, whose body
 * streams from the handler's thread (send() is the same as the wire has it). */
export class HandlerClient {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: HttpResponseWire) => void; reject: (e: unknown) => void }>();
  private readonly writers = new Set<PortWriter>();
  private readonly ended = new AbortController();
  private stopWatch: () => void = () => {};
  /** Why the handler can no longer be called (null while it can). */
  gone: Error | null = null;

  constructor(private readonly port: MessagePort, private readonly onGone?: (e: Error) => void) {
    port.onmessage = (e: MessageEvent<HandlerReply>) => {
      const m = e.data;
      if (m.type === 'watch') {
        this.stopWatch();
        this.stopWatch = watchLock(m.lock, () => this.gone !== null, () => this.fail(new HandlerGone()));
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      // The server's WireError when it sends one (the page's own worker: guard() reads it).
      if (m.type === 'error') p.reject(m.error ?? new Error(m.message));
      else p.resolve(m.response);
    };
  }

  /** Send a request as it crosses (its body already sent: sendBody), for its response as it
   * comes (a body whole, or the port it streams on: receiveBody). */
  send(request: HttpRequestWire, transfer: Transferable[]): Promise<HttpResponseWire> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.seq++;
    return new Promise<HttpResponseWire>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ type: 'request', id, request } satisfies HandlerCall, transfer);
    });
  }

  async fetch(req: HandlerRequest): Promise<HandlerResponse> {
    if (this.gone) {
      void req.body?.cancel().catch(() => {});
      throw this.gone;
    }
    const transfer: Transferable[] = [];
    const track = (w: PortWriter, pumped: Promise<void>) => { this.writers.add(w); void pumped.finally(() => this.writers.delete(w)); };
    const request: HttpRequestWire = { method: req.method, url: req.url, headers: req.headers, body: await sendBody(req.body, transfer, track) };
    if (this.gone) { // it went while the body was read
      for (const w of this.writers) w.cancel();
      throw this.gone;
    }
    const { status, headers, body } = await this.send(request, transfer);
    return { status, headers, body: receiveBody(body, this.ended.signal) };
  }

  /** The handler is gone: pending requests reject, bodies in flight fail, later calls reject. */
  fail(e: Error): void {
    if (this.gone) return;
    this.gone = e;
    this.stopWatch();
    this.ended.abort(e);
    for (const w of this.writers) w.cancel();
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.port.close();
    this.onGone?.(e);
  }

  /** Stop calling the handler: what is pending or streaming fails. */
  close(): void {
    this.fail(new HandlerGone('the wired wasi:http handler was let go (its caller is ending)'));
  }
}
