// Runs the benchmark figures and exposes runBench(names) to the driver. Runtime figures run in a
// module worker (where components run); page-API figures run here. Each figure carries a raw
// baseline measured in the same page and run.
import * as Comlink from 'comlink';
import { borrow, loadComponent } from '../../src/index.ts';
import type { RawApi } from './bench-raw-worker.ts';
import { KV_FIGURES } from './bench-kv.ts';
import { MSG_FIGURES } from './bench-msg.ts';
import { STREAM_FIGURES } from './bench-streams.ts';
import { FS_FIGURES } from './bench-fs.ts';
import { SOCK_FIGURES } from './bench-sock.ts';
import { HTTP_FIGURES } from './bench-http.ts';
import { median } from './bench-stats.ts';

export interface Figure { name: string; value: number; unit: string; baseline: number; ratio: number; note?: string }

const MiB = 1024 * 1024;
// Page-API figures use the built worker (dist/, one file), as users load it; npm run bench builds it.
const workerUrl = '/dist/component-worker.js';
const rawWorker = () => {
  const w = new Worker(new URL('./bench-raw-worker.ts', import.meta.url), { type: 'module' });
  return { w, api: Comlink.wrap<RawApi>(w) };
};

/** stdout-throughput: 64 MiB of a component's stdout reaching a borrow() callback on the page
 * (the buffers go back to the worker), against a worker posting 64 MiB of transferred 64 KiB
 * ArrayBuffers to the page. stdout-owned: the same through a plain callback, which owns every
 * chunk (so each is new memory). stdout-byob: read from stdout: 'pipe' with a BYOB reader. */
