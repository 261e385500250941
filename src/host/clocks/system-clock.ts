// wasi:clocks/system-clock@0.3.0 on Date.now() (millisecond resolution).
import { neverSuspends } from '../../runtime/index.js';
export function systemClock() {
  return neverSuspends({
    now: (): { seconds: bigint; nanoseconds: number } => {
      const ms = Date.now();
      return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
    },
    getResolution: (): bigint => 1_000_000n,
  });
}
