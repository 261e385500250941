// wasi:keyvalue/watcher (exported by a component of the watch-service world, either version):
// the host calls its on-set and on-delete for every change another context (a component in
// another worker, the page, another tab) makes to a bucket it watches, heard on that bucket's
// BroadcastChannel. A component never hears its own writes (its channel does not hear itself).
// Watched: every bucket of a list grant from the start; with '*', each bucket once opened.
// Events are delivered one at a time, in the order heard; each brings a new own<bucket>.
import type { Instance } from '../../runtime/index.js';
import type { Change } from './db.js';
import type { BaseBucket, KvHost } from './store.js';

/** Start delivering changes to the component's watcher export, if it has one. */
export function attachWatcher(host: KvHost, instance: Instance, version: string, bucket: (name: string) => BaseBucket): void {
  const name = `wasi:keyvalue/watcher@${version}`;
  if (!instance.exports.has(name)) return;
  let queue: Promise<unknown> = Promise.resolve();
  let failed = false;
  const deliver = (fn: string, args: unknown[]) => {
    queue = queue.then(async () => {
      if (failed) return;
      try {
        await instance.call([name, fn], ...args);
      } catch (e) {
        failed = true;
        host.state.emit({ type: 'handler-trap', export: `${name}#${fn}`, message: e instanceof Error ? e.message : String(e) });
      }
    });
  };
  host.listen((b: string, change: Change) => {
    if (change.type === 'set') for (const [key, value] of change.entries) deliver('on-set', [bucket(b), key, value]);
    else for (const key of change.keys) deliver('on-delete', [bucket(b), key]);
  });
  const g = host.state.grants.keyvalue;
  if (g && g.buckets !== '*') for (const b of g.buckets) if (!host.refuse(b)) host.watch(b);
}
