// The key-value store on IndexedDB, shared by the host (in a component's worker) and the page
// (openBucket): one database per namespace (`keyvalue.database`, IndexedDB itself being per
// origin), one object store keyed by [bucket, key]. Buckets appear without a version upgrade,
// and every write (increment, compare-and-swap, a batch) is one readwrite transaction, which
// IndexedDB serialises against every other transaction on the store in any worker or tab: that
// is what makes increment and swap atomic and a batch all-or-nothing. Work goes through
// idb-keyval (its functions over a store opened here; see openStore for why not createStore).
// Every change is told to other contexts on a BroadcastChannel per bucket (see changes()).
import { del, delMany, get, getMany, promisifyRequest, set, setMany, type UseStore } from 'idb-keyval';

/** The object store inside each namespace's database. */
const STORE = 'entries';
/** The database name of a namespace (none: the origin's default namespace). */
export const databaseName = (database?: string): string => (database === undefined ? 'wasip3-web/keyvalue' : `wasip3-web/keyvalue/${database}`);

/** Why a bucket name is refused (null: it is a good name): 1 to 255 characters, no control
 * characters. */
export function badBucketName(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a bucket name must not be empty';
  if (name.length > 255) return 'a bucket name is at most 255 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a bucket name must not contain control characters';
  return null;
}

/** A change to one bucket, as other contexts hear it. */
export type Change =
  | { type: 'set'; entries: [string, Uint8Array][] }
  | { type: 'delete'; keys: string[] };

/** The BroadcastChannel name of a bucket's changes (one name per namespace and bucket). */
export const changesChannel = (database: string | undefined, bucket: string): string =>
  `wasip3-web/keyvalue ${JSON.stringify([database ?? null, bucket])}`;

/** The browser's own words for a failure (a QuotaExceededError, a closed database...). */
export function failureMessage(e: unknown): string {
  if (e instanceof Error || (typeof DOMException !== 'undefined' && e instanceof DOMException)) {
    const err = e as Error;
    if (err.name === 'Error') return err.message; // our own refusal (a counter that is not one)
    return err.message ? `${err.name}: ${err.message}` : err.name;
  }
  return String(e ?? 'the IndexedDB transaction was aborted');
}

/** Open a namespace's database with its one object store, as idb-keyval's createStore does,
 * but closing the connection when another asks for a version change (so a deletion or upgrade
 * elsewhere is not blocked by us) and reopening on the next use. */
function openStore(name: string): UseStore {
  let dbp: Promise<IDBDatabase> | undefined;
  const db = (): Promise<IDBDatabase> => {
    if (dbp) return dbp;
    const req = indexedDB.open(name);
    req.onupgradeneeded = () => { req.result.createObjectStore(STORE); };
    const p = promisifyRequest(req);
    dbp = p;
    p.then((d) => {
      const forget = () => { if (dbp === p) dbp = undefined; };
      d.onversionchange = () => { d.close(); forget(); };
      d.onclose = forget;
    }, () => { if (dbp === p) dbp = undefined; });
    return p;
  };
  return (mode, callback) => db().then((d) => callback(d.transaction(STORE, mode).objectStore(STORE)));
}

const STORES = new Map<string, UseStore>();
/** The store of a namespace (one connection per context). */
export function storeOf(database?: string): UseStore {
  const name = databaseName(database);
  let s = STORES.get(name);
  if (!s) { s = openStore(name); STORES.set(name, s); }
  return s;
}

const k = (bucket: string, key: string): [string, string] => [bucket, key];
/** Every key of a bucket lies in this range (arrays sort after strings). */
const bucketRange = (bucket: string, after?: string): IDBKeyRange =>
  after === undefined ? IDBKeyRange.bound([bucket], [bucket, []]) : IDBKeyRange.bound([bucket, after], [bucket, []], true, false);

/** Values are kept as Uint8Array; anything else found in a bucket (written by hand) is refused. */
function asBytes(v: unknown, key: string): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new Error(`the value of "${key}" is not bytes`);
}

