// wasi:http@0.2 (types, outgoing-handler, and an exported incoming-handler) as a thin face on
// wasi:http@0.3.0's core (../http/): a 0.2 resource wraps the 0.3 one (fields, request,
// response, request-options), requests go out through the same `send` (the same grants,
// timeouts, fetch() or the CLI's Node network, and error-codes), and a 0.2 handler is served
// through the same request and response paths as a 0.3 one. What is 0.2's own: bodies are
// wasi:io streams (a response body is read from fetch() a chunk at a time as the guest reads;
// a written body is a ReadableStream whose queue is the stream's backpressure), and futures
// are resources whose pollables wait on Promises (a blocking wait suspends through JSPI).
import { neverSuspends, StreamReader, type Instance } from '../../runtime/index.js';
import type { ComponentState } from '../state.js';
import { send } from '../http/client.js';
import { failed, respond, servedRequest, type ServedRequest, type ServedResponse } from '../http/handler.js';
import {
  Fields as Fields3, Request, RequestOptions as Options3, Response, Transmission, err, ok,
  type ErrorCode, type HeaderError, type Method, type Result, type Scheme, type TrailersResult,
} from '../http/types.js';
import { inputStream, ioErrorCreate, outputStream, pollable } from './io.js';

const ERR: Result<never, undefined> = { tag: 'err', val: undefined };

/** wasi:http/types#fields: 0.3's fields under 0.2's names. */
class Fields {
  constructor(readonly f: Fields3 = new Fields3()) {}
  static fromList(list: [string, Uint8Array][]): Result<Fields, HeaderError> {
    const r = Fields3.fromList(list);
    return r.tag === 'ok' ? ok(new Fields(r.val)) : r;
  }
  get(name: string): Uint8Array[] { return this.f.get(name); }
  has(name: string): boolean { return this.f.has(name); }
  set(name: string, values: Uint8Array[]) { return this.f.set(name, values); }
  delete(name: string) { return this.f.delete(name); }
  append(name: string, value: Uint8Array) { return this.f.append(name, value); }
  entries(): [string, Uint8Array][] { return this.f.copyAll(); }
  clone(): Fields { return new Fields(this.f.clone()); }
}

/** wasi:http/types#request-options (timeouts in nanoseconds, as 0.3's). */
class RequestOptions {
  readonly o = new Options3();
  connectTimeout() { return this.o.connectTimeout; }
  setConnectTimeout(d: bigint | undefined) { return this.o.setConnectTimeout(d); }
  firstByteTimeout() { return this.o.firstByteTimeout; }
  setFirstByteTimeout(d: bigint | undefined) { return this.o.setFirstByteTimeout(d); }
  betweenBytesTimeout() { return this.o.betweenBytesTimeout; }
  setBetweenBytesTimeout(d: bigint | undefined) { return this.o.setBetweenBytesTimeout(d); }
}

/** The error an input stream's io-error carries, for http-error-code. */
const CODES = new WeakMap<object, ErrorCode>();

/** What a written body's stream may queue before check-write permits nothing (1 MiB). */
const QUEUE = 1 << 20;
/** What check-write permits at once while the queue has room. */
const PERMIT = 1n << 16n;

/** wasi:http/types#outgoing-body: its output stream feeds a ReadableStream (the request or
 * response body as 0.3 holds it); `finish` ends it and gives its trailers. */
class OutgoingBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly trailers: Promise<TrailersResult>;
  private ctrl!: ReadableStreamDefaultController<Uint8Array>;
  private settle!: (r: TrailersResult) => void;
  private output: unknown;
  private done = false;
  private cancelled = false;
  /** Resolved when the reader wants more (or is gone). */
  private space: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor() {
    this.trailers = new Promise((r) => { this.settle = r; });
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => { this.ctrl = c; },
      pull: () => this.woken(),
      cancel: () => { this.cancelled = true; this.woken(); },
    }, new ByteLengthQueuingStrategy({ highWaterMark: QUEUE }));
    const full = () => !this.cancelled && (this.ctrl.desiredSize ?? 0) <= 0;
    const check = () => { if (this.cancelled || this.done) throw { tag: 'closed' }; };
    const room = (): Promise<void> | void => (full() ? this.waitSpace().then(check) : check());
    this.output = outputStream({
      checkWrite: () => { check(); return full() ? 0n : PERMIT; },
      write: (buf) => { check(); this.ctrl.enqueue(buf); },
      flush: check,
      blockingFlush: room,
      blockingWriteAndFlush: (buf) => { check(); this.ctrl.enqueue(buf); return room(); },
      subscribe: () => pollable({ ready: () => !full(), wait: () => this.waitSpace() }),
    });
  }

  private waitSpace(): Promise<void> {
    this.space ??= new Promise((r) => { this.wake = r; });
    return this.space;
  }

  private woken(): void {
    const w = this.wake;
    this.space = null;
    this.wake = null;
    w?.();
  }

  write(): Result<unknown, undefined> {
    const o = this.output;
    if (!o) return ERR;
    this.output = null;
    return ok(o);
  }

  static finish(self: OutgoingBody, trailers: Fields | undefined): Result<undefined, ErrorCode> {
    self.done = true;
    if (!self.cancelled) self.ctrl.close();
    self.settle(ok(trailers ? trailers.f : undefined));
    return ok(undefined);
  }

  /** Dropped without finish: the body is incomplete, and its reader sees it fail. */
  [Symbol.dispose](): void { this.fail('the outgoing-body was dropped without finish'); }

  /** End the body as failed (dropped unfinished, or its writer trapped). */
  fail(why: string): void {
    if (this.done) return;
    this.done = true;
    if (!this.cancelled) this.ctrl.error(new Error(why));
    this.settle(err({ tag: 'internal-error', val: why }));
  }
}

