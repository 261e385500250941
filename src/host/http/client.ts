// wasi:http/client@0.3.0: `send` on fetch(), or, when the page's grant names a proxy (the CLI's
// --inherit-network), through Node. Only origins the page granted (http.origins) are reached;
// others get HTTP-request-denied. Response bodies stream to the guest as fetch() delivers them
// (never buffered whole). Request bodies are buffered, at most REQUEST_BODY_LIMIT bytes:
// Chromium streams a request body (`duplex: 'half'`) only over HTTP/2, and fails it over
// HTTP/1.1, which a page cannot know in advance. request-options' timeouts abort through an
// AbortController. fetch() has no trailers: request trailers fail the send, and responses have
// none; through Node both work.
import type { ComponentState } from '../state.js';
import { errorCode, type Failure } from './errors.js';
import {
  Fields, Request, Response, Transmission, err, methodName, ok,
  type ErrorCode, type Result, type TrailersResult,
} from './types.js';
import { FutureReader, StreamReader } from '../../runtime/index.js';

/** The most request-body bytes buffered for one request (16 MiB). */
export const REQUEST_BODY_LIMIT = 16 << 20;

/** Request headers fetch() will not send (the Fetch standard's forbidden request-headers). */
const BROWSER_FORBIDDEN = new Set(['accept-charset', 'accept-encoding', 'access-control-request-headers',
  'access-control-request-method', 'connection', 'content-length', 'cookie', 'cookie2', 'date', 'dnt', 'expect',
  'host', 'keep-alive', 'origin', 'referer', 'set-cookie', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via']);
/** Ports fetch() refuses (the Fetch standard's bad ports). */
const BAD_PORTS = new Set([1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526,
  530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190,
  5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

class Failed extends Error {
  constructor(readonly failure: Failure) { super(failure.kind); }
}

const ms = (ns: bigint | undefined): number | undefined => (ns === undefined ? undefined : Number(ns / 1_000_000n));

/** The URL a request names, or why it names none. */
export function requestUrl(req: Request): URL {
  const s = req.scheme;
  const scheme = !s ? 'https' : s.tag === 'HTTP' ? 'http' : s.tag === 'HTTPS' ? 'https' : null;
  if (!scheme) throw new Failed({ kind: 'uri', message: `unsupported scheme ${s?.tag === 'other' ? s.val : ''}` });
  if (!req.authority) throw new Failed({ kind: 'uri', message: 'the request has no authority' });
  const port = /:(\d*)$/.exec(req.authority.replace(/^.*@/, ''));
  if (port && port[1] && Number(port[1]) > 65535) throw new Failed({ kind: 'uri', message: `bad port ${port[1]}` });
  let url: URL;
  try {
    url = new URL(`${scheme}://${req.authority}${req.pathWithQuery === undefined || req.pathWithQuery === '' ? '/' : req.pathWithQuery.startsWith('/') ? req.pathWithQuery : `/${req.pathWithQuery}`}`);
  } catch (e) {
    throw new Failed({ kind: 'uri', message: String(e) });
  }
  return url;
}

/** A body's bytes, at most REQUEST_BODY_LIMIT. */
async function collect(body: StreamReader | ReadableStream<Uint8Array> | undefined): Promise<Uint8Array | null> {
  if (!body) return null;
  const parts: Uint8Array[] = [];
  let n = 0;
  const add = (c: Uint8Array) => {
    n += c.byteLength;
    if (n > REQUEST_BODY_LIMIT) throw new Failed({ kind: 'body-size', size: BigInt(n) });
    parts.push(c);
  };
  if (body instanceof StreamReader) {
    try {
      await body.pipe((c) => add(c as Uint8Array));
    } catch (e) {
      body.cancel();
      throw e;
    }
  } else {
    const r = body.getReader();
    try {
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        add(value);
      }
    } catch (e) {
      void r.cancel().catch(() => {});
      throw e;
    }
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

/** The trailers a body's future gives (a dropped future: none). */
async function trailersOf(t: PromiseLike<unknown>): Promise<TrailersResult> {
  try {
    return ((await t) as TrailersResult | undefined) ?? ok(undefined);
  } catch {
    return ok(undefined);
  }
}

/** Let go of a guest's future (read or not). */
export function dropFuture(t: PromiseLike<unknown>): void {
  if (t instanceof FutureReader && !t.shared.dropped) t.shared.drop();
}

/** A stream that fails once no bytes came for `limit` ms (between-bytes-timeout). */
function watchBody(body: ReadableStream<Uint8Array>, url: URL, betweenMs: number | undefined, abort: AbortController,
  settle: (r: TrailersResult) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const arm = () => {
    if (betweenMs === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => { timedOut = true; abort.abort(); }, betweenMs);
  };
  return new ReadableStream<Uint8Array>({
    start: arm,
    async pull(ctrl) {
      try {
        const { done, value } = await reader.read();
        if (done) { clearTimeout(timer); ctrl.close(); settle(ok(undefined)); return; }
        arm();
        ctrl.enqueue(value);
      } catch (e) {
        clearTimeout(timer);
        const code = errorCode(timedOut ? { kind: 'timeout', phase: 'between-bytes' } : { kind: 'network', phase: 'body', url, error: e });
        settle(err(code));
        ctrl.close(); // the guest sees the body end; its trailers future carries the error
      }
    },
    cancel() { clearTimeout(timer); settle(ok(undefined)); void reader.cancel().catch(() => {}); },
  }, { highWaterMark: 0 });
}

/** The grant's answer for a URL: null when it may be reached. */
function refusal(state: ComponentState, url: URL): Failure | null {
  const g = state.grants.http;
  if (!g) return { kind: 'denied', message: 'no http origins were granted' };
  if (g.origins === '*' || g.origins?.includes(url.origin)) return null;
  return { kind: 'denied', message: `${url.origin} is not granted` };
}

/** Send a request: a response whose body streams, or the error-code. */
export async function send(state: ComponentState, req: Request): Promise<Result<Response, ErrorCode>> {
  req.consumed = true;
  let abort: AbortController | null = null;
  try {
    const url = requestUrl(req);
    const denied = refusal(state, url);
    if (denied) throw new Failed(denied);
    const proxy = state.grants.http?.proxy;
    const headers = req.headers.pairs();
    if (!proxy) {
      if (url.port && BAD_PORTS.has(Number(url.port))) throw new Failed({ kind: 'denied', message: `the browser refuses port ${url.port}` });
      const bad = headers.find(([k]) => (BROWSER_FORBIDDEN.has(k) && k !== 'content-length') || k.startsWith('proxy-') || k.startsWith('sec-'));
      if (bad) throw new Failed({ kind: 'denied', message: `the browser does not let a page send the ${bad[0]} header` });
    }
    const collected = await collect(req.contents);
    req.contents = undefined;
    const trailers = await trailersOf(req.trailers);
    dropFuture(req.trailers);
    if (trailers.tag === 'err') {
      req.sent.finish(trailers);
      return trailers;
    }
    if (trailers.val && !proxy) {
      throw new Failed({ kind: 'denied', message: 'fetch() cannot send request trailers (the CLI\'s --inherit-network can)' });
    }
    const method = methodName(req.method);
    // An empty body (a 0.2 guest finishes one for every request) is none: fetch() refuses any body with GET.
    const body = collected && (collected.byteLength || (method !== 'GET' && method !== 'HEAD')) ? collected : null;
    if (body && (method === 'GET' || method === 'HEAD') && body.byteLength > 0 && !proxy) {
      throw new Failed({ kind: 'denied', message: `fetch() cannot send a body with ${method}` });
    }
    const o = req.options;
    abort = new AbortController();
    const r = proxy
      ? await viaProxy(proxy, url, method, headers, body, trailers.val?.pairs() ?? null, o, abort)
      : await viaFetch(url, method, headers, body, o, abort);
    req.sent.finish(ok(undefined));
    return ok(r);
  } catch (e) {
    abort?.abort();
    const code = e instanceof Failed ? errorCode(e.failure) : { tag: 'internal-error' as const, val: String(e) };
    req.sent.finish(err(code));
    if (req.contents instanceof StreamReader) req.contents.cancel();
    // Trailers never read: their writer is told the reader is gone (its write sees DROPPED).
    dropFuture(req.trailers);
    return err(code);
  }
}

/** Arm the connect and first-byte timeouts; returns a disarm and which fired. */
function timeouts(o: Request['options'], abort: AbortController): { clear(): void; fired(): 'connect' | 'first-byte' | null } {
  let fired: 'connect' | 'first-byte' | null = null;
  const timers: ReturnType<typeof setTimeout>[] = [];
  // fetch() does not say when the connection is made: both limits count from the send.
  for (const [phase, ns] of [['connect', o?.connectTimeout], ['first-byte', o?.firstByteTimeout]] as const) {
    const t = ms(ns);
    if (t !== undefined) timers.push(setTimeout(() => { fired ??= phase; abort.abort(); }, t));
  }
  return { clear: () => timers.forEach(clearTimeout), fired: () => fired };
}

async function viaFetch(url: URL, method: string, headers: [string, string][], body: Uint8Array | null,
  o: Request['options'], abort: AbortController): Promise<Response> {
  const t = timeouts(o, abort);
  let res: globalThis.Response;
  try {
    res = await fetch(url, {
      method, headers: headers.filter(([k]) => k !== 'content-length'), body: body as BodyInit | null,
      // A page cannot see a 3xx (redirect: 'manual' gives an opaque response): the browser follows it.
      signal: abort.signal, redirect: 'follow', credentials: 'omit', cache: 'no-store',
    });
  } catch (e) {
    const phase = t.fired();
    throw new Failed(phase ? { kind: 'timeout', phase } : { kind: 'network', phase: 'connect', url, error: e });
  } finally {
    t.clear();
  }
  let settle!: (r: TrailersResult) => void;
  const trailers = new Promise<TrailersResult>((r) => { settle = r; });
  const stream = res.body ? watchBody(res.body, url, ms(o?.betweenBytesTimeout), abort, settle) : undefined;
  if (!res.body) settle(ok(undefined));
  const r = new Response(Fields.fromHeaders(res.headers), stream, trailers, new Transmission());
  r.status = res.status;
  return r;
}

// --inherit-network: the request goes to the CLI's proxy endpoint, which sends it from Node.
// Request: POST, the request's head in the x-wasip3-http header (JSON, base64), its body as the
// body. Response: frames of [kind u8][length u32 BE][payload]: 1 head (JSON: status, headers),
// 2 body bytes, 3 trailers (JSON pairs), 4 an error (JSON: a Node error code and message).
const b64 = (s: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

async function viaProxy(proxy: string, url: URL, method: string, headers: [string, string][], body: Uint8Array | null,
  trailers: [string, string][] | null, o: Request['options'], abort: AbortController): Promise<Response> {
  const head = {
    method, url: url.href, headers, trailers,
    connectMs: ms(o?.connectTimeout), firstByteMs: ms(o?.firstByteTimeout), betweenMs: ms(o?.betweenBytesTimeout),
  };
  let res: globalThis.Response;
  try {
    res = await fetch(proxy, { method: 'POST', headers: { 'x-wasip3-http': b64(JSON.stringify(head)) }, body: body as BodyInit | null, signal: abort.signal });
  } catch (e) {
    throw new Failed({ kind: 'node', code: 'EPROXY', message: `the CLI's network proxy failed: ${String(e)}` });
  }
  if (!res.ok || !res.body) throw new Failed({ kind: 'node', code: 'EPROXY', message: `the CLI's network proxy answered ${res.status}` });
  const frames = new FrameReader(res.body.getReader());
  const first = await frames.next();
  if (!first) throw new Failed({ kind: 'node', code: 'EPROXY', message: 'the CLI\'s network proxy closed early' });
  const json = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
  if (first.kind === 4) { const e = json(first.data); throw new Failed({ kind: 'node', code: e.code, message: e.message }); }
  const { status, headers: rh } = json(first.data) as { status: number; headers: [string, string][] };
  let settle!: (r: TrailersResult) => void;
  const trailerP = new Promise<TrailersResult>((r) => { settle = r; });
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      for (;;) {
        let f: Frame | null;
        try {
          f = await frames.next();
        } catch {
          f = { kind: 4, data: new TextEncoder().encode(JSON.stringify({ code: 'ECONNRESET', message: 'the proxy connection broke' })) };
        }
        if (!f) { ctrl.close(); settle(ok(undefined)); return; }
        if (f.kind === 2) { if (f.data.byteLength) { ctrl.enqueue(f.data); return; } continue; }
        if (f.kind === 3) {
          const pairs = json(f.data) as [string, string][];
          settle(ok(pairs.length ? Fields.fromHeaders(pairs, false) : undefined));
          continue;
        }
        if (f.kind === 4) { const e = json(f.data); settle(err(errorCode({ kind: 'node', code: e.code, message: e.message }))); ctrl.close(); return; }
      }
    },
    cancel() { abort.abort(); settle(ok(undefined)); },
  }, { highWaterMark: 0 });
  const r = new Response(Fields.fromHeaders(rh), stream, trailerP, new Transmission());
  r.status = status;
  return r;
}

interface Frame { kind: number; data: Uint8Array }

/** Reads [kind u8][length u32 BE][payload] frames from a byte stream. */
class FrameReader {
  private buf = new Uint8Array(0);
  private done = false;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}
  private async fill(n: number): Promise<boolean> {
    while (this.buf.byteLength < n && !this.done) {
      const { done, value } = await this.reader.read();
      if (done) { this.done = true; break; }
      const b = new Uint8Array(this.buf.byteLength + value.byteLength);
      b.set(this.buf);
      b.set(value, this.buf.byteLength);
      this.buf = b;
    }
    return this.buf.byteLength >= n;
  }
  async next(): Promise<Frame | null> {
    if (!(await this.fill(5))) return null;
    const len = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(1);
    if (!(await this.fill(5 + len))) throw new Error('a truncated frame');
    const f = { kind: this.buf[0]!, data: this.buf.slice(5, 5 + len) };
    this.buf = this.buf.subarray(5 + len);
    return f;
  }
}

export function client(state: ComponentState) {
  return { send: (req: Request) => send(state, req) };
}
