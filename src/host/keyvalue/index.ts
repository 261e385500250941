// wasi:keyvalue on IndexedDB, in two versions on the same buckets: 0.2.0-draft2 (store,
// atomics with cas and swap, batch, the exported watcher) and 0.2.0-draft (wasmtime's: store
// with a u64 cursor, increment on u64, batch, the exported watcher). Grants: KeyvalueGrant.
import type { HostPackage } from '../registry.js';
import { atomics } from './atomics.js';
import { batch } from './batch.js';
import { draftAtomics, draftStore, DraftBucket } from './draft.js';
import { Bucket, kvHost, store } from './store.js';
import { attachWatcher } from './watcher.js';

/** wasi:keyvalue@0.2.0-draft2 */
export const keyvalue: HostPackage = {
  name: 'wasi:keyvalue',
  version: '0.2.0-draft2',
  create(state) {
    const host = kvHost(state);
    return {
      imports: { store: store(host), atomics: atomics(host), batch: batch(host) },
      attach: (instance) => attachWatcher(host, instance, '0.2.0-draft2', (name) => new Bucket(host, name)),
      dispose: () => host.close(),
    };
  },
};

/** wasi:keyvalue@0.2.0-draft */
export const keyvalueDraft: HostPackage = {
  name: 'wasi:keyvalue',
  version: '0.2.0-draft',
  create(state) {
    const host = kvHost(state);
    return {
      imports: { store: draftStore(host), atomics: draftAtomics(host), batch: batch(host) },
      attach: (instance) => attachWatcher(host, instance, '0.2.0-draft', (name) => new DraftBucket(host, name)),
      dispose: () => host.close(),
    };
  },
};