/** A body as 0.3 holds it (a guest's stream or a ReadableStream), as a ReadableStream. */
const readable = (c: StreamReader | ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> =>
  (c instanceof StreamReader ? c.toReadableStream(1 << 16) : c ?? new ReadableStream({ start(ctrl) { ctrl.close(); } }));

/** wasi:http/types#incoming-body: a wasi:io input stream that reads its source a chunk at a
 * time as the guest reads (never the whole body), and the trailers once it ends. */
class IncomingBody {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null;
  private input: unknown;
  private buf: Uint8Array = new Uint8Array(0);
  private ended = false;
  private failure: ErrorCode | null = null;
  private filling: Promise<void> | null = null;

  constructor(source: ReadableStream<Uint8Array>, private readonly trailers: PromiseLike<unknown>) {
    this.reader = source.getReader();
    const take = (len: bigint): Uint8Array => {
      if (this.buf.byteLength) {
        const n = Math.min(this.buf.byteLength, Number(len > 1n << 30n ? 1n << 30n : len));
        const b = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return b;
      }
      if (this.failure) {
        const e = ioErrorCreate(`the body failed: ${this.failure.tag}`);
        CODES.set(e, this.failure);
        throw { tag: 'last-operation-failed', val: e };
      }
      if (this.ended) throw { tag: 'closed' };
      return new Uint8Array(0);
    };
    this.input = inputStream({
      read: (len) => {
        if (!this.buf.byteLength && !this.ended) void this.fill();
        return take(len);
      },
      blockingRead: (len) => (this.buf.byteLength || this.ended || len === 0n ? take(len) : this.fill().then(() => take(len))),
      subscribe: () => pollable({ ready: () => this.buf.byteLength > 0 || this.ended, wait: () => this.fill() }),
      drop: () => this.cancel(),
    });
  }

  /** Read the next chunk (one read at a time). */
  private fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        while (!this.buf.byteLength && !this.ended && this.reader) {
          const { done, value } = await this.reader.read();
          if (done) {
            this.ended = true;
            // The 0.3 body ends with its error in the trailers: the guest's read fails with it.
            const t = (await this.trailers) as TrailersResult | undefined;
            if (t?.tag === 'err') this.failure = t.val;
          } else {
            this.buf = value;
          }
        }
      } catch (e) {
        this.ended = true;
        this.failure = { tag: 'internal-error', val: String(e) };
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  private cancel(): void {
    if (!this.ended && this.reader) void this.reader.cancel().catch(() => {});
    this.ended = true;
    this.reader = null;
  }

  stream(): Result<unknown, undefined> {
    const i = this.input;
    if (!i) return ERR;
    this.input = null;
    return ok(i);
  }

  static finish(self: IncomingBody): FutureTrailers {
    self.cancel(); // what the guest did not read is not wanted
    return new FutureTrailers(self.trailers);
  }

  [Symbol.dispose](): void { if (this.input) this.cancel(); }
}

/** A 0.2 future resource on a Promise: its pollable waits on it; get() gives its value once. */
class Future<T> {
  private value: { v: T } | null = null;
  protected taken = false;
  constructor(protected readonly p: PromiseLike<T>) { Promise.resolve(p).then((v) => { this.value = { v }; }, () => {}); }
  subscribe() { return pollable(Promise.resolve(this.p)); }
  get(): Result<T, undefined> | undefined {
    if (!this.value) return undefined;
    if (this.taken) return ERR;
    this.taken = true;
    return ok(this.value.v);
  }
}

/** wasi:http/types#future-trailers */
class FutureTrailers extends Future<Result<Fields | undefined, ErrorCode>> {
  constructor(t: PromiseLike<unknown>) {
    super(Promise.resolve(t).then((r) => {
      const v = (r as TrailersResult | undefined) ?? ok(undefined);
      return v.tag === 'ok' ? ok(v.val ? new Fields(v.val) : undefined) : v;
    }, () => ok(undefined)));
  }
}

/** What 0.2's incoming request and response share: a 0.3 message's headers and body. */
abstract class Incoming<M extends Request | Response> {
  constructor(protected readonly r: M) {}
  headers(): Fields { return new Fields(this.r.headers.view()); }
  consume(): Result<IncomingBody, undefined> {
    if (this.r.consumed) return ERR;
    const [body, trailers] = this.r.takeBody(null);
    return ok(new IncomingBody(readable(body), trailers));
  }
  [Symbol.dispose](): void { this.r[Symbol.dispose](); }
}

/** wasi:http/types#incoming-response: a 0.3 response (fetch()'s) under 0.2's names. */
class IncomingResponse extends Incoming<Response> {
  status(): number { return this.r.status; }
}

/** wasi:http/types#future-incoming-response */
class FutureIncomingResponse extends Future<Result<IncomingResponse, ErrorCode>> {
  /** Dropped before its response was taken: the response's body is not wanted. */
  [Symbol.dispose](): void {
    if (!this.taken) void Promise.resolve(this.p).then((r) => { if (!this.taken && r.tag === 'ok') r.val[Symbol.dispose](); });
  }
}

/** wasi:http/types#incoming-request: a 0.3 request (the page's) under 0.2's names. */
class IncomingRequest extends Incoming<Request> {
  method(): Method { return this.r.method; }
  pathWithQuery(): string | undefined { return this.r.pathWithQuery; }
  scheme(): Scheme | undefined { return this.r.scheme; }
  authority(): string | undefined { return this.r.authority; }
}

/** A message's body, once the guest asks for it (no body: an empty one). */
abstract class Outgoing {
  out: OutgoingBody | null = null;
  body(): Result<OutgoingBody, undefined> {
    if (this.out) return ERR;
    this.out = new OutgoingBody();
    return ok(this.out);
  }
  /** The body and trailers as 0.3 holds them. */
  contents(): [ReadableStream<Uint8Array> | undefined, Promise<TrailersResult>] {
    return this.out ? [this.out.stream, this.out.trailers] : [undefined, Promise.resolve(ok(undefined))];
  }
}

/** wasi:http/types#outgoing-request: a 0.3 request, sent by outgoing-handler.handle. */
class OutgoingRequest extends Outgoing {
  readonly r: Request;
  constructor(headers: Fields) {
    super();
    this.r = new Request(headers.f, undefined, Promise.resolve(ok(undefined)), new Transmission());
  }
  method(): Method { return this.r.method; }
  setMethod(m: Method) { return this.r.setMethod(m); }
  pathWithQuery(): string | undefined { return this.r.pathWithQuery; }
  setPathWithQuery(p: string | undefined) { return this.r.setPathWithQuery(p); }
  scheme(): Scheme | undefined { return this.r.scheme; }
  setScheme(s: Scheme | undefined) { return this.r.setScheme(s); }
  authority(): string | undefined { return this.r.authority; }
  setAuthority(a: string | undefined) { return this.r.setAuthority(a); }
  headers(): Fields { return new Fields(this.r.headers.view()); }
}

/** wasi:http/types#outgoing-response */
class OutgoingResponse extends Outgoing {
  status = 200;
  constructor(readonly h: Fields) { super(); h.f.immutable = true; }
  statusCode(): number { return this.status; }
  setStatusCode(s: number): Result<undefined, undefined> {
    if (!(s >= 100 && s <= 599)) return ERR;
    this.status = s;
    return ok(undefined);
  }
  headers(): Fields { return new Fields(this.h.f.view()); }
}

/** wasi:http/types#response-outparam: the handler's answer, once set. */
class ResponseOutparam {
  constructor(readonly answer: (r: Result<OutgoingResponse, ErrorCode>) => void) {}
  sendInformational(): Result<undefined, ErrorCode> {
    return err({ tag: 'internal-error', val: 'informational responses are not supported' });
  }
  static set(self: ResponseOutparam, r: Result<OutgoingResponse, ErrorCode>): void { self.answer(r); }
}

for (const c of [Fields, RequestOptions, OutgoingBody, IncomingBody, FutureTrailers, IncomingResponse,
  FutureIncomingResponse, IncomingRequest, OutgoingRequest, OutgoingResponse, ResponseOutparam]) {
  // Every call returns at once (waits are pollables): plain imports, no JSPI suspension.
  neverSuspends(c);
  for (let o: object | null = c.prototype; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (k !== 'constructor' && typeof d?.value === 'function') neverSuspends(d.value as object);
    }
  }
  for (const k of Object.getOwnPropertyNames(c)) {
    const d = Object.getOwnPropertyDescriptor(c, k);
    if (typeof d?.value === 'function') neverSuspends(d.value as object);
  }
}

