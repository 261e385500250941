// wasi:random/random@0.3.0 on crypto.getRandomValues (at most 65536 bytes per call).
import { Trap, neverSuspends } from '../../runtime/index.js';

/** The most bytes one call returns (the WIT lets a host return fewer than asked for). */
export const MAX_RANDOM_BYTES = 1 << 24;

export function randomBytes(maxLen: bigint): Uint8Array {
  if (maxLen < 0n) throw new Trap('negative length');
  const n = Number(maxLen > BigInt(MAX_RANDOM_BYTES) ? BigInt(MAX_RANDOM_BYTES) : maxLen);
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

export function randomU64(): bigint {
  const b = new BigUint64Array(1);
  crypto.getRandomValues(b);
  return b[0]!;
}

export function random() {
  return neverSuspends({ getRandomBytes: randomBytes, getRandomU64: randomU64 });
}
