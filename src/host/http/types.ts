// wasi:http/types@0.3.0: fields, request, request-options and response as JS classes (a
// resource's methods are its prototype's). Headers are held lower-cased (as wasmtime's `http`
// crate holds them); a request's or response's headers, and options given to a request, are
// immutable views. Bodies are whatever the host was given for a stream<u8> (a guest's
// StreamReader, passed on as it is, or a ReadableStream from fetch()), never read here.
import { neverSuspends, StreamReader, type FutureReader } from '../../runtime/index.js';

export type Result<T = undefined, E = undefined> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };
export const ok = <T>(val: T): Result<T, never> => ({ tag: 'ok', val });
export const err = <E>(val: E): Result<never, E> => ({ tag: 'err', val });
const OK: Result<undefined, never> = { tag: 'ok', val: undefined };
const ERR: Result<never, undefined> = { tag: 'err', val: undefined };

// Header values cross as byte strings (fetch's Headers holds them so): one char a byte. A
// string with a wider char (only the host's own code could pass one) goes as UTF-8.
const utf8 = new TextEncoder();
function latin1(v: string): Uint8Array {
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 0xff) return utf8.encode(v);
    out[i] = c;
  }
  return out;
}
function fromLatin1(v: Uint8Array): string {
  let s = '';
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]!);
  return s;
}

export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };
export type HeaderError = { tag: 'invalid-syntax' | 'forbidden' | 'immutable' | 'size-exceeded' } | { tag: 'other'; val?: string };
export type RequestOptionsError = { tag: 'not-supported' | 'immutable' } | { tag: 'other'; val?: string };
type FieldSize = { fieldName?: string; fieldSize?: number };
/** The WIT's error-code variant (cases as the WIT spells them). */
export type ErrorCode =
  | { tag: 'DNS-timeout' | 'destination-not-found' | 'destination-unavailable' | 'destination-IP-prohibited'
      | 'destination-IP-unroutable' | 'connection-refused' | 'connection-terminated' | 'connection-timeout'
      | 'connection-read-timeout' | 'connection-write-timeout' | 'connection-limit-reached' | 'TLS-protocol-error'
      | 'TLS-certificate-error' | 'HTTP-request-denied' | 'HTTP-request-length-required' | 'HTTP-request-method-invalid'
      | 'HTTP-request-URI-invalid' | 'HTTP-request-URI-too-long' | 'HTTP-response-incomplete' | 'HTTP-response-timeout'
      | 'HTTP-upgrade-failed' | 'HTTP-protocol-error' | 'loop-detected' | 'configuration-error' }
  | { tag: 'DNS-error'; val: { rcode?: string; infoCode?: number } }
  | { tag: 'TLS-alert-received'; val: { alertId?: number; alertMessage?: string } }
  | { tag: 'HTTP-request-body-size' | 'HTTP-response-body-size'; val?: bigint }
  | { tag: 'HTTP-request-header-section-size' | 'HTTP-request-trailer-section-size' | 'HTTP-response-header-section-size' | 'HTTP-response-trailer-section-size'; val?: number }
  | { tag: 'HTTP-request-header-size'; val?: FieldSize }
  | { tag: 'HTTP-request-trailer-size' | 'HTTP-response-header-size' | 'HTTP-response-trailer-size'; val: FieldSize }
  | { tag: 'HTTP-response-transfer-coding' | 'HTTP-response-content-coding'; val?: string }
  | { tag: 'internal-error'; val?: string };

/** What a body's trailers future carries. */
export type TrailersResult = Result<Fields | undefined, ErrorCode>;
/** A body's contents as the host holds them: a guest's stream, or bytes from the host. */
export type Contents = StreamReader | ReadableStream<Uint8Array> | undefined;
/** A trailers future as the host holds it: a guest's future, or a Promise of the host's. */
export type TrailersSource = FutureReader | PromiseLike<TrailersResult>;

// RFC 9110 5.6.2: a token. Field values: VCHAR, obs-text, SP and HTAB.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const validValue = (v: Uint8Array): boolean => {
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    if (b < 0x20 ? b !== 0x09 : b === 0x7f) return false;
  }
  return true;
};
/** Fields no component may set (wasmtime's list: hop-by-hop and connection-level fields). */
export const FORBIDDEN_FIELDS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
  'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host', 'te']);

