// The benchmark figures, run inside a worker. Every figure is a ratio against a raw baseline
// taken here, in the same run.
import { instantiateComponent, neverSuspends, validateComponent, type StreamReader } from '../../src/runtime/index.ts';
import { decodeComponent } from '../../src/runtime/binary/decode.ts';
import type { Figure } from './bench.ts';

const MiB = 1024 * 1024;
const fixture = async (name: string) => new Uint8Array(await (await fetch(`/test/fixtures/build/${name}`)).arrayBuffer());

function best(runs: number, f: () => number): number {
  let b = Infinity;
  for (let i = 0; i < runs; i++) b = Math.min(b, f());
  return b;
}
async function bestAsync(runs: number, f: () => Promise<number>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < runs; i++) b = Math.min(b, await f());
  return b;
}

/** guest-stream: 64 MiB through a stream<u8> from one component instance to another, in
 * 64 KiB writes, against copying one 64 KiB buffer into another 1,024 times (the guests' own
 * memory pattern: each reuses one 64 KiB buffer). */
async function guestStream(): Promise<Figure> {
  const total = 64 * MiB;
  const chunk = 64 * 1024;
  const bytes = await fixture('stream-pair.wasm');
  // One producer and one consumer for every round, as the raw baseline reuses its buffers: a
  // new instance's first pass touches new memory (its 1 MiB pattern, its read buffer), which
  // here costs more than the whole transfer.
  const a = await instantiateComponent(bytes);
  const b = await instantiateComponent(bytes);
  const run = async (n: number, size = chunk): Promise<number> => {
    const t0 = performance.now();
    const s = (await a.call('produce', n, size)) as StreamReader;
    const got = (await b.call('consume', s, size)) as bigint;
    const ms = performance.now() - t0;
    if (got !== BigInt(n)) throw new Error(`guest-stream moved ${got} of ${n} bytes`);
    return ms;
  };
  for (let i = 0; i < 3; i++) await run(total); // to the optimizing tiers, as a long stream runs
  const rounds: number[] = [];
  const ours = await bestAsync(5, async () => { const ms = await run(total); rounds.push(ms); return ms; });
  // Where the time goes: the same bytes in 1 MiB writes split a chunk's cost into a fixed part
  // (the ABI's round trip: write, wake the reader, its read, wake the writer) and the copy.
  const big = await bestAsync(3, () => run(total, MiB));
  const fixedUs = ((ours - big) * 1000) / (total / chunk - total / MiB);
  // The raw baseline has the guests' memory pattern: each guest reuses one 64 KiB buffer (in
  // cache), so the baseline copies one 64 KiB source into one 64 KiB destination, 1,024 times.
  const src = new Uint8Array(chunk);
  const dst = new Uint8Array(chunk);
  for (let i = 0; i < chunk; i++) src[i] = i % 251;
  const raw = best(5, () => {
    const t0 = performance.now();
    for (let off = 0; off < total; off += chunk) { dst.set(src); src[0] = dst[1]!; }
    return performance.now() - t0;
  });
  const mbps = (ms: number) => total / 1e6 / (ms / 1000);
  const chunks = total / chunk;
  const note = `overhead ${(((ours - raw) * 1000) / chunks).toFixed(2)} µs per 64 KiB chunk (ours ${((ours * 1000) / chunks).toFixed(2)} µs, raw copy ${((raw * 1000) / chunks).toFixed(2)} µs; `
    + `fixed ABI round trip per chunk ${fixedUs.toFixed(2)} µs, from 1 MiB writes at ${mbps(big).toFixed(0)} MB/s; rounds ${rounds.map((x) => x.toFixed(1)).join(' ')} ms)`;
  return { name: 'guest-stream', value: mbps(ours), unit: 'MB/s', baseline: mbps(raw), ratio: mbps(ours) / mbps(raw), note };
}

/** sync-call: a trivial func(u32) -> u32 export called from JS, against calling the core wasm
 * export directly. Lower is better (ns per call). */
