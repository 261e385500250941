// Raw baselines for the wasi:keyvalue figures: idb-keyval itself, in a worker (where
// components run), on a database of its own.
import * as Comlink from 'comlink';
import { createStore, get, getMany, set, setMany, update, type UseStore } from 'idb-keyval';

let store: UseStore | null = null;
const value = (i: number, round = 0): Uint8Array => { const v = new Uint8Array(16); for (let j = 0; j < 16; j++) v[j] = (i + j + round) & 0xff; return v; };

const api = {
  /** Use (and create) a database of idb-keyval's own. */
  open(database: string): void { store = createStore(database, 'kv'); },
  /** n sets of 16-byte values, then n gets, each checked (kv-set-get); ms taken. */
  async setGet(n: number): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await set(`k${i}`, value(i), store!);
    for (let i = 0; i < n; i++) {
      const v = (await get(`k${i}`, store!)) as Uint8Array | undefined;
      if (!v || v.byteLength !== 16 || v[0] !== (i & 0xff)) throw new Error(`raw kv-set-get: wrong value at ${i}`);
    }
    return performance.now() - t0;
  },
  /** setMany of n entries, then getMany of them, checked (one kv-batch round); ms taken. */
  async batch(n: number, round: number): Promise<number> {
    const t0 = performance.now();
    const keys = Array.from({ length: n }, (_, i) => `b${i}`);
    await setMany(keys.map((k, i) => [k, value(i, round)]), store!);
    const vs = (await getMany(keys, store!)) as (Uint8Array | undefined)[];
    for (let i = 0; i < n; i++) if (vs[i]?.[0] !== ((i + round) & 0xff)) throw new Error(`raw kv-batch: wrong value at ${i}`);
    return performance.now() - t0;
  },
  /** n increments of one counter by update() (one readwrite transaction each, kv-increment). */
  async increment(key: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await update(key, (v: number | undefined) => (v ?? 0) + 1, store!);
  },
  async read(key: string): Promise<unknown> { return get(key, store!); },
};
export type KvRawApi = typeof api;
Comlink.expose(api);
