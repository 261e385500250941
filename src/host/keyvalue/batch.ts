// wasi:keyvalue/batch@0.2.0-draft2 (and 0.2.0-draft, the same shapes): each call is one
// IndexedDB transaction, so set-many and delete-many are all-or-nothing (stronger than the WIT
// asks); get-many keeps the order of its keys, none for a missing one.
import { ok, other, type BaseBucket, type KvHost, type Result } from './store.js';

/** A key given twice to set-many: the last value wins, as in a sequence of sets. */
export function batch(host: KvHost): object {
  return {
    async getMany(bucket: BaseBucket, keys: string[]): Promise<Result<([string, Uint8Array] | undefined)[]>> {
      try {
        const vs = await host.kv.getMany(bucket.name, keys);
        return ok(vs.map((v, i) => (v === undefined ? undefined : [keys[i]!, v])));
      } catch (e) { return other(e); }
    },
    async setMany(bucket: BaseBucket, entries: [string, Uint8Array][]): Promise<Result<undefined>> {
      if (entries.length === 0) return ok(undefined);
      try {
        await host.kv.setMany(bucket.name, entries);
      } catch (e) { return other(e); }
      host.notify(bucket.name, { type: 'set', entries });
      return ok(undefined);
    },
    async deleteMany(bucket: BaseBucket, keys: string[]): Promise<Result<undefined>> {
      if (keys.length === 0) return ok(undefined);
      try {
        await host.kv.deleteMany(bucket.name, keys);
      } catch (e) { return other(e); }
      host.notify(bucket.name, { type: 'delete', keys });
      return ok(undefined);
    },
  };
}


