// wasi:clocks/monotonic-clock@0.3.0 on performance.now(), in nanoseconds.
import { neverSuspends } from '../../runtime/index.js';

export const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
/** performance.now() is coarsened to 100 µs without cross-origin isolation, 5 µs with it. */
export const resolutionNs = (): bigint => (globalThis.crossOriginIsolated ? 5_000n : 100_000n);

/** The longest delay setTimeout takes (longer ones fire at once), in ms. */
const MAX_TIMEOUT_MS = 0x7fffffff;

/** A timer of ns nanoseconds (rounded up to whole ms), in pieces setTimeout accepts. */
export function sleep(ns: bigint): Promise<void> {
  let ms = Number((ns + 999_999n) / 1_000_000n);
  return new Promise((resolve) => {
    const next = () => {
      if (ms <= 0) { resolve(); return; }
      const d = Math.min(ms, MAX_TIMEOUT_MS);
      ms -= d;
      setTimeout(next, d);
    };
    next();
  });
}

export function monotonicClock() {
  return {
    now: neverSuspends(nowNs),
    getResolution: neverSuspends(resolutionNs),
    // A time already past returns at once (no Promise), so the guest's call completes without
    // blocking and a future polled once after that time is ready (multi-clock-wait).
    waitUntil: (when: bigint): Promise<void> | undefined => { const d = when - nowNs(); return d > 0n ? sleep(d) : undefined; },
    waitFor: (howLong: bigint): Promise<void> | undefined => (howLong > 0n ? sleep(howLong) : undefined),
  };
}
