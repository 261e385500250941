// One component per worker: decode, validate and instantiate with src/runtime (the page has
// fetched it and compiled its core modules while this worker started),
// link its imports from the host's table of packages (src/host/registry.ts) around one state,
// and serve the page's calls through Comlink. Errors cross as typed values (WireError).
import * as Comlink from 'comlink';
import {
  compileComponent, instantiateComponent, LinkError, MalformedError, Trap, importNames,
  type Instance, type InstanceValue, type Item,
} from '../src/runtime/index.js';
import { ComponentState, ExitRequest, ReaderGone, link, type ByteSink, type PackageHost } from '../src/host/index.js';
import { PortWriter, portReadable } from '../src/channel/byte-port.js';
import { configureEnds, sendResultFuture } from '../src/channel/worker-ends.js';
import { streamStats } from '../src/channel/ends.js';
import type { ComponentWorkerApi, ErrorKind, ExportInfo, HostEvent, LoadRequest, Progress, WireError } from '../src/channel/protocol.js';
import type { ServedResponse } from '../src/host/http/index.js';

let instance: Instance | null = null;
let hosts: PackageHost[] = [];
let outputs: PortWriter[] = [];
/** Tells the page something (HostEvent), once loaded. */
let emit: (e: HostEvent) => void = () => {};
/** The export the page (or a caller it introduced) called last: a late trap names it. */
let lastExport = 'the component';

function sink(port: MessagePort): ByteSink {
  const w = new PortWriter(port);
  outputs.push(w);
  const sent = (ok: boolean) => { if (!ok) throw new ReaderGone(); };
  return {
    write(chunk) {
      const r = w.write(chunk);
      return r instanceof Promise ? r.then(sent) : sent(r);
    },
    buffer: (size) => w.buffer(size),
  };
}

function describe(exports: InstanceValue): ExportInfo[] {
  const out: ExportInfo[] = [];
  const isFuture = (x: Item) => x.sort === 'func' && x.f.ft.result?.k === 'future';
  for (const [name, item] of exports) {
    if (item.sort === 'func') out.push(isFuture(item) ? { kind: 'func', name, future: true } : { kind: 'func', name });
    else if (item.sort === 'instance') {
      const funcs = [...item.i].filter(([, x]) => x.sort === 'func');
      const futures = funcs.filter(([, x]) => isFuture(x)).map(([n]) => n);
      out.push({ kind: 'instance', name, funcs: funcs.map(([n]) => n), ...(futures.length ? { futures } : {}) });
    }
  }
  return out;
}

/** The kind of an error, from its class (never its message). */
function kindOf(e: unknown): ErrorKind {
  if (e instanceof MalformedError) return 'malformed';
  if (e instanceof LinkError) return e.name === 'ValidationError' ? 'invalid' : 'link';
  if (e instanceof Trap) return 'trap';
  return 'error';
}

function toWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { wasip3WebError: kindOf(e), name: err.name, message: err.message, stack: err.stack };
}

/** Run f, sending what it throws to the page as a WireError. */
async function typed<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toWire(e);
  }
}

/** The command export: wasi:cli/run@0.3.x if the component has it, else 0.2.x. */
function runExport(inst: Instance): string[] {
  const names = [...inst.exports.keys()].filter((n) => /^wasi:cli\/run@/.test(n));
  const pick = names.find((n) => n.startsWith('wasi:cli/run@0.3.')) ?? names.find((n) => n.startsWith('wasi:cli/run@0.2.'));
  if (!pick) throw new LinkError(`the component exports no wasi:cli/run (0.3.x or 0.2.x) to run; its exports: ${[...inst.exports.keys()].join(', ') || 'none'}`);
  return [pick, 'run'];
}

/** wasi:http's host, loaded on first use (src/host/registry.ts), here as where a component imports it. */
let httpModule: Promise<typeof import('../src/host/http/index.js')> | null = null;
const httpHost = () => (httpModule ??= import('../src/host/http/index.js'));

/** Serve one request with the handler `handle` (its export's name, '#handle'), the export
 * called last from now on. A handler that goes on after answering (0.2's `set`, then its body)
 * and traps there ends the component (handler-trap), as a trap in the call would have. */
function serveAs(handle: string, serve: () => Promise<ServedResponse>): Promise<ServedResponse> {
  lastExport = handle;
  return serve().then((r) => {
    r.call?.catch((e: unknown) => { if (e instanceof Trap) emit({ type: 'handler-trap', export: handle, message: e.message }); });
    return r;
  });
}