/** Why a field may not be set (null: it may). */
function fieldProblem(name: string, values: Uint8Array[]): HeaderError | null {
  if (!TOKEN.test(name)) return { tag: 'invalid-syntax' };
  if (FORBIDDEN_FIELDS.has(name.toLowerCase())) return { tag: 'forbidden' };
  for (const v of values) if (!validValue(v)) return { tag: 'invalid-syntax' };
  return null;
}

const bytes = (v: Uint8Array | ArrayLike<number>): Uint8Array => (v instanceof Uint8Array ? v : Uint8Array.from(v));

/** wasi:http/types#fields. `entries` may be shared by immutable views (a request's headers). */
export class Fields {
  /** [lower-cased name, value] in insertion order. */
  entries: [string, Uint8Array][];
  immutable: boolean;

  constructor(entries: [string, Uint8Array][] = [], immutable = false) {
    this.entries = entries;
    this.immutable = immutable;
  }

  /** Fields from the host's own list (names and values already valid), e.g. fetch()'s headers. */
  static fromHeaders(list: Iterable<[string, string]>, immutable = false): Fields {
    return new Fields([...list].map(([k, v]) => [k.toLowerCase(), latin1(v)]), immutable);
  }

  static fromList(list: [string, Uint8Array][]): Result<Fields, HeaderError> {
    const out: [string, Uint8Array][] = [];
    for (const [name, value] of list) {
      const bad = fieldProblem(name, [value]);
      if (bad) return err(bad);
      out.push([name.toLowerCase(), bytes(value)]);
    }
    return ok(new Fields(out));
  }

  get(name: string): Uint8Array[] {
    const n = name.toLowerCase();
    return this.entries.filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name: string): boolean {
    const n = name.toLowerCase();
    return this.entries.some(([k]) => k === n);
  }

  set(name: string, values: Uint8Array[]): Result<undefined, HeaderError> {
    if (this.immutable) return err({ tag: 'immutable' });
    const bad = fieldProblem(name, values);
    if (bad) return err(bad);
    const n = name.toLowerCase();
    const at = this.entries.findIndex(([k]) => k === n);
    const rest = this.entries.filter(([k]) => k !== n);
    const added = values.map((v): [string, Uint8Array] => [n, bytes(v)]);
    rest.splice(at < 0 ? rest.length : at, 0, ...added);
    this.entries = rest;
    return OK;
  }

  delete(name: string): Result<undefined, HeaderError> {
    const r = this.getAndDelete(name);
    return r.tag === 'ok' ? OK : r;
  }

  getAndDelete(name: string): Result<Uint8Array[], HeaderError> {
    if (!TOKEN.test(name)) return err({ tag: 'invalid-syntax' });
    if (this.immutable) return err({ tag: 'immutable' });
    const got = this.get(name);
    const n = name.toLowerCase();
    if (got.length) this.entries = this.entries.filter(([k]) => k !== n);
    return ok(got);
  }

  append(name: string, value: Uint8Array): Result<undefined, HeaderError> {
    if (this.immutable) return err({ tag: 'immutable' });
    const bad = fieldProblem(name, [value]);
    if (bad) return err(bad);
    this.entries.push([name.toLowerCase(), bytes(value)]);
    return OK;
  }

  copyAll(): [string, Uint8Array][] { return this.entries.map(([k, v]) => [k, v]); }

  /** A mutable copy. */
  clone(): Fields { return new Fields(this.copyAll()); }

  /** An immutable view of the same entries (a new resource: each own handle is its own object). */
  view(): Fields { return new Fields(this.entries, true); }

  /** As text pairs, for fetch() and node. */
  pairs(): [string, string][] {
    return this.entries.map(([k, v]) => [k, fromLatin1(v)]);
  }

  [Symbol.dispose](): void {}
}