async function syncCall(): Promise<Figure> {
  const n = 2_000_000;
  const inst = await instantiateComponent(await fixture('add.wasm'));
  const core = (await WebAssembly.instantiate(await fixture('core/add.wasm'))).instance.exports.add1 as (x: number) => number;
  const add1 = inst.bind('add1') as (x: number) => number;
  let sink = 0;
  const ours = best(5, () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += add1(i);
    return performance.now() - t0;
  });
  const raw = best(5, () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += core(i);
    return performance.now() - t0;
  });
  if (sink === 0.5) console.log(sink);
  const ns = (ms: number) => (ms * 1e6) / n;
  return { name: 'sync-call', value: ns(ours), unit: 'ns/call', baseline: ns(raw), ratio: ns(ours) / ns(raw) };
}

/** host-stream: 64 MiB from a guest stream to a host sink in the same worker (each chunk copied
 * out of guest memory into a buffer the host owns), against allocating and filling those buffers. */
async function hostStream(): Promise<Figure> {
  const total = 64 * MiB;
  const chunk = 64 * 1024;
  const inst = await instantiateComponent(await fixture('stream-pair.wasm'));
  const run = async () => {
    const t0 = performance.now();
    const s = (await inst.call('produce', total, chunk)) as StreamReader;
    let got = 0;
    await s.pipe((c) => { got += (c as Uint8Array).byteLength; });
    if (got !== total) throw new Error('host-stream lost bytes');
    return performance.now() - t0;
  };
  await run();
  const ours = await bestAsync(3, run);
  const src = new Uint8Array(chunk);
  const raw = best(3, () => {
    const t0 = performance.now();
    for (let off = 0; off < total; off += chunk) new Uint8Array(chunk).set(src);
    return performance.now() - t0;
  });
  const mbps = (ms: number) => total / 1e6 / (ms / 1000);
  return { name: 'host-stream', value: mbps(ours), unit: 'MB/s', baseline: mbps(raw), ratio: mbps(ours) / mbps(raw) };
}

/** host-call: a guest calling a synchronous host import (`ping: func(x: u32) -> u32`, marked
 * neverSuspends as the WASI host's synchronous functions are) in a loop, against the same core
 * loop calling a plain JS import. Lower is better (ns per call). */
async function hostCall(): Promise<Figure> {
  const n = 200_000;
  const ping = neverSuspends((x: number) => x & 1);
  const inst = await instantiateComponent(await fixture('host-call.wasm'), { ping });
  const raw = (await WebAssembly.instantiate(await fixture('core/host-call.wasm'), { host: { ping } })).instance.exports['call-host'] as (n: number) => number;
  await inst.call('call-host', n);
  raw(n);
  const ours = await bestAsync(5, async () => {
    const t0 = performance.now();
    if ((await inst.call('call-host', n)) !== n / 2) throw new Error('host-call: wrong sum');
    return performance.now() - t0;
  });
  const base = best(5, () => {
    const t0 = performance.now();
    raw(n);
    return performance.now() - t0;
  });
  const ns = (ms: number) => (ms * 1e6) / n;
  return { name: 'host-call', value: ns(ours), unit: 'ns/call', baseline: ns(base), ratio: ns(ours) / ns(base) };
}

/** The raw side of host-call-values: the core loop, its import decoding the string, copying
 * the bytes and storing the result as the canon does (wrapped by `wrap`). */
async function rawHostCallValues(wrap: (f: (...a: number[]) => void) => unknown): Promise<WebAssembly.Instance> {
  const dec = new TextDecoder();
  let mem: WebAssembly.Memory | null = null;
  const append = (np: number, nl: number, vp: number, vl: number, ret: number) => {
    const b = new Uint8Array(mem!.buffer);
    const name = dec.decode(b.subarray(np, np + nl));
    const value = b.slice(vp, vp + vl);
    const r = { tag: 'ok', val: name.length + value.length };
    const dv = new DataView(mem!.buffer);
    dv.setUint8(ret, 0);
    dv.setUint32(ret + 4, r.val, true);
  };
  const core = (await WebAssembly.instantiate(await fixture('core/host-call-values.wasm'), { host: { append: wrap(append as (...a: number[]) => void) } })).instance;
  mem = core.exports.mem as WebAssembly.Memory;
  return core;
}