/** A bucket's keys and values in one namespace. Methods reject with the browser's error. */
export class Kv {
  readonly store: UseStore;
  constructor(readonly database?: string) { this.store = storeOf(database); }

  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    return asBytes(await get(k(bucket, key), this.store), key);
  }

  /** Resolves once the transaction is committed. */
  set(bucket: string, key: string, value: Uint8Array): Promise<void> { return set(k(bucket, key), value, this.store); }

  delete(bucket: string, key: string): Promise<void> { return del(k(bucket, key), this.store); }

  exists(bucket: string, key: string): Promise<boolean> {
    return this.store('readonly', (s) => promisifyRequest(s.count(k(bucket, key)))).then((n) => n > 0);
  }

  /** Values of keys in order (undefined for a missing key), read in one transaction. */
  async getMany(bucket: string, keys: string[]): Promise<(Uint8Array | undefined)[]> {
    const vs = await getMany(keys.map((key) => k(bucket, key)), this.store);
    return vs.map((v, i) => asBytes(v, keys[i]!));
  }

  /** All or nothing: one transaction. */
  setMany(bucket: string, entries: [string, Uint8Array][]): Promise<void> {
    return setMany(entries.map(([key, v]) => [k(bucket, key), v]), this.store);
  }

  /** All or nothing: one transaction. */
  deleteMany(bucket: string, keys: string[]): Promise<void> {
    return delMany(keys.map((key) => k(bucket, key)), this.store);
  }

  /** At most `limit` keys in order, after `after` (exclusive); `more` when keys follow. */
  async keysAfter(bucket: string, after: string | undefined, limit: number): Promise<{ keys: string[]; more: boolean }> {
    const got = await this.store('readonly', (s) => promisifyRequest(s.getAllKeys(bucketRange(bucket, after), limit + 1)));
    const keys = (got as [string, string][]).map((x) => x[1]);
    const more = keys.length > limit;
    if (more) keys.length = limit;
    return { keys, more };
  }

  /** At most `limit` keys in order, skipping the first `offset`; `more` when keys follow. */
  keysAt(bucket: string, offset: number, limit: number): Promise<{ keys: string[]; more: boolean }> {
    return this.store('readonly', (s) => new Promise((resolve, reject) => {
      const req = s.openKeyCursor(bucketRange(bucket));
      const keys: string[] = [];
      let skipped = offset === 0;
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const c = req.result;
        if (!c) { resolve({ keys, more: false }); return; }
        if (!skipped) { skipped = true; c.advance(offset); return; }
        if (keys.length === limit) { resolve({ keys, more: true }); return; }
        keys.push((c.key as [string, string])[1]);
        c.continue();
      };
    }));
  }

  /** Every key of a bucket, in order. */
  async keys(bucket: string): Promise<string[]> {
    const got = await this.store('readonly', (s) => promisifyRequest(s.getAllKeys(bucketRange(bucket))));
    return (got as [string, string][]).map((x) => x[1]);
  }

  /** Read a value and write what `update` makes of it, in one readwrite transaction (as
   * idb-keyval's update(), but `update` may refuse by returning an Error: nothing is written
   * and the Error is the result). Resolves once committed, with what update returned. */
  modify<T>(bucket: string, key: string, update: (old: Uint8Array | undefined) => { write?: Uint8Array; result: T } | Error): Promise<T> {
    return this.store('readwrite', (s) => new Promise<T>((resolve, reject) => {
      let out: { result: T } | Error | undefined;
      const req = s.get(k(bucket, key));
      req.onsuccess = () => {
        let u: ReturnType<typeof update>;
        try {
          u = update(asBytes(req.result, key));
        } catch (e) {
          u = e instanceof Error ? e : new Error(String(e));
        }
        out = u;
        if (u instanceof Error) { s.transaction.abort(); return; }
        if (u.write) s.put(u.write, k(bucket, key));
      };
      s.transaction.oncomplete = () => {
        if (out instanceof Error || out === undefined) reject(out ?? new Error('the transaction ended before its read'));
        else resolve(out.result);
      };
      s.transaction.onabort = () => reject(out instanceof Error ? out : s.transaction.error ?? new Error('the IndexedDB transaction was aborted'));
    }));
  }
}

const KVS = new Map<string, Kv>();
/** The Kv of a namespace (one per context). */
export function kvOf(database?: string): Kv {
  const name = databaseName(database);
  let kv = KVS.get(name);
  if (!kv) { kv = new Kv(database); KVS.set(name, kv); }
  return kv;
}

/** Bytes equal. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An integer counter's bytes: its decimal digits (as Redis and wasmtime keep them). */
export const counterBytes = (n: bigint): Uint8Array => new TextEncoder().encode(n.toString());

/** A counter's value from its bytes (0 when absent), or an Error naming the key. */
export function counterValue(key: string, v: Uint8Array | undefined): bigint | Error {
  if (v === undefined) return 0n;
  const s = new TextDecoder().decode(v);
  if (!/^-?[0-9]{1,20}$/.test(s)) return new Error(`the value of "${key}" is not a decimal integer, so it cannot be incremented`);
  return BigInt(s);
}
