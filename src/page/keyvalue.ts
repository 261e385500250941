// The page's own view of a wasi:keyvalue bucket (openBucket): the same IndexedDB store and the
// same change channel as components' buckets (src/host/keyvalue/db.ts), so a page can seed a
// bucket before a component runs, read what components wrote, and hear their changes (the
// demo's inspector does). The page owns its origin's data: no grant is needed here.
import { Kv, badBucketName, changesChannel, kvOf, type Change } from '../host/keyvalue/db.js';

/** A change to a bucket made elsewhere (a component, another tab): the `detail` of a `change`
 * event. A set's value is the bytes written; a delete has none. */
export type BucketChange = { type: 'set'; key: string; value: Uint8Array } | { type: 'delete'; key: string };

/** Options of openBucket. */
export interface OpenBucketOptions {
  /** The namespace, as a component's `keyvalue.database` grant names it (default: none). */
  database?: string;
}

const encode = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? new TextEncoder().encode(v) : v);

/** A bucket seen from the page. Values are bytes (a string is stored as its UTF-8). Methods
 * reject with the browser's error (a full quota, a closed database). Fires `change` events
 * (CustomEvent<BucketChange>, one per key) for changes made by components and other tabs;
 * the page's own writes reach components' watchers but not its own listeners. */
export class KeyvalueBucket extends EventTarget {
  private readonly kv: Kv;
  private readonly channel: BroadcastChannel;

  /** Use openBucket(). */
  constructor(readonly name: string, readonly database?: string) {
    super();
    this.kv = kvOf(database);
    this.channel = new BroadcastChannel(changesChannel(database, name));
    this.channel.onmessage = (e: MessageEvent<Change>) => {
      const c = e.data;
      if (c.type === 'set') for (const [key, value] of c.entries) this.fire({ type: 'set', key, value });
      else for (const key of c.keys) this.fire({ type: 'delete', key });
    };
  }

  private fire(detail: BucketChange): void { this.dispatchEvent(new CustomEvent('change', { detail })); }

  /** The value of a key, or undefined. */
  get(key: string): Promise<Uint8Array | undefined> { return this.kv.get(this.name, key); }

  /** The value of a key as UTF-8 text, or undefined. */
  async getText(key: string): Promise<string | undefined> {
    const v = await this.get(key);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }

  /** Set a key (resolves once committed; components' watchers then hear it). */
  async set(key: string, value: Uint8Array | string): Promise<void> {
    const bytes = encode(value);
    await this.kv.set(this.name, key, bytes);
    this.channel.postMessage({ type: 'set', entries: [[key, bytes]] } satisfies Change);
  }

  /** Delete a key (nothing if absent). */
  async delete(key: string): Promise<void> {
    await this.kv.delete(this.name, key);
    this.channel.postMessage({ type: 'delete', keys: [key] } satisfies Change);
  }

  /** Every key, in order. */
  keys(): Promise<string[]> { return this.kv.keys(this.name); }

  /** Stop hearing changes. */
  close(): void { this.channel.close(); }
}

/** Open a wasi:keyvalue bucket from the page: the bucket components see under the same name
 * and `keyvalue.database`. Throws a TypeError for a name a component could not open. */
export function openBucket(name: string, options: OpenBucketOptions = {}): KeyvalueBucket {
  const bad = badBucketName(name);
  if (bad) throw new TypeError(`openBucket(${JSON.stringify(name)}): ${bad}`);
  if (options.database !== undefined && (typeof options.database !== 'string' || !options.database)) {
    throw new TypeError('openBucket: database must be a non-empty string');
  }
  return new KeyvalueBucket(name, options.database);
}
