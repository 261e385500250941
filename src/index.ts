// wasip3-web: run a WASI 0.3 component in a Web Worker from a web page.
import * as Comlink from 'comlink';
import { PortWriter, portReadable, portReceive, pumpToPort, sendBody } from './channel/byte-port.js';
import { HandlerClient } from './channel/handler-port.js';
import type { ComponentWorkerApi, ErrorKind, ExportInfo, HostEvent, HttpRequestWire, LoadRequest, Progress, ServiceWorkerMessage, StreamStats, WireError } from './channel/protocol.js';
import { GrantError, checkGrants, type Grants } from './host/grants.js';
import { network } from './page/network.js';
import { compileCoreModules, fetchComponent } from './page/source.js';
import { Failure } from './page/failure.js';
import { futureResult, setPageWindow } from './channel/page-ends.js';
import { DEFAULT_STREAM_WINDOW } from './channel/ends.js';
import { ringsAvailable } from './channel/sab-ring.js';

export type { Progress, LoadPhase, ErrorKind, HostEvent, StreamStats } from './channel/protocol.js';
export type { Grants, KeyvalueGrant, MessagingGrant, PreopenGrant, HttpGrant, HttpHandlerSource } from './host/grants.js';
export { GrantError } from './host/grants.js';
export { openBucket, type KeyvalueBucket, type BucketChange, type OpenBucketOptions } from './page/keyvalue.js';
export { openDirectory, type PageDirectory, type DirectoryEntry } from './page/filesystem.js';
export { messaging, type PageMessage, type PublishOptions, type RequestOptions, type Subscription } from './page/messaging.js';
export { network, type PageConnection } from './page/network.js';
export type { HostNetBridge, HostNetEvent, HostNetRequest, HostNetReply, HostAddress } from './channel/protocol.js';

/** What went wrong in a component, by kind: 'trap' (it is gone), 'link' (an import is missing or
 * mistyped), 'invalid', 'malformed' (not a valid component), 'denied', 'terminated', 'error'. */
export class ComponentError extends Error {
  constructor(readonly kind: ErrorKind | 'terminated', message: string, name = 'ComponentError', stack?: string) {
    super(message);
    this.name = name; // the worker's class name (Trap, LinkError, MalformedError, ...)
    if (stack) this.stack = stack;
  }
}

const isWireError = (e: unknown): e is WireError => typeof e === 'object' && e !== null && 'wasip3WebError' in e;
/** A worker's error as the page's ComponentError. */
const fromWire = (e: unknown): unknown => (isWireError(e) ? new ComponentError(e.wasip3WebError, e.message, e.name, e.stack) : e);

/** Where a component comes from: a URL, bytes, or a fetch Response. */
export type ComponentSource = string | URL | ArrayBuffer | Uint8Array | Response;

/** A callback that borrows each chunk it is given: see borrow(). */
export interface BorrowingSink { readonly borrow: (chunk: Uint8Array) => void | Promise<void> }

/** Where output bytes go: a WritableStream or a callback, each given chunks it owns; a
 * borrow(callback), given chunks it must not keep (the fastest); 'pipe', a ReadableStream on
 * the handle (ComponentHandle.stdout/stderr). The default is the console, by line. */
export type OutputTarget = WritableStream<Uint8Array> | ((chunk: Uint8Array) => void) | BorrowingSink | 'pipe';

/** Mark an output callback as borrowing its chunks: each is valid until the callback returns
 * (or the Promise it returns settles) and its memory is then reused for later output, so
 * copy what you keep (chunk.slice()). Bytes then cross from the worker without new memory. */
export function borrow(callback: (chunk: Uint8Array) => void | Promise<void>): BorrowingSink {
  return { borrow: callback };
}

/** Options of loadComponent: what the component sees, where its output goes, and what it is
 * granted (Grants: keyvalue buckets, messaging topics, preopens, http origins and a wired handler,
 * sockets). */
