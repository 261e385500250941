// The wasi:http figures, each against a raw baseline in the same page and run:
// - http-handle: requests per second through handle.fetch (http-echo, one at a time: its
//   handler is lifted stackful, so concurrent calls would wait for the instance) against a plain
//   JS handler in a worker answering the same requests over postMessage (target >= 0.5);
// - http-body: a 64 MiB response body written by a component (http-bytes, 64 KiB writes)
//   streamed to the page through handle.fetch, against fetch() of 64 MiB from the loopback
//   server (the dev server's /__bench/bytes/N, scripts/lib/browser.mjs), both read with a
//   default reader, which owns every chunk (target >= 0.7).
// serve-rps (through `wasip3-web serve`) needs the terminal: scripts/bench-http.mjs.
import { loadComponent } from '../../src/index.ts';
import type { RawRequest, RawResponse } from './bench-http-raw-worker.ts';
import type { Figure } from './bench.ts';
import { median } from './bench-stats.ts';

const workerUrl = '/dist/component-worker.js';
const MiB = 1 << 20;

/** A plain JS handler in a worker, called as handle.fetch is: Request in, Response out. */
function rawHandler() {
  const w = new Worker(new URL('./bench-http-raw-worker.ts', import.meta.url), { type: 'module' });
  const waiting = new Map<number, (r: RawResponse) => void>();
  let seq = 0;
  w.onmessage = (e: MessageEvent<RawResponse>) => { const f = waiting.get(e.data.id)!; waiting.delete(e.data.id); f(e.data); };
  const fetch = async (req: Request): Promise<Response> => {
    const id = seq++;
    const m = await new Promise<RawResponse>((r) => {
      waiting.set(id, r);
      w.postMessage({ id, method: req.method, url: req.url, headers: [...req.headers] } satisfies RawRequest);
    });
    return new Response(null, { status: m.status, headers: m.headers });
  };
  return { fetch, terminate: () => w.terminate() };
}

/** http-handle: 5 rounds of 400 GETs, ours and raw taking turns, after 200 of each to warm. */
async function handle(): Promise<Figure> {
  const n = 400;
  const h = await loadComponent('/test/fixtures/build/http-echo.wasm', { workerUrl });
  const raw = rawHandler();
  const one = async (f: (r: Request) => Promise<Response>) => {
    const res = await f(new Request('http://app.test/x'));
    await res.text();
    if (res.headers.get('x-echo-method') !== 'GET') throw new Error('http-handle: wrong answer');
  };
  const round = async (f: (r: Request) => Promise<Response>) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await one(f);
    return performance.now() - t0;
  };
  for (let i = 0; i < 200; i++) { await one(h.fetch); await one(raw.fetch); }
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 5; i++) { o.push(await round(h.fetch)); b.push(await round(raw.fetch)); }
  h.terminate(); raw.terminate();
  const rps = (ms: number) => n / (ms / 1000);
  return { name: 'http-handle', value: rps(median(o)), unit: 'req/s', baseline: rps(median(b)), ratio: rps(median(o)) / rps(median(b)),
    note: `µs/request: ours ${o.map((x) => (x * 1000 / n).toFixed(0)).join(' ')}; raw ${b.map((x) => (x * 1000 / n).toFixed(0)).join(' ')}` };
}

/** Read a response's body to its end with a default reader; its length. */
async function drain(res: Response): Promise<number> {
  const r = res.body!.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await r.read();
    if (done) return n;
    n += value.byteLength;
  }
}

/** http-body: 64 MiB, 5 rounds each after one to warm, ours and raw taking turns. */
async function body(): Promise<Figure> {
  const mib = 64;
  const h = await loadComponent('/test/fixtures/build/http-bytes.wasm', { workerUrl });
  const ours = async () => {
    const t0 = performance.now();
    const n = await drain(await h.fetch(new Request(`http://app.test/${mib}`)));
    if (n !== mib * MiB) throw new Error(`http-body: ${n} bytes`);
    return performance.now() - t0;
  };
  const raw = async () => {
    const t0 = performance.now();
    const n = await drain(await fetch(`/__bench/bytes/${mib}`, { cache: 'no-store' }));
    if (n !== mib * MiB) throw new Error(`http-body raw: ${n} bytes`);
    return performance.now() - t0;
  };
  await ours(); await raw();
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 5; i++) { o.push(await ours()); b.push(await raw()); }
  h.terminate();
  const mbps = (ms: number) => (mib * MiB) / 1e6 / (ms / 1000);
  return { name: 'http-body', value: mbps(median(o)), unit: 'MB/s', baseline: mbps(median(b)), ratio: mbps(median(o)) / mbps(median(b)),
    note: `ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
}

export const HTTP_FIGURES: Record<string, () => Promise<Figure>> = { 'http-handle': handle, 'http-body': body };
