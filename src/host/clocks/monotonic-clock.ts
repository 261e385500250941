// wasi:clocks/monotonic-clock@0.3.0 on performance.now(), in nanoseconds.
import { neverSuspends } from '../../runtime/index.js';
const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const sleep = (ns: bigint): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, Number(ns) / 1e6)));

export function monotonicClock() {
  return {
    now: neverSuspends(nowNs),
    /** performance.now() is coarsened to 100 µs without cross-origin isolation, 5 µs with it. */
    getResolution: neverSuspends((): bigint => (globalThis.crossOriginIsolated ? 5_000n : 100_000n)),
    waitUntil: async (when: bigint): Promise<void> => { const d = when - nowNs(); if (d > 0n) await sleep(d); },
    waitFor: async (howLong: bigint): Promise<void> => { if (howLong > 0n) await sleep(howLong); },
  };
}