const api: ComponentWorkerApi = {
  load: (req: LoadRequest, onProgress?: (p: Progress) => void, onEvent?: (e: HostEvent) => void) => typed(async () => {
    // Streams and futures in calls cross as ports (src/channel/worker-ends.ts).
    configureEnds({ window: req.streamWindow, sharedMemory: req.sharedMemory ?? false, emit: onEvent ? (e) => { void onEvent(e); } : undefined });
    if (onEvent) emit = (e) => { void onEvent(e); };
    const bytes = new Uint8Array(req.bytes);
    const compiled = await compileComponent(bytes, req.modules);
    onProgress?.({ phase: 'compile', loaded: bytes.byteLength, total: bytes.byteLength });
    const state = new ComponentState({
      args: req.args,
      env: req.env,
      cwd: req.cwd,
      stdin: req.stdin ? portReadable(req.stdin) : null,
      stdout: sink(req.stdout),
      stderr: sink(req.stderr),
      grants: req.grants,
      network: req.network ?? null,
      httpHandler: req.httpHandler ?? null,
      emit: onEvent ? (e) => { void onEvent(e); } : undefined,
    });
    onProgress?.({ phase: 'instantiate', loaded: 0, total: 1 });
    const linked = await link(importNames(compiled), state);
    hosts = linked.hosts;
    instance = await instantiateComponent(compiled, linked.imports);
    state.instance = instance;
    // A trap after its call returned (a handler's body written on): the component ends, as
    // for a trap in a call (handler-trap), naming the export called last.
    instance.store.onLateTrap = (t) => emit({ type: 'handler-trap', export: lastExport, message: t.message });
    for (const h of hosts) await h.attach?.(instance);
    onProgress?.({ phase: 'instantiate', loaded: 1, total: 1 });
    return describe(instance.exports);
  }),

  run: () => typed(async () => {
    if (!instance) throw new Error('no component loaded');
    try {
      const path = runExport(instance);
      lastExport = path.join('#');
      const r = (await instance.call(path)) as { tag: 'ok' | 'err' };
      return { exitCode: r.tag === 'ok' ? 0 : 1 };
    } catch (e) {
      if (e instanceof ExitRequest) return { exitCode: e.code };
      throw e;
    } finally {
      // The command is over: end stdout and stderr so the page has every byte before run() settles.
      for (const w of outputs) w.close();
      outputs = [];
    }
  }),

  call: (path: string[], args: unknown[], future?: MessagePort) => typed(async () => {
    if (!instance) throw new Error('no component loaded');
    lastExport = path.join('#');
    if (!future) return instance.call(path, ...args);
    // The future's reader may be in another worker already: it learns of a failed call too.
    // Boxed: the result (a FutureReader) is thenable, and awaiting it would wait for its value.
    const { value } = await instance.callBoxed(path, ...args).catch((e: unknown) => { sendResultFuture(Promise.reject(e), future); throw e; });
    sendResultFuture(value, future);
    return undefined;
  }),

  streamStats: async () => streamStats(),

  dispose: () => typed(async () => {
    const hs = hosts;
    hosts = [];
    await Promise.allSettled(hs.map((h) => h.dispose?.()));
  }),

  // wasi:http: the page's requests to the component's handler, on a port of their own (a
  // Comlink call costs more than the rest of a small request); bodies inline or on byte ports.
  httpPort: async (port: MessagePort) => {
    const { serve: serveHttp, servedExport, serveHandlerPort } = await httpHost();
    const handle = `${instance ? await servedExport(instance) : null}#handle`;
    serveHandlerPort(port, (req) => {
      const inst = instance;
      if (!inst) throw new Error('no component loaded');
      return serveAs(handle, () => serveHttp(inst, req));
    }, toWire);
  },

  // The exported handler on a port of its own, for a caller the page introduces (another
  // component's worker, a Service Worker). A trap ends the component as a trap in a call does.
  serveHandler: (port: MessagePort) => typed(async () => {
    const inst = instance;
    if (!inst) throw new Error('no component loaded');
    const { serve: serveHttp, servedExport, serveHandlerPort } = await httpHost();
    const name = await servedExport(inst);
    if (!name) throw new LinkError(`the component exports no wasi:http/handler@0.3.x (nor incoming-handler@0.2.x); its exports: ${[...inst.exports.keys()].join(', ') || 'none'}`);
    const handle = `${name}#handle`;
    serveHandlerPort(port, (req) => serveAs(handle, () => serveHttp(inst, req)).catch((e: unknown) => {
      if (e instanceof Trap) emit({ type: 'handler-trap', export: handle, message: e.message });
      throw e;
    }));
  }),
};

Comlink.expose(api);
