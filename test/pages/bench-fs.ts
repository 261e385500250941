// The wasi:filesystem figures on OPFS, each against a raw FileSystemSyncAccessHandle in a
// worker, in the same page and run (ratio = our MB/s over raw MB/s): fs-write (64 MiB streamed
// into a file by a component through write-via-stream, 64 KiB writes, then synced) and fs-read
// (the same file streamed out through read-via-stream, 64 KiB reads). Both include opening the
// file (open-at; the raw side's getFileHandle and createSyncAccessHandle).
import * as Comlink from 'comlink';
import { loadComponent, type ComponentHandle } from '../../src/index.ts';
import type { FsRawApi } from './bench-fs-raw-worker.ts';
import type { Figure } from './bench.ts';
import { median } from './bench-stats.ts';

const workerUrl = '/dist/component-worker.js';
const MIB = 64;
const CHUNK = 65536;
const dir = `bench-fs-${Date.now()}`;
type Call = (...a: unknown[]) => Promise<string>;

let setup: Promise<{ h: ComponentHandle; api: Comlink.Remote<FsRawApi>; w: Worker }> | null = null;
function ready() {
  return setup ??= (async () => {
    const h = await loadComponent('/test/fixtures/build/fs-tool.wasm', { workerUrl, preopens: { '/b': { opfs: dir } } });
    const w = new Worker(new URL('./bench-fs-raw-worker.ts', import.meta.url), { type: 'module' });
    return { h, api: Comlink.wrap<FsRawApi>(w), w };
  })();
}

async function fsWrite(): Promise<Figure> {
  const { h, api } = await ready();
  const fill = h.exports.fill as Call;
  const o: number[] = []; const b: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const got = await fill('/b', 'ours.bin', MIB, CHUNK);
    const t = performance.now() - t0;
    if (got !== `ok ${MIB << 20}`) throw new Error(`fs-write: ${got}`);
    const raw = await api.write(dir, 'raw.bin', MIB, CHUNK);
    if (r) { o.push(t); b.push(raw); } // the first round warms up
  }
  const mbs = (ms: number) => (MIB * 1.048576) / (ms / 1000);
  return { name: 'fs-write', value: mbs(median(o)), unit: 'MB/s', baseline: mbs(median(b)), ratio: median(b) / median(o),
    note: `64 MiB, 64 KiB writes; ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
}

async function fsRead(): Promise<Figure> {
  const { h, api, w } = await ready();
  const drain = h.exports.drain as Call;
  // The file fs-write made (or make it now).
  if (!(await drain('/b', 'ours.bin', CHUNK)).startsWith(`ok ${MIB << 20} `)) await (h.exports.fill as Call)('/b', 'ours.bin', MIB, CHUNK);
  const o: number[] = []; const b: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const got = await drain('/b', 'ours.bin', CHUNK);
    const t = performance.now() - t0;
    if (!got.startsWith(`ok ${MIB << 20} `)) throw new Error(`fs-read: ${got}`);
    const [raw, bytes] = await api.read(dir, 'ours.bin', CHUNK);
    if (bytes !== MIB << 20) throw new Error(`raw fs-read: ${bytes} bytes`);
    if (r) { o.push(t); b.push(raw); }
  }
  h.terminate(); w.terminate();
  setup = null;
  const mbs = (ms: number) => (MIB * 1.048576) / (ms / 1000);
  return { name: 'fs-read', value: mbs(median(o)), unit: 'MB/s', baseline: mbs(median(b)), ratio: median(b) / median(o),
    note: `64 MiB, 64 KiB reads; ours ${o.map((x) => x.toFixed(0)).join(' ')} ms; raw ${b.map((x) => x.toFixed(0)).join(' ')} ms` };
}

export const FS_FIGURES: Record<string, () => Promise<Figure>> = { 'fs-write': fsWrite, 'fs-read': fsRead };