/** outgoing-handler.handle: the request goes out through 0.3's send; the guest may still be
 * writing its body (send waits for it). */
function handle(state: ComponentState, req: OutgoingRequest, options: RequestOptions | undefined): Result<FutureIncomingResponse, ErrorCode> {
  const r = req.r;
  [r.contents, r.trailers] = req.contents();
  if (options) r.options = new Options3(true, options.o);
  const sent = send(state, r).then((res) => {
    // A body that was not read (the request failed first) is cancelled: its writer sees closed.
    if (req.out && !req.out.stream.locked) void req.out.stream.cancel();
    return res.tag === 'ok' ? ok(new IncomingResponse(res.val)) : res;
  });
  return ok(new FutureIncomingResponse(sent));
}

/** The component's exported incoming-handler, if it has one (0.2.x). */
export function incomingHandlerExport(instance: Instance): string | null {
  for (const name of instance.exports.keys()) if (/^wasi:http\/incoming-handler@0\.2\./.test(name)) return name;
  return null;
}

/** Run a 0.2 handler on one request: the response is the one it sets in its outparam (it may
 * go on writing the body after, in the same call); a handler that returns without setting one
 * answers 500, a trap before it rejects. */
export async function serve(instance: Instance, sreq: ServedRequest, name: string): Promise<ServedResponse> {
  let answer!: (r: Result<OutgoingResponse, ErrorCode>) => void;
  const answered = new Promise<Result<OutgoingResponse, ErrorCode>>((r) => { answer = r; });
  const call = instance.call([name, 'handle'], new IncomingRequest(servedRequest(sreq)), new ResponseOutparam(answer));
  const ended = call.then(() => err<ErrorCode>({ tag: 'internal-error', val: 'the handler returned without setting a response' }));
  const r = await Promise.race([answered, ended]);
  if (r.tag === 'err') return failed(r.val);
  // A trap after the answer: the body ends as failed (and the server learns of it: `call`).
  call.catch((e: unknown) => r.val.out?.fail(String(e)));
  const [body, trailers] = r.val.contents();
  const res = new Response(r.val.h.f, body, trailers, new Transmission());
  res.status = r.val.status;
  const served = respond(res);
  served.call = call;
  return served;
}

/** The package's interfaces as import objects, for one component. */
export function http(state: ComponentState): Record<string, object> {
  return {
    types: {
      Fields, RequestOptions, OutgoingBody, IncomingBody, FutureTrailers, IncomingResponse,
      FutureIncomingResponse, IncomingRequest, OutgoingRequest, OutgoingResponse, ResponseOutparam,
      httpErrorCode: neverSuspends((e: object): ErrorCode | undefined => CODES.get(e)),
    },
    'outgoing-handler': { handle: neverSuspends((req: OutgoingRequest, o: RequestOptions | undefined) => handle(state, req, o)) },
  };
}
