// wasi:keyvalue@0.2.0-draft, the version wasmtime serves, on the same buckets as draft2: its
// own shapes where they differ. store: list-keys pages with a u64 cursor (the number of keys
// already returned); atomics: increment on u64 only (a counter below zero or a sum above
// 2^64-1 is the `other` error); batch and the watcher as in draft2.
import { incrementIn, U64_MAX } from './atomics.js';
import { neverSuspends } from '../../runtime/index.js';
import { BaseBucket, PAGE, ok, opener, other, type KvHost, type Result } from './store.js';

/** A bucket of the draft: list-keys by offset. */
export class DraftBucket extends BaseBucket {
  async listKeys(cursor: bigint | undefined): Promise<Result<{ keys: string[]; cursor: bigint | undefined }>> {
    const offset = cursor ?? 0n;
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return ok({ keys: [], cursor: undefined });
    try {
      const { keys, more } = await this.host.kv.keysAt(this.name, Number(offset), PAGE);
      return ok({ keys, cursor: more ? offset + BigInt(keys.length) : undefined });
    } catch (e) { return other(e); }
  }
}

/** wasi:keyvalue/store@0.2.0-draft */
export function draftStore(host: KvHost): object {
  return { open: neverSuspends(opener(host, (name) => new DraftBucket(host, name))), Bucket: DraftBucket };
}

/** wasi:keyvalue/atomics@0.2.0-draft */
export function draftAtomics(host: KvHost): object {
  return { increment: (bucket: BaseBucket, key: string, delta: bigint) => incrementIn(host, bucket.name, key, delta, 0n, U64_MAX) };
}
