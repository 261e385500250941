// wasi:clocks/timezone@0.3.0 (unstable in the WIT) from Intl.
import { neverSuspends } from '../../runtime/index.js';
export function timezone() {
  const id = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
  return neverSuspends({
    ianaId: (): string | undefined => id() || undefined,
    /** The offset from UTC at that instant, in nanoseconds. */
    utcOffset: (when: { seconds: bigint; nanoseconds: number }): bigint | undefined =>
      BigInt(-new Date(Number(when.seconds) * 1000).getTimezoneOffset() * 60) * 1_000_000_000n,
    toDebugString: (): string => id(),
  });
}
