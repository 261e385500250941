// Stream figures across threads (src/channel/ends.ts), each against a raw baseline measured in
// the same page and run. The components are test/fixtures/c/stream-*.c in the built worker.
import * as Comlink from 'comlink';
import { loadComponent, type ComponentHandle } from '../../src/index.ts';
import { chunkFor, DEFAULT_STREAM_WINDOW } from '../../src/channel/ends.ts';
import type { RawApi } from './bench-raw-worker.ts';
import type { Figure } from './bench.ts';
import { median, rounds } from './bench-stats.ts';

const MiB = 1024 * 1024;
const workerUrl = '/dist/component-worker.js';
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const rawWorker = () => {
  const w = new Worker(new URL('./bench-raw-worker.ts', import.meta.url), { type: 'module' });
  return { w, api: Comlink.wrap<RawApi>(w) };
};
type Fn = (...a: unknown[]) => Promise<unknown>;
const fn = (h: ComponentHandle, name: string) => h.exports[name] as Fn;


function figure(name: string, total: number, { o, b }: { o: number[]; b: number[] }): Figure {
  const ours = mbps(total, median(o));
  const raw = mbps(total, median(b));
  return { name, value: ours, unit: 'MB/s', baseline: raw, ratio: ours / raw,
    note: `ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
}

/** stream-worker-to-worker: 64 MiB from a component in one worker to a component in another
 * (64 KiB guest writes; 64 KiB reads that count, stream-sink's take: consume's per-byte hash
 * would be most of the work measured), against two workers moving the same bytes the way ours
 * do: buffers of a stream's chunk (256 KiB for the default 1 MiB window) filled in 64 KiB
 * copies, transferred with at most the window in flight and handed back, the reader copying
 * each out in 64 KiB reads (a baseline that posted new, unfilled buffers never touches its
 * memory: here a new buffer's first touch costs more than the copy). */
async function workerToWorker(): Promise<Figure> {
  const total = 64 * MiB;
  const a = await loadComponent('/test/fixtures/build/stream-source.wasm', { workerUrl });
  const b = await loadComponent('/test/fixtures/build/stream-sink.wasm', { workerUrl });
  const ra = rawWorker();
  const rb = rawWorker();
  await ra.api.add1(1); await rb.api.add1(1);
  const ours = async () => {
    const t0 = performance.now();
    const count = (await fn(b, 'take')(await fn(a, 'produce')(total), total)) as bigint;
    const ms = performance.now() - t0;
    if (count !== BigInt(total)) throw new Error(`stream-worker-to-worker moved ${count} bytes`);
    return ms;
  };
  const raw = async () => {
    const ch = new MessageChannel();
    const t0 = performance.now();
    const got = rb.api.sink(Comlink.transfer(ch.port2, [ch.port2]), total, 65536);
    await ra.api.source(Comlink.transfer(ch.port1, [ch.port1]), total, chunkFor(DEFAULT_STREAM_WINDOW), DEFAULT_STREAM_WINDOW);
    const n = await got;
    const ms = performance.now() - t0;
    if (n !== total) throw new Error('raw worker to worker lost bytes');
    return ms;
  };
  const r = await rounds(ours, raw);
  a.terminate(); b.terminate(); ra.w.terminate(); rb.w.terminate();
  return figure('stream-worker-to-worker', total, r);
}

/** stream-worker-to-worker-isolated: the same on a crossOriginIsolated page, the bytes going
 * through our SharedArrayBuffer ring (transport 'shared-memory'), against two plain workers
 * with a raw ring of the same size (the window, 1 MiB): one copies 64 KiB pieces of the pattern
 * in, the other copies them out into a buffer and hashes it, as the two components do. */
async function workerToWorkerIsolated(): Promise<Figure> {
  if (!crossOriginIsolated) throw new Error('stream-worker-to-worker-isolated needs the page crossOriginIsolated (bench.html?coi)');
  const total = 64 * MiB;
  const a = await loadComponent('/test/fixtures/build/stream-source.wasm', { workerUrl, transport: 'shared-memory' });
  const b = await loadComponent('/test/fixtures/build/stream-sink.wasm', { workerUrl, transport: 'shared-memory' });
  const ra = rawWorker();
  const rb = rawWorker();
  await ra.api.add1(1); await rb.api.add1(1);
  let expected = 0;
  const ours = async () => {
    const t0 = performance.now();
    const [count, hash] = (await fn(b, 'consume')(await fn(a, 'produce')(total))) as [bigint, number];
    const ms = performance.now() - t0;
    if (count !== BigInt(total)) throw new Error(`stream-worker-to-worker-isolated moved ${count} bytes`);
    expected = hash;
    return ms;
  };
  const raw = async () => {
    const sab = new SharedArrayBuffer(128 + MiB);
    const t0 = performance.now();
    const got = rb.api.ringConsume(sab, total, 65536);
    void ra.api.ringProduce(sab, total, 65536);
    const [n, hash] = await got;
    const ms = performance.now() - t0;
    if (n !== total || hash !== expected) throw new Error('the raw ring lost bytes');
    return ms;
  };
  const r = await rounds(ours, raw);
  const ring = (await a.streamStats()).at(-1)?.ring;
  a.terminate(); b.terminate(); ra.w.terminate(); rb.w.terminate();
  if (!ring) throw new Error('stream-worker-to-worker-isolated did not use the ring');
  return figure('stream-worker-to-worker-isolated', total, r);
}

/** stream-to-page: 64 MiB from a component to a page ReadableStream's default reader (which
 * owns each chunk, so each is new memory, written), against a worker filling new 64 KiB
 * ArrayBuffers and posting them transferred to the page: the same memory pattern (a baseline
 * of unfilled buffers never touches its pages, and read 2-3 times faster than anything that
 * delivers bytes could). */
async function toPage(): Promise<Figure> {
  const total = 64 * MiB;
  const a = await loadComponent('/test/fixtures/build/stream-source.wasm', { workerUrl });
  const { w, api } = rawWorker();
  await api.add1(1);
  const ours = async () => {
    const t0 = performance.now();
    const s = (await fn(a, 'produce')(total)) as ReadableStream<Uint8Array>;
    let got = 0;
    const r = s.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      got += value.byteLength;
    }
    const ms = performance.now() - t0;
    if (got !== total) throw new Error(`stream-to-page read ${got} bytes`);
    return ms;
  };
  const raw = async () => {
    const ch = new MessageChannel();
    let got = 0;
    const done = new Promise<void>((r) => { ch.port1.onmessage = (e) => { if (e.data === null) r(); else got += (e.data as ArrayBuffer).byteLength; }; });
    const t0 = performance.now();
    void api.postFilled(Comlink.transfer(ch.port2, [ch.port2]), total, 65536);
    await done;
    const ms = performance.now() - t0;
    if (got !== total) throw new Error('raw post lost bytes');
    return ms;
  };
  const r = await rounds(ours, raw);
  a.terminate(); w.terminate();
  return figure('stream-to-page', total, r);
}

/** slow-consumer-peak: a page reader taking one chunk every 10 ms from an 8 MiB stream<u8>:
 * the most bytes written by the guest and not yet read (the writer's counter), over the window
 * (1 MiB). Lower is better; at most 1. */
async function slowConsumerPeak(): Promise<Figure> {
  const a = await loadComponent('/test/fixtures/build/stream-source.wasm', { workerUrl });
  const s = (await fn(a, 'produce')(8 * MiB)) as ReadableStream<Uint8Array>;
  const r = s.getReader();
  let reads = 0;
  for (;;) {
    const { done } = await r.read();
    if (done) break;
    reads++;
    await new Promise((res) => setTimeout(res, 10));
  }
  const st = (await a.streamStats()).at(-1)!;
  a.terminate();
  return { name: 'slow-consumer-peak', value: st.peakUnread, unit: 'bytes', baseline: st.window, ratio: st.peakUnread / st.window,
    note: `${reads} reads of up to ${st.chunk} bytes; written ${st.written}, read ${st.read}` };
}

export const STREAM_FIGURES: Record<string, () => Promise<Figure>> = {
  'stream-worker-to-worker': workerToWorker, 'stream-worker-to-worker-isolated': workerToWorkerIsolated, 'stream-to-page': toPage, 'slow-consumer-peak': slowConsumerPeak,
};