/** wasi:http/types#request-options: timeouts in nanoseconds. */
export class RequestOptions {
  connectTimeout: bigint | undefined;
  firstByteTimeout: bigint | undefined;
  betweenBytesTimeout: bigint | undefined;
  constructor(readonly immutable = false, from?: RequestOptions) {
    this.connectTimeout = from?.connectTimeout;
    this.firstByteTimeout = from?.firstByteTimeout;
    this.betweenBytesTimeout = from?.betweenBytesTimeout;
  }
  getConnectTimeout(): bigint | undefined { return this.connectTimeout; }
  getFirstByteTimeout(): bigint | undefined { return this.firstByteTimeout; }
  getBetweenBytesTimeout(): bigint | undefined { return this.betweenBytesTimeout; }
  private put(k: 'connectTimeout' | 'firstByteTimeout' | 'betweenBytesTimeout', d: bigint | undefined): Result<undefined, RequestOptionsError> {
    if (this.immutable) return err({ tag: 'immutable' });
    this[k] = d;
    return OK;
  }
  setConnectTimeout(d: bigint | undefined) { return this.put('connectTimeout', d); }
  setFirstByteTimeout(d: bigint | undefined) { return this.put('firstByteTimeout', d); }
  setBetweenBytesTimeout(d: bigint | undefined) { return this.put('betweenBytesTimeout', d); }
  clone(): RequestOptions { return new RequestOptions(false, this); }
  [Symbol.dispose](): void {}
}

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'] as const;

const BY_NAME = new Map<string, Method['tag']>(METHODS.map((m) => [m.toUpperCase(), m]));
/** A method as the WIT's variant (a standard name in `other` becomes its own case). */
export function methodOf(name: string): Method {
  const m = BY_NAME.get(name);
  return m ? { tag: m } as Method : { tag: 'other', val: name };
}
export const methodName = (m: Method): string => (m.tag === 'other' ? m.val : m.tag.toUpperCase());