export interface LoadOptions extends Grants {
  /** The component's arguments (wasi:cli/environment get-arguments). */
  args?: string[];
  /** Its environment variables. */
  env?: Record<string, string>;
  /** Its initial working directory, if any. */
  cwd?: string;
  /** Its stdin: text, bytes or a stream of bytes. */
  stdin?: string | Uint8Array | ReadableStream<Uint8Array>;
  /** Where its stdout goes (default: console.log, line by line). */
  stdout?: OutputTarget;
  /** Where its stderr goes (default: console.error, line by line). */
  stderr?: OutputTarget;
  /** Called as the component is fetched, compiled and instantiated. */
  onProgress?: (p: Progress) => void;
  /** Called when a host package reports something (a messaging overflow, a handler's trap). */
  onEvent?: (e: HostEvent) => void;
  /** The component worker's script (default: beside this module, or the script tag's URL). */
  workerUrl?: string | URL;
  /** Bytes a stream<u8> crossing to or from this component may have in flight, written and not
   * yet read (default 1 MiB); the writer waits beyond it. */
  streamWindow?: number;
  /** How the bytes of a stream<u8> this component sends cross to another thread:
   * - `'auto'` (default): a SharedArrayBuffer ring when the page is `crossOriginIsolated`
   *   (served with `Cross-Origin-Opener-Policy: same-origin` and
   *   `Cross-Origin-Embedder-Policy: require-corp`), else a MessagePort;
   * - `'port'`: always a MessagePort (transferred buffers, credit messages);
   * - `'shared-memory'`: always the ring; loading fails on a page that is not isolated.
   * Either way the same window bounds what is written and not yet read. */
  transport?: StreamTransport;
}

/** LoadOptions.transport. */
export type StreamTransport = 'auto' | 'port' | 'shared-memory';

/** A function exported by a component, called with jco's JS value mapping. */
export type ExportedFunction = (...args: unknown[]) => Promise<unknown>;

/** A component's exports as the page calls them: interfaces by name, each an object of
 * camelCase functions; top-level functions directly. */
export type ComponentExports = Record<string, ExportedFunction | Record<string, ExportedFunction>>;

/** A component's URL that carries the types of its exports: what `import app from
 * './app.wasm?component'` gives with the wasip3-web/vite plugin. */
export type ComponentUrl<Exports = ComponentExports> = string & { readonly __componentExports?: Exports };

/** A running component in its own worker; Exports types its exports (see ComponentUrl). */
export interface ComponentHandle<Exports = ComponentExports> {
  /** Run a command component (wasi:cli/run@0.3.x, else 0.2.x): ok is 0, err is 1, exit gives its code. */
  run(): Promise<{ exitCode: number }>;
  /** Its exports: interfaces by name ('ns:pkg/iface'), each an object of camelCase functions;
   * top-level functions directly. */
  readonly exports: Exports;
  /** Its stdout as a readable byte stream, when the stdout option is 'pipe' (else null). Read it
   * while run() is pending: the component waits once 4 MiB are unread (the port's window).
   * A BYOB reader (getReader({ mode: 'byob' })) is the fastest way to read: the bytes are copied
   * into its buffer and the memory they came in goes back to the worker to be filled again. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** Its stderr likewise, when the stderr option is 'pipe'. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Serve a request with the component's exported wasi:http handler (wasi:http/handler@0.3.x,
   * or wasi:http/incoming-handler@0.2.x), as a Service Worker's fetch would: the request body
   * streams in and the response body streams out as the component writes it. An error-code
   * from the handler is a 500 naming it; a trap rejects (and ends the component). */
  fetch(request: Request): Promise<Response>;
  /** Stop the component and its worker. */
  terminate(): void;
  /** The counters of the streams the component's worker has sent out (the last 16). */
  streamStats(): Promise<StreamStats[]>;
}

let defaultWorkerUrl: string | URL | null = null;
/** Set where the component worker script lives (the script-tag build does this itself). */
export function setWorkerUrl(url: string | URL): void {
  defaultWorkerUrl = url;
}

/** How long terminate() lets host packages close what they opened before the worker ends. */
const DISPOSE_MS = 250;

const WORKER_OPTIONS: WorkerOptions = { type: 'module', name: 'wasip3-web component' };

/** The component worker: the TypeScript source under a dev server, the built file beside this
 * module (or beside the script tag's script) otherwise. */
