// The wasi:sockets figures, each against raw MessagePorts between two workers in the same page
// and run: tcp-loopback (64 MiB from a component in one worker to a component in another over
// a loopback TCP connection; raw: stream-worker-to-worker's, 64 MiB of transferred 1 MiB
// buffers, filled in 64 KiB copies, worker to worker with a 4 MiB window, the reader copying
// out in 1 MiB reads; ratio = ours / raw, target >= 0.8) and
// tcp-connect (connections per second between two components, each accepted, read to its
// FIN and closed; raw: a MessageChannel introduced through the page and answered; reported).
import * as Comlink from 'comlink';
import { loadComponent } from '../../src/index.ts';
import type { SockRawApi } from './bench-sock-raw-worker.ts';
import type { RawApi } from './bench-raw-worker.ts';
import type { Figure } from './bench.ts';
import { median, rounds } from './bench-stats.ts';

const workerUrl = '/dist/component-worker.js';
const MiB = 1 << 20;
const rawWorker = () => {
  const w = new Worker(new URL('./bench-sock-raw-worker.ts', import.meta.url), { type: 'module' });
  return { w, api: Comlink.wrap<SockRawApi>(w) };
};
type Exports = Record<string, (...a: unknown[]) => Promise<string>>;

async function pair() {
  const grant = { workerUrl, sockets: 'loopback' as const };
  const srv = await loadComponent('/test/fixtures/build/sock-server.wasm', grant);
  const cli = await loadComponent('/test/fixtures/build/sock-client.wasm', grant);
  const s = srv.exports as unknown as Exports;
  const c = cli.exports as unknown as Exports;
  const port = Number((await s.listen!(0, false)).split(' ')[1]);
  return { s, c, port, end: () => { srv.terminate(); cli.terminate(); } };
}

/** tcp-loopback, in MB/s. */
async function tcpLoopback(): Promise<Figure> {
  const mib = 64;
  const { s, c, port, end } = await pair();
  const ours = async () => {
    const t0 = performance.now();
    const sunk = s.sink!();
    const sent = await c.bulk!(port, mib);
    const got = await sunk;
    const ms = performance.now() - t0;
    if (sent !== 'ok' || got !== `ok ${mib * MiB}`) throw new Error(`tcp-loopback: ${sent}, ${got}`);
    return (mib * MiB) / 1e6 / (ms / 1000);
  };
  // The stream-worker-to-worker baseline, its reader taking 1 MiB reads as sock-server's sink does.
  const bulkWorker = () => {
    const w = new Worker(new URL('./bench-raw-worker.ts', import.meta.url), { type: 'module' });
    return { w, api: Comlink.wrap<RawApi>(w) };
  };
  const a = bulkWorker();
  const b = bulkWorker();
  const raw = async () => {
    const ch = new MessageChannel();
    const t0 = performance.now();
    const got = a.api.sink(Comlink.transfer(ch.port1, [ch.port1]), mib * MiB, MiB);
    await b.api.source(Comlink.transfer(ch.port2, [ch.port2]), mib * MiB);
    await got;
    return (mib * MiB) / 1e6 / ((performance.now() - t0) / 1000);
  };
  const { o, b: r } = await rounds(ours, raw);
  end(); a.w.terminate(); b.w.terminate();
  return { name: 'tcp-loopback', value: median(o), unit: 'MB/s', baseline: median(r), ratio: median(o) / median(r) };
}

/** tcp-connect, in connections per second. */
async function tcpConnect(): Promise<Figure> {
  const n = 200;
  const { s, c, port, end } = await pair();
  const ours = async () => {
    const t0 = performance.now();
    const served = s.echo!(n);
    const made = await c.connects!(port, n);
    const echoed = await served;
    const ms = performance.now() - t0;
    if (made !== 'ok' || echoed !== 'ok 0') throw new Error(`tcp-connect: ${made}, ${echoed}`);
    return n / (ms / 1000);
  };
  const a = rawWorker();
  const b = rawWorker();
  // The page passes each introduction on, as the loopback network does.
  const toPage = new MessageChannel();
  const toAcceptor = new MessageChannel();
  toPage.port1.onmessage = (e: MessageEvent<MessagePort>) => toAcceptor.port1.postMessage(e.data, [e.data]);
  await a.api.accept(Comlink.transfer(toAcceptor.port2, [toAcceptor.port2]));
  const raw = async () => n / ((await b.api.introduce(Comlink.transfer(toPage.port2, [toPage.port2]), n)) / 1000);
  await ours();
  const o: number[] = [];
  for (let i = 0; i < 5; i++) o.push(await ours());
  const rawRate = await raw();
  end(); a.w.terminate(); b.w.terminate();
  return { name: 'tcp-connect', value: median(o), unit: 'conn/s', baseline: rawRate, ratio: median(o) / rawRate, note: 'no target yet' };
}

export const SOCK_FIGURES: Record<string, () => Promise<Figure>> = { 'tcp-loopback': tcpLoopback, 'tcp-connect': tcpConnect };
