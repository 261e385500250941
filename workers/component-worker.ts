// One component per worker: fetch (with progress), compile and instantiate with src/runtime,
// link the WASI host, and serve the page's calls through Comlink.
import * as Comlink from 'comlink';
import { compileComponent, instantiateComponent, type Instance, type InstanceValue } from '../src/runtime/index.js';
import { wasiImports, ExitRequest, ReaderGone, type ByteSink, type HostContext } from '../src/host/index.js';
import { PortWriter, portReadable } from '../src/channel/byte-port.js';
import type { ComponentWorkerApi, ExportInfo, LoadRequest, Progress } from '../src/channel/protocol.js';

let instance: Instance | null = null;
let outputs: PortWriter[] = [];

async function fetchBytes(url: string, onProgress?: (p: Progress) => void): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not fetch ${url}: ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.byteLength;
    onProgress?.({ phase: 'fetch', loaded, total });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

function sink(port: MessagePort): ByteSink {
  const w = new PortWriter(port);
  outputs.push(w);
  const sent = (ok: boolean) => { if (!ok) throw new ReaderGone(); };
  return {
    write(chunk) {
      const r = w.write(chunk);
      return r instanceof Promise ? r.then(sent) : sent(r);
    },
    buffer: () => w.buffer(),
  };
}

function describe(exports: InstanceValue): ExportInfo[] {
  const out: ExportInfo[] = [];
  for (const [name, item] of exports) {
    if (item.sort === 'func') out.push({ kind: 'func', name });
    else if (item.sort === 'instance') {
      out.push({ kind: 'instance', name, funcs: [...item.i].filter(([, x]) => x.sort === 'func').map(([n]) => n) });
    }
  }
  return out;
}

const api: ComponentWorkerApi = {
  async load(req: LoadRequest, onProgress?: (p: Progress) => void): Promise<ExportInfo[]> {
    const bytes = req.bytes ? new Uint8Array(req.bytes) : await fetchBytes(req.url!, onProgress);
    onProgress?.({ phase: 'compile', loaded: 0, total: bytes.byteLength });
    const compiled = await compileComponent(bytes);
    onProgress?.({ phase: 'compile', loaded: bytes.byteLength, total: bytes.byteLength });
    const ctx: HostContext = {
      args: req.args,
      env: req.env,
      cwd: req.cwd,
      stdin: req.stdin ? portReadable(req.stdin) : null,
      stdout: sink(req.stdout),
      stderr: sink(req.stderr),
    };
    onProgress?.({ phase: 'instantiate', loaded: 0, total: 1 });
    instance = await instantiateComponent(compiled, wasiImports(ctx));
    onProgress?.({ phase: 'instantiate', loaded: 1, total: 1 });
    return describe(instance.exports);
  },

  async run(): Promise<{ exitCode: number }> {
    if (!instance) throw new Error('no component loaded');
    try {
      const r = (await instance.call(['wasi:cli/run@0.3.0', 'run'])) as { tag: 'ok' | 'err' };
      return { exitCode: r.tag === 'ok' ? 0 : 1 };
    } catch (e) {
      if (e instanceof ExitRequest) return { exitCode: e.code };
      throw e;
    } finally {
      // The command is over: end stdout and stderr so the page has every byte before run() settles.
      for (const w of outputs) w.close();
      outputs = [];
    }
  },

  async call(path: string[], args: unknown[]): Promise<unknown> {
    if (!instance) throw new Error('no component loaded');
    return instance.call(path, ...args);
  },
};

Comlink.expose(api);
