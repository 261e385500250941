// wasi:clocks@0.2 (monotonic-clock, wall-clock): the same clocks as wasi:clocks@0.3.0; a
// subscription is a pollable that waits on a timer, so a sleeping component uses no CPU.
import { wallClock } from '@bytecodealliance/preview2-shim/clocks';
import { neverSuspends } from '../../runtime/index.js';
import { nowNs, resolutionNs, sleep } from '../clocks/monotonic-clock.js';
import { pollable } from './io.js';

const after = (ns: bigint) => (ns > 0n ? pollable(sleep(ns)) : pollable());

export function clocks(): Record<string, object> {
  return {
    'monotonic-clock': neverSuspends({
      now: nowNs,
      resolution: resolutionNs,
      subscribeInstant: (when: bigint) => after(when - nowNs()),
      subscribeDuration: (howLong: bigint) => after(howLong),
    }),
    'wall-clock': neverSuspends({ ...wallClock }),
  };
}
