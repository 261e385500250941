// The wasi:messaging figures, each against raw BroadcastChannel between two workers in the same
// page and run: msg-throughput (messages per second from a component in one worker to a
// component's handler in another; ratio = ours / raw, target >= 0.5) and msg-latency (one-way
// latency, half a request-reply round trip between two components; ratio = ours / raw,
// target <= 2).
import * as Comlink from 'comlink';
import { loadComponent } from '../../src/index.ts';
import type { MsgRawApi } from './bench-msg-raw-worker.ts';
import type { Figure } from './bench.ts';
import { median } from './bench-stats.ts';

const workerUrl = '/dist/component-worker.js';
const rawWorker = () => {
  const w = new Worker(new URL('./bench-msg-raw-worker.ts', import.meta.url), { type: 'module' });
  return { w, api: Comlink.wrap<MsgRawApi>(w) };
};
const dec = new TextDecoder();

/** msg-throughput: 20,000 messages, msg-publisher to msg-counter (block, queue 1,024), timed
 * from run() until the counter has handled the last; raw: a worker posting 20,000 messages on a
 * BroadcastChannel to a worker that counts them. Messages per second. */
async function throughput(): Promise<Figure> {
  const n = 20_000;
  let round = 0;
  const ours = async () => {
    const topic = `bench.tp${round++}`;
    const counter = await loadComponent('/test/fixtures/build/msg-counter.wasm', { workerUrl, messaging: { subscribe: [topic] } });
    const out: string[] = [];
    const pub = await loadComponent('/test/fixtures/build/msg-publisher.wasm', {
      workerUrl, args: ['p', 'send', topic, String(n)], messaging: { publish: [topic] }, stdout: (c) => out.push(dec.decode(c)),
    });
    const count = (counter.exports['test:fixtures/msg-stats'] as Record<string, () => Promise<number>>).count!;
    const t0 = performance.now();
    const { exitCode } = await pub.run();
    let got = 0;
    // Polled every 20 ms (a poll is a call into the counter: rarely, so as not to slow it).
    while ((got = await count()) < n) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t0;
    pub.terminate(); counter.terminate();
    if (exitCode !== 0 || got !== n) throw new Error(`msg-throughput: exit ${exitCode} (${out.join('')}), ${got} of ${n} handled`);
    return n / (ms / 1000);
  };
  const raw = async () => {
    const a = rawWorker(); const b = rawWorker();
    const name = `raw-tp-${round++}`;
    const sunk = b.api.sink(name, n);
    // Both workers started, and b listening (its calls run in order).
    await b.api.source(`${name}-none`, 0);
    await a.api.source(`${name}-none`, 0);
    const t0 = performance.now();
    await a.api.source(name, n);
    await sunk;
    const ms = performance.now() - t0;
    a.w.terminate(); b.w.terminate();
    return n / (ms / 1000);
  };
  await ours(); await raw();
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 5; i++) { o.push(await ours()); b.push(await raw()); }
  return { name: 'msg-throughput', value: median(o), unit: 'msg/s', baseline: median(b), ratio: median(o) / median(b),
    note: `ours ${o.map((x) => x.toFixed(0)).join(' ')}; raw ${b.map((x) => x.toFixed(0)).join(' ')}` };
}

/** msg-latency: 2,000 requests in turn from msg-publisher (ping) to a quiet msg-echo, each
 * waiting for its reply, timed by the component's clock; one-way latency is half the mean round
 * trip. Raw: the same ping-pong between two workers on two BroadcastChannels. */
async function latency(): Promise<Figure> {
  const n = 2000;
  let round = 0;
  const ours = async () => {
    const topic = `bench.lat${round++}`;
    const echo = await loadComponent('/test/fixtures/build/msg-echo.wasm', { workerUrl, args: ['echo', 'e', 'quiet'], messaging: { subscribe: [topic] } });
    const out: string[] = [];
    const pub = await loadComponent('/test/fixtures/build/msg-publisher.wasm', {
      workerUrl, args: ['p', 'ping', topic, String(n)], messaging: { publish: [topic] }, stdout: (c) => out.push(dec.decode(c)),
    });
    const { exitCode } = await pub.run();
    pub.terminate(); echo.terminate();
    const m = /^pinged (\d+) in (\d+) us\n$/.exec(out.join(''));
    if (exitCode !== 0 || !m || Number(m[1]) !== n) throw new Error(`msg-latency: exit ${exitCode}: ${out.join('')}`);
    return Number(m[2]) / n / 2;
  };
  const raw = async () => {
    const a = rawWorker(); const b = rawWorker();
    const name = `raw-lat-${round++}`;
    await b.api.pong(name);
    const ms = await a.api.ping(name, n);
    a.w.terminate(); b.w.terminate();
    return (ms * 1000) / n / 2;
  };
  await ours(); await raw();
  const o: number[] = []; const b: number[] = [];
  for (let i = 0; i < 5; i++) { o.push(await ours()); b.push(await raw()); }
  return { name: 'msg-latency', value: median(o), unit: 'µs', baseline: median(b), ratio: median(o) / median(b),
    note: `ours ${o.map((x) => x.toFixed(0)).join(' ')}; raw ${b.map((x) => x.toFixed(0)).join(' ')}` };
}

export const MSG_FIGURES: Record<string, () => Promise<Figure>> = { 'msg-throughput': throughput, 'msg-latency': latency };
