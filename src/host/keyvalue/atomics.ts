// wasi:keyvalue/atomics@0.2.0-draft2: increment, and compare-and-swap through the `cas`
// resource and `swap`. Each runs in one readwrite IndexedDB transaction (Kv.modify), which
// IndexedDB serialises against every other on the store, in any worker or tab. A counter is
// kept as its decimal digits; a value that is not one is the interface's `other` error, and
// nothing is written.
import { counterBytes, counterValue, sameBytes } from './db.js';
import { BaseBucket, err, ok, other, type KvError, type KvHost, type Result } from './store.js';

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;

/** Add delta to a counter in one transaction; the new value, or an Error (nothing written)
 * when the value is not a counter or the sum leaves [min, max]. */
export async function incrementIn(host: KvHost, bucket: string, key: string, delta: bigint, min: bigint, max: bigint): Promise<Result<bigint>> {
  let next: bigint;
  try {
    next = await host.kv.modify(bucket, key, (old) => {
      const v = counterValue(key, old);
      if (v instanceof Error) return v;
      if (v < min || v > max) return new Error(`the value of "${key}" (${v}) is out of this counter's range [${min}, ${max}]`);
      const n = v + delta;
      if (n < min || n > max) return new Error(`incrementing "${key}" (${v}) by ${delta} overflows`);
      return { write: counterBytes(n), result: n };
    });
  } catch (e) { return other(e); }
  host.notify(bucket, { type: 'set', entries: [[key, counterBytes(next)]] });
  return ok(next);
}

type CasError = { tag: 'store-error'; val: KvError } | { tag: 'cas-failed'; val: Cas };

/** A compare-and-swap on one key: the value it saw when made (or last failed). */
export class Cas {
  constructor(readonly bucket: BaseBucket, readonly key: string, readonly seen: Uint8Array | undefined) {}

  static async new(bucket: BaseBucket, key: string): Promise<Result<Cas>> {
    try {
      return ok(new Cas(bucket, key, await bucket.host.kv.get(bucket.name, key)));
    } catch (e) { return other(e); }
  }

  current(): Result<Uint8Array | undefined> { return ok(this.seen); }

  [Symbol.dispose](): void {}
}

/** wasi:keyvalue/atomics@0.2.0-draft2 */
export function atomics(host: KvHost): object {
  return {
    Cas,
    increment: (bucket: BaseBucket, key: string, delta: bigint) => incrementIn(host, bucket.name, key, delta, S64_MIN, S64_MAX),
    /** Write value if the key still holds what cas saw; else a new cas holding what it holds now. */
    async swap(cas: Cas, value: Uint8Array): Promise<Result<undefined, CasError>> {
      const { bucket, key, seen } = cas;
      type Swapped = { swapped: true } | { swapped: false; now: Uint8Array | undefined };
      let r: Swapped;
      try {
        r = await host.kv.modify<Swapped>(bucket.name, key, (now) => (sameBytes(now, seen)
          ? { write: value, result: { swapped: true } }
          : { result: { swapped: false, now } }));
      } catch (e) {
        return err({ tag: 'store-error', val: (other(e) as { val: KvError }).val });
      }
      if (!r.swapped) return err({ tag: 'cas-failed', val: new Cas(bucket, key, r.now) });
      host.notify(bucket.name, { type: 'set', entries: [[key, value]] });
      return ok(undefined);
    },
  };
}