const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/;
// RFC 3986: pchar, plus '/' and '?' (a query), and raw UTF-8 (it happens).
const PATH = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@/?\u0080-\u{10ffff}]*$/u;
// [userinfo@]host[:port]: reg-name or an IP literal, port digits.
const AUTHORITY = /^(?:[A-Za-z0-9\-._~%!$&'()*+,;=:]*@)?(?:[A-Za-z0-9\-._~%!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?$/;

/** A body's sender: told how transmitting the body ended (request.new's and response.new's future). */
export class Transmission {
  readonly done: Promise<Result<undefined, ErrorCode>>;
  private settle!: (r: Result<undefined, ErrorCode>) => void;
  private settled = false;
  constructor() { this.done = new Promise((r) => { this.settle = r; }); }
  finish(r: Result<undefined, ErrorCode>): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(r);
  }
  /** The value of a consumer's `res` future, once it has one. */
  follow(res: PromiseLike<unknown>): void {
    // Its then() at once, not a microtask later as Promise.resolve would: the host's read is
    // pending before the guest writes, so the guest's write completes without waiting.
    res.then((v) => this.finish((v as Result<undefined, ErrorCode>) ?? OK), () => this.finish(OK));
  }
}

/** No body, lowered for a guest: an empty list of chunks is a stream that ends at once (no
 * ReadableStream to make and pump: fromHostStream ends it before the guest reads). */
export const NO_BODY: readonly Uint8Array[] = Object.freeze([]);

/** A body a guest gave back as the host holds it: null for the host's own NO_BODY, passed
 * through unread (an echo of a request without one has none either). */
export const bodyOf = (c: StreamReader | ReadableStream<Uint8Array> | null): StreamReader | ReadableStream<Uint8Array> | null =>
  (c instanceof StreamReader && c.origin === NO_BODY ? null : c);

/** What request and response share: headers, a body, its trailers, and its sender's future. */
abstract class Message {
  headers: Fields;
  consumed = false;
  constructor(headers: Fields, public contents: Contents, public trailers: TrailersSource, readonly sent: Transmission) {
    headers.immutable = true;
    this.headers = headers;
  }
  getHeaders(): Fields { return this.headers.view(); }
  /** The body (null: there is none) and a future of its trailers; `res` tells the sender how
   * it went. */
  takeBody(res: PromiseLike<unknown> | null): [StreamReader | ReadableStream<Uint8Array> | null, PromiseLike<unknown>] {
    this.consumed = true;
    if (res) this.sent.follow(res);
    const body = bodyOf(this.contents ?? null);
    this.contents = undefined;
    return [body, this.trailers];
  }

  /** consume-body for a guest: no body is a stream that ends at once. */
  protected static consume(self: Message, res: FutureReader): [StreamReader | ReadableStream<Uint8Array> | readonly Uint8Array[], PromiseLike<unknown>] {
    const [body, trailers] = self.takeBody(res);
    return [body ?? NO_BODY, trailers];
  }
  [Symbol.dispose](): void {
    // Dropped unsent: its sender learns that nothing was transmitted.
    if (!this.consumed) {
      if (this.contents && !(this.contents instanceof ReadableStream)) this.contents.cancel();
      else if (this.contents) void this.contents.cancel().catch(() => {});
      this.sent.finish(err({ tag: 'internal-error', val: 'the message was dropped before its body was sent' }));
    }
  }
}

/** wasi:http/types#request */
export class Request extends Message {
  method: Method = { tag: 'get' };
  pathWithQuery: string | undefined;
  scheme: Scheme | undefined;
  authority: string | undefined;
  options: RequestOptions | undefined;

  static new(headers: Fields, contents: StreamReader | undefined, trailers: FutureReader, options: RequestOptions | undefined): [Request, Promise<Result<undefined, ErrorCode>>] {
    const r = new Request(headers, contents, trailers, new Transmission());
    if (options) r.options = new RequestOptions(true, options);
    return [r, r.sent.done];
  }

  getMethod(): Method { return this.method; }
  setMethod(m: Method): Result {
    const name = methodName(m);
    if (!TOKEN.test(name)) return ERR;
    this.method = methodOf(name);
    return OK;
  }
  getPathWithQuery(): string | undefined { return this.pathWithQuery; }
  setPathWithQuery(p: string | undefined): Result {
    if (p === undefined) { this.pathWithQuery = undefined; return OK; }
    if (!PATH.test(p)) return ERR;
    this.pathWithQuery = p === '' && this.method.tag !== 'options' ? '/' : p;
    return OK;
  }
  getScheme(): Scheme | undefined { return this.scheme; }
  setScheme(s: Scheme | undefined): Result {
    if (s === undefined) { this.scheme = undefined; return OK; }
    if (s.tag !== 'other') { this.scheme = s; return OK; }
    if (!SCHEME.test(s.val)) return ERR;
    this.scheme = s.val === 'http' ? { tag: 'HTTP' } : s.val === 'https' ? { tag: 'HTTPS' } : s;
    return OK;
  }
  getAuthority(): string | undefined { return this.authority; }
  setAuthority(a: string | undefined): Result {
    if (a !== undefined && !AUTHORITY.test(a)) return ERR;
    this.authority = a;
    return OK;
  }
  getOptions(): RequestOptions | undefined { return this.options && new RequestOptions(true, this.options); }

  static consumeBody(self: Request, res: FutureReader) { return Message.consume(self, res); }
}

/** wasi:http/types#response */
export class Response extends Message {
  status = 200;

  static new(headers: Fields, contents: StreamReader | undefined, trailers: FutureReader): [Response, Promise<Result<undefined, ErrorCode>>] {
    const r = new Response(headers, contents, trailers, new Transmission());
    return [r, r.sent.done];
  }

  getStatusCode(): number { return this.status; }
  setStatusCode(s: number): Result {
    if (!(s >= 100 && s <= 599)) return ERR;
    this.status = s;
    return OK;
  }

  static consumeBody(self: Response, res: FutureReader) { return Message.consume(self, res); }
}

/** Every function here returns at once (a future's Promise is its value, not a wait): the guest
 * calls them as plain imports, without a JSPI suspension. */
function plain(cls: object): void {
  neverSuspends(cls);
  for (const o of [cls, (cls as { prototype: object }).prototype]) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (k !== 'constructor' && typeof d?.value === 'function') neverSuspends(d.value as object);
    }
  }
}
for (const c of [Fields, Request, Response, RequestOptions]) plain(c);
// Methods inherited from Message.
plain(Object.getPrototypeOf(Request));

export function types() {
  return { Fields, Request, Response, RequestOptions };
}
