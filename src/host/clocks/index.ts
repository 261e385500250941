// wasi:clocks@0.3.0
import { monotonicClock } from './monotonic-clock.js';
import { systemClock } from './system-clock.js';
import { timezone } from './timezone.js';

export function clocks(): Record<string, object> {
  return {
    'wasi:clocks/types@0.3.0': {},
    'wasi:clocks/monotonic-clock@0.3.0': monotonicClock(),
    'wasi:clocks/system-clock@0.3.0': systemClock(),
    'wasi:clocks/timezone@0.3.0': timezone(),
  };
}