function stdoutFigure(name: string, consume: 'borrow' | 'callback' | 'byob', fixture = 'big-stdout', baseline: 'post' | 'postFilled' = 'post') {
  return async (): Promise<Figure> => {
    const total = 64 * MiB;
    const ours = async () => {
      let got = 0;
      const count = (c: Uint8Array) => { got += c.byteLength; };
      const h = await loadComponent(`/test/fixtures/build/${fixture}.wasm`, {
        workerUrl, args: [fixture, '64'],
        stdout: consume === 'byob' ? 'pipe' : consume === 'borrow' ? borrow(count) : count,
      });
      const t0 = performance.now();
      const reading = (async () => {
        if (!h.stdout) return;
        const r = h.stdout.getReader({ mode: 'byob' });
        let buf = new Uint8Array(1 << 20);
        for (;;) {
          const { done, value } = await r.read(buf);
          if (done) break;
          got += value.byteLength;
          buf = new Uint8Array(value.buffer);
        }
      })();
      const { exitCode } = await h.run();
      await reading;
      const ms = performance.now() - t0;
      h.terminate();
      if (exitCode !== 0 || got !== total) throw new Error(`${name}: exit ${exitCode}, ${got} bytes`);
      return ms;
    };
    const raw = async () => {
      const { w, api } = rawWorker();
      const ch = new MessageChannel();
      let got = 0;
      const done = new Promise<void>((r) => { ch.port1.onmessage = (e) => { if (e.data === null) r(); else got += (e.data as ArrayBuffer).byteLength; }; });
      await api.compile('/test/fixtures/build/core/add.wasm'); // worker started and warm
      const t0 = performance.now();
      void api[baseline](Comlink.transfer(ch.port2, [ch.port2]), total, 65536);
      await done;
      const ms = performance.now() - t0;
      w.terminate();
      if (got !== total) throw new Error('raw post lost bytes');
      return ms;
    };
    // Two rounds to warm the browser (its caches of worker scripts and compiled code), then
    // seven measured rounds, ours and raw taking turns.
    for (let i = 0; i < 2; i++) { await ours(); await raw(); }
    const o: number[] = []; const b: number[] = [];
    for (let i = 0; i < 7; i++) { o.push(await ours()); b.push(await raw()); }
    const mbps = (ms: number) => total / 1e6 / (ms / 1000);
    return { name, value: mbps(median(o)), unit: 'MB/s', baseline: mbps(median(b)), ratio: mbps(median(o)) / mbps(median(b)), note: `ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
  };
}

/** load: page call to ready handle for hello, against fetching and compiling its core module
 * raw in a new worker. Lower is better. */
async function load(): Promise<Figure> {
  const ours = async () => {
    const t0 = performance.now();
    const h = await loadComponent('/test/fixtures/build/hello.wasm', { workerUrl });
    const ms = performance.now() - t0;
    h.terminate();
    return ms;
  };
  const raw = async () => {
    const t0 = performance.now();
    const { w, api } = rawWorker();
    await api.compile('/test/fixtures/build/hello.core.wasm');
    const ms = performance.now() - t0;
    w.terminate();
    return ms;
  };
  await ours(); await raw();
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 7; i++) { o.push(await ours()); b.push(await raw()); }
  return { name: 'load', value: median(o), unit: 'ms', baseline: median(b), ratio: median(o) / median(b) };
}

/** validate: validating cli-env.wasm (a ~200 KB wasi-testsuite command) in a fresh worker, as
 * cold as at a real load, against loading it (page call to ready handle, built worker). The
 * ratio is validation's share of load (target: under 0.1). Lower is better. */
async function validate(): Promise<Figure> {
  const url = '/test/wasi-testsuite/wasm32-wasip3/cli-env.wasm';
  const validateOnce = () => new Promise<number>((resolve, reject) => {
    const w = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<{ validateMs?: number; error?: string }>) => {
      w.terminate();
      if (e.data.validateMs === undefined) reject(new Error(e.data.error ?? 'validate: no figure'));
      else resolve(e.data.validateMs);
    };
    w.postMessage({ names: [], validate: url });
  });
  const load = async () => {
    const t0 = performance.now();
    const h = await loadComponent(url, { workerUrl, args: ['cli-env'] });
    const ms = performance.now() - t0;
    h.terminate();
    return ms;
  };
  await validateOnce(); await load();
  const v: number[] = []; const l: number[] = [];
  for (let i = 0; i < 7; i++) { v.push(await validateOnce()); l.push(await load()); }
  return { name: 'validate', value: median(v), unit: 'ms', baseline: median(l), ratio: median(v) / median(l),
    note: `validate ${v.map((x) => x.toFixed(1)).join(' ')} ms; load ${l.map((x) => x.toFixed(0)).join(' ')} ms` };
}

/** load-real: page call to ready handle for the official suite's cli-env.wasm (Rust, WASI 0.3
 * beside 0.2: 13 imports, several core modules), against fetching it and compiling its core
 * modules raw in a new worker. Lower is better. */
async function loadReal(): Promise<Figure> {
  const url = '/test/wasi-testsuite/wasm32-wasip3/cli-env.wasm';
  const ours = async () => {
    const t0 = performance.now();
    const h = await loadComponent(url, { workerUrl });
    const ms = performance.now() - t0;
    h.terminate();
    return ms;
  };
  const raw = async () => {
    const t0 = performance.now();
    const { w, api } = rawWorker();
    await api.compileComponent(url);
    const ms = performance.now() - t0;
    w.terminate();
    return ms;
  };
  await ours(); await raw();
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 7; i++) { o.push(await ours()); b.push(await raw()); }
  return { name: 'load-real', value: median(o), unit: 'ms', baseline: median(b), ratio: median(o) / median(b) };
}

/** export-round-trip: a trivial async export called from the page, against a raw Comlink round
 * trip to a worker function. Lower is better. */
async function exportRoundTrip(): Promise<Figure> {
  const n = 2000;
  const h = await loadComponent('/test/fixtures/build/async-add.wasm', { workerUrl });
  const add1 = h.exports.add1 as (x: number) => Promise<number>;
  const { w, api } = rawWorker();
  for (let i = 0; i < 200; i++) { await add1(i); await api.add1(i); }
  let t0 = performance.now();
  for (let i = 0; i < n; i++) if ((await add1(i)) !== i + 1) throw new Error('wrong sum');
  const ours = (performance.now() - t0) * 1000 / n;
  t0 = performance.now();
  for (let i = 0; i < n; i++) await api.add1(i);
  const raw = (performance.now() - t0) * 1000 / n;
  h.terminate();
  w.terminate();
  return { name: 'export-round-trip', value: ours, unit: 'µs/call', baseline: raw, ratio: ours / raw };
}

const PAGE_FIGURES: Record<string, () => Promise<Figure>> = {
  'stdout-throughput': stdoutFigure('stdout-throughput', 'borrow'),
  // An owned chunk is new memory, written: its baseline fills new 64 KiB buffers and transfers them.
  'stdout-owned': stdoutFigure('stdout-owned', 'callback', 'big-stdout', 'postFilled'),
  'stdout-byob': stdoutFigure('stdout-byob', 'byob'), load, 'export-round-trip': exportRoundTrip,
  // WASI 0.2's stdout (64 KiB writes through wasi:io/streams) against the same raw baseline.
  'stdout-p2': stdoutFigure('stdout-p2', 'borrow', 'big-stdout-p2'), 'load-real': loadReal, validate,
  ...STREAM_FIGURES, // stream-worker-to-worker, stream-to-page, slow-consumer-peak (bench-streams.ts)
  ...KV_FIGURES, // kv-set-get, kv-batch, kv-increment (bench-kv.ts)
  ...MSG_FIGURES, // msg-throughput, msg-latency (bench-msg.ts)
  ...FS_FIGURES, // fs-write, fs-read (bench-fs.ts)
  ...SOCK_FIGURES, // tcp-loopback, tcp-connect (bench-sock.ts)
  ...HTTP_FIGURES, // http-handle, http-body (bench-http.ts; serve-rps: scripts/bench-http.mjs)
};
const WORKER_FIGURES = ['guest-stream', 'sync-call', 'host-stream', 'host-call', 'host-call-values', 'export-call-jspi'];

async function runBench(names: string[]): Promise<Figure[]> {
  // Figures named *-isolated need a crossOriginIsolated page (bench.html?coi: scripts/bench.mjs
  // opens one for them); the rest run on a plain page.
  const wanted = names.length ? names : [...WORKER_FIGURES, ...Object.keys(PAGE_FIGURES)].filter((n) => n.endsWith('-isolated') === crossOriginIsolated);
  const unknown = wanted.filter((n) => !WORKER_FIGURES.includes(n) && !PAGE_FIGURES[n]);
  if (unknown.length) throw new Error(`unknown figure(s) ${unknown.join(', ')}`);
  const inWorker = wanted.filter((n) => WORKER_FIGURES.includes(n));
  const figures = inWorker.length ? await runInWorker(inWorker) : [];
  for (const n of wanted) if (PAGE_FIGURES[n]) figures.push(await PAGE_FIGURES[n]!());
  return wanted.map((n) => figures.find((f) => f.name === n)!);
}

async function runInWorker(names: string[]): Promise<Figure[]> {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ figures?: Figure[]; error?: string }>) => {
      worker.terminate();
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data.figures!);
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ names });
  });
}

(globalThis as unknown as { runBench: typeof runBench }).runBench = runBench;
(globalThis as unknown as { benchReady: boolean }).benchReady = true;
