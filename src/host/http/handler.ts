// wasi:http/handler@0.3.0, both ways. Exported by the component: serve() turns a request from
// the page (handle.fetch, the CLI's serve, a Service Worker) into a request resource, calls the
// component's `handle`, and gives back its response with the body as a ReadableStream that
// streams as the component writes it. Imported by the component (the middleware world): the
// handler the page wired to it (HttpGrant.handler: another component's export, in its own
// worker) gets the request, bodies streaming worker to worker (src/channel/handler-port.ts);
// with none wired, the request goes on as client.send sends it, under the same grants.
import type { Instance } from '../../runtime/index.js';
import { StreamReader } from '../../runtime/index.js';
import type { ComponentState } from '../state.js';
import { HandlerClient, HandlerGone } from '../../channel/handler-port.js';
import type { BodyReader, PortWriter } from '../../channel/byte-port.js';
import { dropFuture, requestUrl, send } from './client.js';
import { Fields, Request, Response, Transmission, err, methodName, methodOf, ok, type ErrorCode, type Result, type TrailersResult } from './types.js';

/** A request as the host receives it to serve. */
export interface ServedRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: ReadableStream<Uint8Array> | null;
}

/** The component's answer: its status, headers and a body that streams. `reader`, when there,
 * reads the same body without a ReadableStream (a sender that forwards chunks takes it: a
 * stream costs more to make than a small request costs otherwise); use one or the other. */
export interface ServedResponse {
  status: number;
  headers: [string, string][];
  body: ReadableStream<Uint8Array> | null;
  reader?: BodyReader;
  /** The handler's call, when it goes on after its answer (0.2's `set`): a trap there rejects
   * it, after the response went out. */
  call?: Promise<unknown>;
}

const exported = new WeakMap<Instance, string | null>();
/** The component's exported handler, if it has one (0.3.x). */
export function handlerExport(instance: Instance): string | null {
  let name = exported.get(instance);
  if (name === undefined) {
    name = [...instance.exports.keys()].find((n) => /^wasi:http\/handler@0\.3\./.test(n)) ?? null;
    exported.set(instance, name);
  }
  return name;
}

/** The most bytes one chunk of a response body carries out of the guest. */
const CHUNK = 1 << 16;

const describe = (e: ErrorCode): string => (('val' in e && e.val !== undefined) ? `${e.tag}: ${typeof e.val === 'object' ? JSON.stringify(e.val, (_, v) => (typeof v === 'bigint' ? String(v) : v)) : String(e.val)}` : e.tag);

/** Run the component's handler on one request. An error-code the handler returns becomes a 500
 * naming it (as wasmtime serve answers); a trap rejects. */
export async function serve(instance: Instance, sreq: ServedRequest): Promise<ServedResponse> {
  const name = handlerExport(instance);
  if (!name) throw new Error(`the component exports no wasi:http/handler@0.3.x nor wasi:http/incoming-handler@0.2.x; its exports: ${[...instance.exports.keys()].join(', ') || 'none'}`);
  const r = (await instance.call([name, 'handle'], servedRequest(sreq))) as Result<Response, ErrorCode>;
  return r.tag === 'err' ? failed(r.val) : respond(r.val);
}

/** A request from the page as a request resource (its body streams as the page sends it). */
export function servedRequest(sreq: ServedRequest): Request {
  const url = urlParts(sreq.url);
  const trailers = Promise.resolve(ok(undefined));
  const req = new Request(Fields.fromHeaders(sreq.headers), sreq.body ?? undefined, trailers, new Transmission());
  req.method = methodOf(sreq.method.toUpperCase());
  req.scheme = url.scheme === 'https' ? { tag: 'HTTPS' } : url.scheme === 'http' ? { tag: 'HTTP' } : { tag: 'other', val: url.scheme };
  req.authority = url.host;
  req.pathWithQuery = url.pathWithQuery;
  return req;
}

// A URL as a Request's `url` serialises it (scheme lower-case, a path after the host): split
// without a URL object (whose parse costs more than the rest of a small request here).
const SERIALISED = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^#]*)?/;
function urlParts(href: string): { scheme: string; host: string; pathWithQuery: string } {
  const m = SERIALISED.exec(href);
  if (m && m[3] !== undefined && !m[2]!.includes('@')) return { scheme: m[1]!, host: m[2]!, pathWithQuery: m[3] };
  const url = new URL(href);
  return { scheme: url.protocol.slice(0, -1), host: url.host, pathWithQuery: url.pathname + url.search };
}

/** The answer to a handler that returned an error-code: a 500 naming it. */
export function failed(code: ErrorCode): ServedResponse {
  const text = new TextEncoder().encode(`the component's handler failed: ${describe(code)}\n`);
  return { status: 500, headers: [['content-type', 'text/plain; charset=utf-8']], body: new Blob([text]).stream() };
}

/** A response resource as status, headers and a streaming body; its sender learns how the
 * body's transmission ended. */
