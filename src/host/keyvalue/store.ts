// wasi:keyvalue/store@0.2.0-draft2 on IndexedDB (db.ts): `open` checks the bucket name and the
// grant; a bucket's functions suspend the component (JSPI) while IndexedDB works. A write
// returns once its transaction is committed, and is then told to other contexts (changes()).
import { neverSuspends } from '../../runtime/index.js';
import type { ComponentState } from '../state.js';
import { Kv, badBucketName, changesChannel, failureMessage, kvOf, type Change } from './db.js';

/** The interface's error variant. */
export type KvError = { tag: 'no-such-store' } | { tag: 'access-denied' } | { tag: 'other'; val: string };
export type Result<T, E = KvError> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

export const ok = <T>(val: T): Result<T, never> => ({ tag: 'ok', val });
export const err = <E>(val: E): Result<never, E> => ({ tag: 'err', val });
export const other = (e: unknown): Result<never> => err({ tag: 'other', val: failureMessage(e) });

/** The most keys one list-keys page holds. */
export const PAGE = 1000;

/** One component's keyvalue host, shared by both WIT versions it may import: its grant, its
 * namespace, and a BroadcastChannel per bucket it writes or watches (a channel does not hear
 * its own messages, so a component's watcher never hears its own writes). */
export class KvHost {
  readonly kv: Kv;
  private readonly channels = new Map<string, BroadcastChannel>();
  /** Called with every change another context makes to a watched bucket. */
  private listener: ((bucket: string, change: Change) => void) | null = null;
  private readonly watched = new Set<string>();
  private closed = false;

  constructor(readonly state: ComponentState) {
    this.kv = kvOf(state.grants.keyvalue?.database);
  }

  /** Why a bucket may not be opened (null: it may). */
  refuse(name: string): KvError | null {
    if (badBucketName(name)) return { tag: 'no-such-store' };
    const g = this.state.grants.keyvalue;
    if (!g || (g.buckets !== '*' && !g.buckets.includes(name))) return { tag: 'access-denied' };
    return null;
  }

  private channel(bucket: string): BroadcastChannel | null {
    if (this.closed) return null;
    let c = this.channels.get(bucket);
    if (!c) {
      c = new BroadcastChannel(changesChannel(this.state.grants.keyvalue?.database, bucket));
      this.channels.set(bucket, c);
    }
    return c;
  }

  /** Tell other contexts about a committed change. */
  notify(bucket: string, change: Change): void {
    this.channel(bucket)?.postMessage(change);
  }

  /** Hear other contexts' changes to buckets, from now on: those watched (see watch()). */
  listen(f: (bucket: string, change: Change) => void): void { this.listener = f; }

  /** Start hearing changes to a bucket (once). */
  watch(bucket: string): void {
    if (this.watched.has(bucket) || !this.listener) return;
    const c = this.channel(bucket);
    if (!c) return;
    this.watched.add(bucket);
    c.onmessage = (e: MessageEvent<Change>) => this.listener?.(bucket, e.data);
  }

  /** Whether a watcher is listening (open() then watches the bucket it opens). */
  get listening(): boolean { return this.listener !== null; }

  close(): void {
    this.closed = true;
    this.listener = null;
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }
}

const HOSTS = new WeakMap<ComponentState, KvHost>();
/** The keyvalue host of a component (one, whichever versions it imports). */
export function kvHost(state: ComponentState): KvHost {
  let h = HOSTS.get(state);
  if (!h) { h = new KvHost(state); HOSTS.set(state, h); }
  return h;
}

/** A bucket, as a host resource: a new object for each own handle (open, a watcher's event). */
export class BaseBucket {
  constructor(readonly host: KvHost, readonly name: string) {}

  async get(key: string): Promise<Result<Uint8Array | undefined>> {
    try { return ok(await this.host.kv.get(this.name, key)); } catch (e) { return other(e); }
  }

  async set(key: string, value: Uint8Array): Promise<Result<undefined>> {
    try {
      await this.host.kv.set(this.name, key, value);
    } catch (e) { return other(e); }
    this.host.notify(this.name, { type: 'set', entries: [[key, value]] });
    return ok(undefined);
  }

  async delete(key: string): Promise<Result<undefined>> {
    try {
      await this.host.kv.delete(this.name, key);
    } catch (e) { return other(e); }
    this.host.notify(this.name, { type: 'delete', keys: [key] });
    return ok(undefined);
  }

  async exists(key: string): Promise<Result<boolean>> {
    try { return ok(await this.host.kv.exists(this.name, key)); } catch (e) { return other(e); }
  }

  [Symbol.dispose](): void {}
}

/** draft2's bucket: list-keys pages in key order, its cursor the last key of the page before
 * (so a walk sees each key once, whatever is written meanwhile). */
export class Bucket extends BaseBucket {
  async listKeys(cursor: string | undefined): Promise<Result<{ keys: string[]; cursor: string | undefined }>> {
    try {
      const { keys, more } = await this.host.kv.keysAfter(this.name, cursor, PAGE);
      return ok({ keys, cursor: more ? keys[keys.length - 1] : undefined });
    } catch (e) { return other(e); }
  }
}

/** The `open` of either version: a new bucket object, or the interface's error. */
export function opener<B>(host: KvHost, make: (name: string) => B) {
  return (identifier: string): Result<B> => {
    const refused = host.refuse(identifier);
    if (refused) return err(refused);
    if (host.listening) host.watch(identifier);
    return ok(make(identifier));
  };
}

/** wasi:keyvalue/store@0.2.0-draft2 */
export function store(host: KvHost): object {
  return { open: neverSuspends(opener(host, (name) => new Bucket(host, name))), Bucket };
}