/** host-call-values: a guest calling a host import of WASI's shape (a string and a list<u8> in,
 * a result through a return pointer) in a loop, against the core loop calling a JS import that
 * decodes the string, copies the bytes and stores the same result: the canon's cost per call of
 * lifting and lowering. Lower is better (ns per call). */
async function hostCallValues(): Promise<Figure> {
  const n = 200_000;
  const append = neverSuspends((name: string, value: Uint8Array) => ({ tag: 'ok', val: name.length + value.length }));
  const inst = await instantiateComponent(await fixture('host-call-values.wasm'), { append });
  const core = await rawHostCallValues((f) => f);
  const raw = core.exports['call-host'] as (n: number) => number;
  const want = n * 13;
  for (let i = 0; i < 3; i++) { await inst.call('call-host', n); raw(n); }
  const ours = await bestAsync(5, async () => {
    const t0 = performance.now();
    if ((await inst.call('call-host', n)) !== want) throw new Error('host-call-values: wrong sum');
    return performance.now() - t0;
  });
  const base = best(5, () => {
    const t0 = performance.now();
    if (raw(n) !== want) throw new Error('host-call-values: raw wrong sum');
    return performance.now() - t0;
  });
  const ns = (ms: number) => (ms * 1e6) / n;
  return { name: 'host-call-values', value: ns(ours), unit: 'ns/call', baseline: ns(base), ratio: ns(ours) / ns(base) };
}

/** export-call-jspi: a sync export (one host call inside) called from the host in an instance
 * whose imports may suspend, so every call runs on a JSPI stack, as a messaging handler or an
 * HTTP handler is; against WebAssembly.promising of the core export with a Suspending import.
 * The runtime's cost of entering a component as a task. Lower is better (µs per call). */
async function exportCallJspi(): Promise<Figure> {
  const n = 20_000;
  const append = (name: string, value: Uint8Array) => ({ tag: 'ok', val: name.length + value.length });
  const inst = await instantiateComponent(await fixture('host-call-values.wasm'), { append });
  const core = await rawHostCallValues((f) => new WebAssembly.Suspending(f));
  const raw = WebAssembly.promising(core.exports['call-host'] as never) as (n: number) => Promise<number>;
  const ours = async () => { const t0 = performance.now(); for (let i = 0; i < n; i++) await inst.call('call-host', 1); return performance.now() - t0; };
  const base = async () => { const t0 = performance.now(); for (let i = 0; i < n; i++) await raw(1); return performance.now() - t0; };
  for (let i = 0; i < 2; i++) { await ours(); await base(); }
  const o = await bestAsync(5, ours); const b = await bestAsync(5, base);
  const us = (ms: number) => (ms * 1e3) / n;
  return { name: 'export-call-jspi', value: us(o), unit: 'us/call', baseline: us(b), ratio: o / b };
}

const FIGURES: Record<string, () => Promise<Figure>> = { 'export-call-jspi': exportCallJspi,  'guest-stream': guestStream, 'sync-call': syncCall, 'host-stream': hostStream, 'host-call': hostCall, 'host-call-values': hostCallValues };

/** The validate figure's measurement: decode and validate a component once, in this (fresh)
 * worker, so the validator runs as cold as it does when a component loads. */
async function validateOnce(url: string): Promise<{ decodeMs: number; validateMs: number }> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const t0 = performance.now();
  const ast = decodeComponent(bytes);
  const t1 = performance.now();
  validateComponent(ast);
  return { decodeMs: t1 - t0, validateMs: performance.now() - t1 };
}

self.onmessage = async (e: MessageEvent<{ names: string[]; validate?: string }>) => {
  try {
    if (e.data.validate) { self.postMessage(await validateOnce(e.data.validate)); return; }
    const names = e.data.names.length ? e.data.names : Object.keys(FIGURES);
    const figures: Figure[] = [];
    for (const name of names) {
      const f = FIGURES[name];
      if (!f) throw new Error(`unknown figure ${name} (known: ${Object.keys(FIGURES).join(', ')})`);
      figures.push(await f());
    }
    self.postMessage({ figures });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