export function respond(res: Response): ServedResponse {
  const [body, trailers] = res.takeBody(null);
  const status = res.status;
  const headers = res.headers.pairs();
  // The body is sent: its trailers (which a page's Response cannot carry) end it.
  const sent = (): void => { void Promise.resolve(trailers).catch(() => ok(undefined)).then((t) => res.sent.finish(t && (t as Result<unknown, ErrorCode>).tag === 'err' ? t as Result<never, ErrorCode> : ok(undefined))); };
  if (body === null) {
    sent();
    return { status, headers, body: null };
  }
  const source: BodyReader = body instanceof StreamReader ? guestBody(body) : body.getReader();
  if (status === 204 || status === 304) return noBody(res, source, status, headers);
  const terminated = (): void => res.sent.finish({ tag: 'err', val: { tag: 'connection-terminated' } });
  const reader: BodyReader = {
    async read() {
      try {
        const r = await source.read();
        if (r.done) sent();
        return r;
      } catch (e) {
        res.sent.finish({ tag: 'err', val: { tag: 'internal-error', val: String(e) } });
        throw e;
      }
    },
    async cancel() {
      void source.cancel().catch(() => {});
      terminated();
    },
  };
  if (source.pipeTo) {
    const pipe = source.pipeTo;
    reader.pipeTo = async (w) => {
      await pipe(w);
      if (w.isCancelled) terminated();
      else sent();
    };
  }
  let stream: ReadableStream<Uint8Array> | undefined;
  return { status, headers, reader, get body() { return (stream ??= readerStream(reader)); } };
}

/** A guest's body stream read a chunk at a time (at most CHUNK bytes). */
function guestBody(s: StreamReader): BodyReader {
  return {
    async read() {
      const c = await s.read(CHUNK);
      return c === null ? { done: true, value: undefined } : { done: false, value: c as Uint8Array };
    },
    async cancel() { s.cancel(); },
    // Straight into the port's lent buffers (1 MiB), bulk writes coalesced, as stdout is.
    pipeTo: async (w: PortWriter) => {
      w.onCancel = () => s.cancel();
      const STOP = {};
      const sent = (ok: boolean): void | Promise<void> => {
        if (!ok) throw STOP;
        const room = w.whenRoom(w.chunkSize);
        return room === true ? undefined : room;
      };
      try {
        await s.pipe((c) => { const ok = w.write(c as Uint8Array); return ok instanceof Promise ? ok.then(sent) : sent(ok); },
          { chunkSize: w.chunkSize, buffer: () => w.buffer(), coalesce: true });
        w.close();
      } catch (e) {
        if (e !== STOP) w.error(e instanceof Error ? e.message : String(e));
      }
    },
  };
}

/** A reader as a ReadableStream, pulled on demand. */
function readerStream(reader: BodyReader): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const { done, value } = await reader.read();
        if (done) ctrl.close();
        else ctrl.enqueue(value);
      } catch (e) {
        ctrl.error(e);
      }
    },
    cancel: () => reader.cancel(),
  }, { highWaterMark: 0 });
}

/** A status that has no body: the component's body is not read. */
function noBody(res: Response, source: BodyReader, status: number, headers: [string, string][]): ServedResponse {
  res.sent.finish(ok(undefined));
  void source.cancel().catch(() => {});
  return { status, headers, body: null };
}

/** A request resource as the wired handler receives it: its body streams as the guest writes
 * it. Trailers do not cross (a page's Request has none either). */
function outgoing(req: Request): ServedRequest {
  // Handler to handler, a request needs no authority (the wired handler sees localhost then).
  const url = req.authority ? requestUrl(req) : new URL(req.pathWithQuery || '/', `${req.scheme?.tag === 'HTTPS' ? 'https' : 'http'}://localhost`);
  const [body, trailers] = req.takeBody(null);
  // Read (so a guest writing its trailers is not left waiting) and let go.
  void Promise.resolve(trailers).then(() => dropFuture(trailers), () => dropFuture(trailers));
  const stream = body instanceof StreamReader ? body.toReadableStream(CHUNK) : body;
  return { method: methodName(req.method), url: url.href, headers: req.headers.pairs(), body: stream };
}

/** Call the wired handler: its response as a resource whose body streams from its worker. The
 * handler gone (terminated, trapped) is connection-terminated; its error is internal-error. */
async function forward(client: HandlerClient, req: Request): Promise<Result<Response, ErrorCode>> {
  let sreq: ServedRequest;
  try {
    sreq = outgoing(req);
  } catch {
    const code: ErrorCode = { tag: 'HTTP-request-URI-invalid' };
    req.sent.finish(err(code));
    return err(code);
  }
  try {
    const r = await client.fetch(sreq);
    req.sent.finish(ok(undefined));
    let settle!: (t: TrailersResult) => void;
    const trailers = new Promise<TrailersResult>((res) => { settle = res; });
    const body = r.body ? endsWith(r.body, settle) : undefined;
    if (!body) settle(ok(undefined));
    const res = new Response(Fields.fromHeaders(r.headers), body, trailers, new Transmission());
    res.status = r.status;
    return ok(res);
  } catch (e) {
    const code: ErrorCode = e instanceof HandlerGone ? { tag: 'connection-terminated' } : { tag: 'internal-error', val: e instanceof Error ? e.message : String(e) };
    req.sent.finish(err(code));
    return err(code);
  }
}

/** A body that settles its trailers when it ends: ok, or the error-code of a broken stream (the
 * guest sees the body end, and its trailers say why). */
function endsWith(body: ReadableStream<Uint8Array>, settle: (t: TrailersResult) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const { done, value } = await reader.read();
        if (done) { ctrl.close(); settle(ok(undefined)); return; }
        ctrl.enqueue(value);
      } catch {
        settle(err({ tag: 'connection-terminated' }));
        ctrl.close();
      }
    },
    cancel() { settle(ok(undefined)); void reader.cancel().catch(() => {}); },
  }, { highWaterMark: 0 });
}

/** The imported handler: the wired one (HttpGrant.handler), or, with nothing wired to it, a
 * request goes on as client.send sends it. */
export function handler(state: ComponentState) {
  if (!state.httpHandler) return { handle: (req: Request) => send(state, req) };
  const client = new HandlerClient(state.httpHandler);
  return { handle: (req: Request) => forward(client, req) };
}