function startWorker(url: string | URL | null | undefined): Worker {
  if (url) return workerAt(new URL(url, globalThis.location?.href));
  // The form bundlers recognise (Vite, webpack 5): they emit the worker and rewrite this URL.
  // Beside dist/wasip3-web.js it is dist/component-worker.js; the repo's dev servers map it
  // to workers/component-worker.ts.
  return new Worker(new URL('./component-worker.js', import.meta.url), { type: 'module', name: 'wasip3-web component' });
}

/** A worker from its script's URL. A worker script must be same-origin: one on another origin
 * (a CDN, which serves scripts with CORS headers) is started by a same-origin module blob that
 * imports it; its chunks then load from beside it. */
function workerAt(url: URL): Worker {
  if (!globalThis.location || url.origin === globalThis.location.origin || url.protocol === 'blob:' || url.protocol === 'data:') {
    return new Worker(url, WORKER_OPTIONS);
  }
  const boot = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
  setTimeout(() => URL.revokeObjectURL(boot), 60_000); // long after the worker has read it
  return new Worker(boot, WORKER_OPTIONS);
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function lineSink(log: (line: string) => void): (chunk: Uint8Array) => void {
  const dec = new TextDecoder();
  let pending = '';
  return (chunk) => {
    pending += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      log(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  };
}

/** Drain a byte port into the caller's target: a WritableStream's backpressure reaches the
 * component through the port's credit. */
async function drain(port: MessagePort, target: Exclude<OutputTarget, 'pipe'> | undefined, log: (line: string) => void, signal: AbortSignal): Promise<void> {
  if (target instanceof WritableStream) {
    const w = target.getWriter();
    try {
      await portReceive(port, (chunk) => w.write(chunk), false, signal);
    } catch (e) {
      await w.abort(e).catch(() => {});
      throw e;
    }
    await w.close();
  } else if (typeof target === 'function') {
    await portReceive(port, (chunk) => { target(chunk); }, false, signal);
  } else if (target) {
    await portReceive(port, target.borrow, true, signal);
  } else {
    // The console sink decodes each chunk before it returns, so the buffer can go back.
    await portReceive(port, lineSink(log), true, signal);
  }
}

function stdinStream(stdin: LoadOptions['stdin']): ReadableStream<Uint8Array> {
  if (stdin instanceof ReadableStream) return stdin;
  // A copy: the chunk is transferred to the worker, and the caller's bytes stay theirs.
  const bytes = typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin!.slice();
  return new ReadableStream({ start(c) { if (bytes.byteLength) c.enqueue(bytes); c.close(); } });
}

/** For each handle loadComponent made: a new port on which its worker serves its exported
 * wasi:http handler (src/channel/handler-port.ts), for the page to hand to a caller. */
const handlerPorts = new WeakMap<object, () => Promise<MessagePort>>();

/** A port serving the exported handler of `handle`, one of this page's component handles. */
function handlerPortOf(handle: object, what: string): Promise<MessagePort> {
  const open = handlerPorts.get(handle);
  if (!open) throw new GrantError(`${what} must be a component handle from loadComponent`);
  return open();
}

/** Whether a component's streams go through shared rings (LoadOptions.transport). */
function sharedMemory(transport: StreamTransport = 'auto'): boolean {
  if (transport === 'port') return false;
  if (transport === 'auto') return ringsAvailable();
  if (transport !== 'shared-memory') throw new TypeError(`transport must be 'auto', 'port' or 'shared-memory', not ${JSON.stringify(transport)}`);
  if (!ringsAvailable()) {
    throw new TypeError("transport 'shared-memory' needs a crossOriginIsolated page (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp) and Atomics.waitAsync");
  }
  return true;
}

/** Load a WASI 0.3 (or 0.2) component into a new Web Worker and link it against the browser host.
 * Rejects with a ComponentError whose kind says why when it cannot. */
export async function loadComponent<Exports = ComponentExports>(source: ComponentUrl<Exports> | ComponentSource, options: LoadOptions = {}): Promise<ComponentHandle<Exports>> {
  const grants = checkGrants(options);
  // The wired handler (the middleware world) is asked for its port before anything starts.
  const wired = options.http?.handler ? await handlerPortOf(options.http.handler, 'http.handler') : null;
  const req: Partial<LoadRequest> = {
    httpHandler: wired,
    args: options.args ?? [],
    env: Object.entries(options.env ?? {}),
    cwd: options.cwd ?? null,
    grants,
    streamWindow: options.streamWindow ?? DEFAULT_STREAM_WINDOW,
    sharedMemory: sharedMemory(options.transport),
  };
  if (req.grants!.sockets === 'host' && !network.inherited) {
    throw new GrantError("sockets: 'host' needs the page's network to be the host's (network.inherit(bridge), as the CLI's --inherit-network does)");
  }

  // The worker starts first: its start-up is the longest part of a load, and the component is
  // fetched and its core modules compiled here meanwhile (src/page/source.ts).
  const worker = startWorker(options.workerUrl ?? defaultWorkerUrl);
  // A worker that fails to start or throws outside a call rejects whatever is pending.
  const failure = new Failure();
  worker.addEventListener('error', (e) => failure.fail(new Error(`component worker failed: ${e.message || 'could not start'}`)));
  try {
    req.bytes = source instanceof ArrayBuffer ? source.slice(0)
      : source instanceof Uint8Array ? source.slice().buffer
        : source instanceof Response ? await source.arrayBuffer()
          : await fetchComponent(new URL(String(source), globalThis.location?.href).href, options.onProgress);
    options.onProgress?.({ phase: 'fetch', loaded: req.bytes.byteLength, total: req.bytes.byteLength });
    options.onProgress?.({ phase: 'compile', loaded: 0, total: req.bytes.byteLength });
    req.modules = await compileCoreModules(new Uint8Array(req.bytes));
  } catch (e) {
    worker.terminate();
    throw new ComponentError('error', e instanceof Error ? e.message : String(e), e instanceof Error ? e.name : 'Error');
  }
  const api = Comlink.wrap<ComponentWorkerApi>(worker);
  const out = new MessageChannel();
  const err = new MessageChannel();
  const transfer: Transferable[] = [out.port2, err.port2];
  req.stdout = out.port2;
  req.stderr = err.port2;
  req.stdin = null;
  if (options.stdin !== undefined) {
    const inp = new MessageChannel();
    req.stdin = inp.port2;
    transfer.push(inp.port2);
    void pumpToPort(stdinStream(options.stdin), new PortWriter(inp.port1));
  }
  transfer.push(req.bytes);
  if (wired) transfer.push(wired);
  // Ending the worker (terminate(), a trap, a failed load) ends its output too: a pipe or a
  // WritableStream errors, and nothing waits for an end that cannot come.
  const ended = new AbortController();
  // A component granted sockets joins the page's network (loopback, or the host's) until its worker ends.
  if (req.grants!.sockets) {
    const net = new MessageChannel();
    req.network = net.port2;
    transfer.push(net.port2);
    ended.signal.addEventListener('abort', network.attach(net.port1));
  }
  const pipes = {
    stdout: options.stdout === 'pipe' ? portReadable(out.port1, ended.signal) : null,
    stderr: options.stderr === 'pipe' ? portReadable(err.port1, ended.signal) : null,
  };
  // run() settles once every byte has reached the caller's targets (a pipe is read at its
  // reader's pace, so run() does not wait for it).
  const outputDone = Promise.all([
    options.stdout === 'pipe' ? null : drain(out.port1, options.stdout, (l) => console.log(l), ended.signal),
    options.stderr === 'pipe' ? null : drain(err.port1, options.stderr, (l) => console.error(l), ended.signal),
  ]);
  outputDone.catch(() => {}); // awaited by run(); no unhandled rejection when nobody runs

  // Host events the handle acts on (a handler's trap ends the component), once it exists.
  let early: HostEvent | null = null;
  let onHostEvent = (e: HostEvent) => { if (e.type === 'handler-trap') early ??= e; };

  let infos: ExportInfo[];
  try {
    const progress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
    const events = Comlink.proxy((e: HostEvent) => { options.onEvent?.(e); onHostEvent(e); });
    infos = await failure.race(api.load(Comlink.transfer(req as LoadRequest, transfer), progress, events));
  } catch (e) {
    worker.terminate();
    ended.abort(new Error('the component failed to load'));
    throw fromWire(e);
  }

  let terminated = false;
  const terminate = () => {
    if (terminated) return;
    terminated = true;
    const gone = new ComponentError('terminated', 'the component was terminated');
    failure.fail(gone); // pending calls reject
    ended.abort(gone);
    // The host packages may close what they opened (briefly: a busy component is not waited for).
    const stop = () => { api[Comlink.releaseProxy](); worker.terminate(); };
    void Promise.race([api.dispose(), new Promise((r) => setTimeout(r, DISPOSE_MS))]).then(stop, stop);
  };
  // A trap poisons the component: its worker is ended, and the error goes to the caller. The
  // call starts only if the component is still there (an ended one's proxy is released).
  const guard = async <T>(start: () => Promise<T>): Promise<T> => {
    if (terminated) throw new ComponentError('terminated', 'the component was terminated');
    try {
      return await failure.race(start());
    } catch (e) {
      const err = fromWire(e);
      if (err instanceof ComponentError && err.kind === 'trap') terminate();
      throw err;
    }
  };

  // A handler the host called (an incoming message) trapped, or code that ran on after its
  // call returned did: pending calls reject with the trap, and the worker ends, as for a trap
  // in a call from the page.
  onHostEvent = (e) => {
    if (e.type !== 'handler-trap' || terminated) return;
    failure.fail(new ComponentError('trap', `${e.export}: ${e.message}`, 'Trap'));
    terminate();
  };
  if (early) onHostEvent(early);

  // Streams and futures in arguments and results cross as ports (src/channel/page-ends.ts);
  // those the page sends take this component's window.
  const window = options.streamWindow ?? DEFAULT_STREAM_WINDOW;
  const call = (path: string[], args: unknown[], future = false) => {
    setPageWindow(window);
    if (future) return futureResult((port) => guard(() => api.call(path, args, Comlink.transfer(port, [port]))));
    return guard(() => api.call(path, args));
  };
  const exports: ComponentExports = {};
  for (const info of infos) {
    if (info.kind === 'func') {
      const f: ExportedFunction = (...args) => call([info.name], args, info.future);
      exports[camel(info.name)] = f;
      if (camel(info.name) !== info.name) exports[info.name] = f;
    } else {
      const iface: Record<string, ExportedFunction> = {};
      for (const fn of info.funcs) iface[camel(fn)] = (...args) => call([info.name, fn], args, info.futures?.includes(fn));
      exports[info.name] = iface;
    }
  }

  // handle.fetch's requests go on a port of their own, opened at the first (HandlerCall): one
  // message each way; an 'error' reply carries the worker's WireError, which guard() reads.
  let httpClient: HandlerClient | null = null;
  const http = (wire: HttpRequestWire, transfer: Transferable[]) => {
    if (!httpClient) {
      const ch = new MessageChannel();
      api.httpPort(Comlink.transfer(ch.port2, [ch.port2])).catch(() => {}); // a dead worker fails guard() instead
      const client = httpClient = new HandlerClient(ch.port1);
      ended.signal.addEventListener('abort', () => client.close());
    }
    return httpClient.send(wire, transfer);
  };

  const handle: ComponentHandle<Exports> = {
    // Their types come from the component itself (ComponentUrl); the values are built above.
    exports: exports as Exports,
    ...pipes,
    async run() {
      const r = await guard(() => api.run());
      await outputDone;
      return r;
    },
    async fetch(request: Request) {
      const transfer: Transferable[] = [];
      const body = await sendBody(request.body, transfer);
      const wire = { method: request.method, url: request.url, headers: [...request.headers] as [string, string][], body };
      const r = await guard(() => http(wire, transfer));
      // A whole body (protocol.ts BodyWire) needs no stream.
      return new Response(r.body instanceof MessagePort ? portReadable(r.body, ended.signal) : r.body, { status: r.status, headers: r.headers });
    },
    terminate,
    streamStats: () => guard(() => api.streamStats()),
  };
  handlerPorts.set(handle, async () => {
    const ch = new MessageChannel();
    await guard(() => api.serveHandler(Comlink.transfer(ch.port2, [ch.port2])));
    return ch.port1;
  });
  return handle;
}

/** Options of serveFromServiceWorker: the Service Worker's scope, its script, and the
 * component's own (LoadOptions). */
export interface ServeOptions extends LoadOptions {
  /** The URLs the Service Worker answers: those under this path ('/app/'), relative to the page. */
  scope: string;
  /** The Service Worker script (default: service-worker.js beside this module). It must be
   * served from the scope's folder or above it, or with a `Service-Worker-Allowed` header. */
  serviceWorkerUrl?: string | URL;
}

/** A component that answers a Service Worker's fetches (serveFromServiceWorker). */
export interface ServiceWorkerServer<Exports = ComponentExports> {
  /** The component, in this page's worker. */
  readonly handle: ComponentHandle<Exports>;
  readonly registration: ServiceWorkerRegistration;
  /** Unregister the Service Worker, stop answering it, and terminate the component. */
  close(): Promise<void>;
}

/** The Service Worker's state once it is activated. */
function activated(reg: ServiceWorkerRegistration): Promise<ServiceWorker> {
  const sw = reg.installing ?? reg.waiting ?? reg.active;
  if (!sw) return Promise.reject(new Error('the Service Worker registration has no worker'));
  if (sw.state === 'activated') return Promise.resolve(sw);
  return new Promise((resolve, reject) => {
    sw.addEventListener('statechange', () => {
      if (sw.state === 'activated') resolve(sw);
      else if (sw.state === 'redundant') reject(new Error('the Service Worker failed to install (redundant)'));
    });
  });
}

/** Load a component that exports wasi:http/handler@0.3.x, and register a Service Worker that
 * answers every fetch under `scope` (navigations too) with it, bodies streaming both ways.
 * The component runs in this page's worker (a Service Worker cannot start one): the Service
 * Worker forwards each request straight to that worker on a port this page introduces, and
 * asks open pages for a new one when it has none (it was stopped and restarted). With no page
 * holding the component open, requests get a 503 that says so. */
export async function serveFromServiceWorker<Exports = ComponentExports>(source: ComponentUrl<Exports> | ComponentSource, options: ServeOptions): Promise<ServiceWorkerServer<Exports>> {
  const container = globalThis.navigator?.serviceWorker;
  if (!container) throw new ComponentError('error', 'Service Workers are not available here (they need a secure context: https or localhost)');
  const { scope, serviceWorkerUrl, ...load } = options;
  const handle = await loadComponent<Exports>(source, load);
  let registration: ServiceWorkerRegistration;
  try {
    const first = await handlerPortOf(handle, 'the handle'); // fails early if nothing is exported
    // Beside the component worker (the script-tag build has no import.meta: setWorkerUrl).
    const url = serviceWorkerUrl ?? new URL('./service-worker.js', defaultWorkerUrl ? new URL(defaultWorkerUrl, location.href) : import.meta.url);
    registration = await container.register(url, { scope, type: 'module', updateViaCache: 'none' });
    const sw = await activated(registration);
    sw.postMessage({ type: 'wasip3-http-handler', port: first } satisfies ServiceWorkerMessage, [first]);
  } catch (e) {
    handle.terminate();
    throw e;
  }
  // The Service Worker asks again once it has lost its port: answer it from here.
  const onMessage = (e: MessageEvent<ServiceWorkerMessage>) => {
    if (e.data?.type !== 'wasip3-http-connect' || e.data.scope !== registration.scope || !(e.source instanceof ServiceWorker)) return;
    const to = e.source;
    handlerPortOf(handle, 'the handle').then((port) => {
      to.postMessage({ type: 'wasip3-http-handler', port } satisfies ServiceWorkerMessage, [port]);
    }, () => {});
  };
  container.addEventListener('message', onMessage);
  container.startMessages();
  return {
    handle,
    registration,
    async close() {
      container.removeEventListener('message', onMessage);
      await registration.unregister().catch(() => false);
      handle.terminate();
    },
  };
}
