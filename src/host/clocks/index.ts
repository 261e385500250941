// wasi:clocks@0.3.0
import { monotonicClock } from './monotonic-clock.js';
import { systemClock } from './system-clock.js';
import { timezone } from './timezone.js';

export function clocks(): Record<string, object> {
  return { types: {}, 'monotonic-clock': monotonicClock(), 'system-clock': systemClock(), timezone: timezone() };
}
