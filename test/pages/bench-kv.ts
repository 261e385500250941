// The wasi:keyvalue figures, each against raw idb-keyval in a worker, in the same page and run
// (ratio = our ops/s over raw ops/s): kv-set-get (10,000 sets then gets through a component),
// kv-batch (set-many and get-many of 1,000), kv-increment (4 workers contending on one key).
import * as Comlink from 'comlink';
import { loadComponent, type ComponentHandle } from '../../src/index.ts';
import type { KvRawApi } from './bench-kv-raw-worker.ts';
import type { Figure } from './bench.ts';
import { median } from './bench-stats.ts';

const workerUrl = '/dist/component-worker.js';
const run = Date.now();
const rawWorker = (database: string) => {
  const w = new Worker(new URL('./bench-kv-raw-worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<KvRawApi>(w);
  void api.open(database);
  return { w, api };
};
const component = (name: string, database: string): Promise<ComponentHandle> =>
  loadComponent(`/test/fixtures/build/${name}.wasm`, { workerUrl, keyvalue: { buckets: '*', database } });
type Call = (...a: unknown[]) => Promise<string>;
const ok = async (p: Promise<string>, what: string) => { const r = await p; if (r !== 'ok') throw new Error(`${what}: ${r}`); };

/** kv-set-get: 10,000 sets, then 10,000 gets, each its own transaction. */
async function setGet(): Promise<Figure> {
  const n = 10_000;
  const h = await component('kv-store', `bench-${run}-sg`);
  const benchSetGet = h.exports.benchSetGet as Call;
  const { w, api } = rawWorker(`bench-raw-${run}-sg`);
  await ok(benchSetGet('warm', 500), 'kv-set-get'); await api.setGet(500);
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await ok(benchSetGet(`sg${i}`, n), 'kv-set-get');
    o.push(performance.now() - t0);
    b.push(await api.setGet(n));
  }
  h.terminate(); w.terminate();
  const ops = (ms: number) => (2 * n) / (ms / 1000);
  return { name: 'kv-set-get', value: ops(median(o)), unit: 'ops/s', baseline: ops(median(b)), ratio: ops(median(o)) / ops(median(b)),
    note: `ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
}

/** kv-batch: set-many then get-many of 1,000 entries (16-byte values), 40 rounds. */
async function batch(): Promise<Figure> {
  const n = 1000; const rounds = 40;
  const h = await component('kv-batch', `bench-${run}-batch`);
  const benchBatch = h.exports.benchBatch as Call;
  const { w, api } = rawWorker(`bench-raw-${run}-batch`);
  for (let r = 0; r < 3; r++) { await ok(benchBatch('b', n, r), 'kv-batch'); await api.batch(n, r); }
  const o: number[] = []; const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await ok(benchBatch('b', n, r), 'kv-batch');
    o.push(performance.now() - t0);
    b.push(await api.batch(n, r));
  }
  h.terminate(); w.terminate();
  const ops = (ms: number) => (2 * n) / (ms / 1000);
  return { name: 'kv-batch', value: ops(median(o)), unit: 'ops/s', baseline: ops(median(b)), ratio: ops(median(o)) / ops(median(b)),
    note: `median round: ours ${median(o).toFixed(1)} ms, raw ${median(b).toFixed(1)} ms` };
}

/** kv-increment: 4 workers each incrementing one shared key 250 times, against 4 raw workers
 * doing the same with idb-keyval's update(). */
async function increment(): Promise<Figure> {
  const per = 250; const workers = 4;
  const db = `bench-${run}-incr`;
  const hs = await Promise.all(Array.from({ length: workers }, () => component('kv-counter', db)));
  const raws = Array.from({ length: workers }, () => rawWorker(`bench-raw-${run}-incr`));
  await Promise.all(raws.map((r) => r.api.read('warm')));
  const o: number[] = []; const b: number[] = [];
  for (let round = 0; round < 3; round++) {
    let t0 = performance.now();
    const ends = await Promise.all(hs.map((h) => (h.exports.count as Call)('c', `n${round}`, per)));
    o.push(performance.now() - t0);
    if (!ends.includes(`ok ${per * workers}`)) throw new Error(`kv-increment: ${ends.join(', ')}`);
    t0 = performance.now();
    await Promise.all(raws.map((r) => r.api.increment(`n${round}`, per)));
    b.push(performance.now() - t0);
    if ((await raws[0]!.api.read(`n${round}`)) !== per * workers) throw new Error('raw kv-increment lost updates');
  }
  for (const h of hs) h.terminate();
  for (const r of raws) r.w.terminate();
  const ops = (ms: number) => (per * workers) / (ms / 1000);
  return { name: 'kv-increment', value: ops(median(o)), unit: 'ops/s', baseline: ops(median(b)), ratio: ops(median(o)) / ops(median(b)),
    note: `4 workers x ${per}; ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
}

export const KV_FIGURES: Record<string, () => Promise<Figure>> = { 'kv-set-get': setGet, 'kv-batch': batch, 'kv-increment': increment };
