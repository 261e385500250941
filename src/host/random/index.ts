// wasi:random@0.3.0
import { insecure } from './insecure.js';
import { insecureSeed } from './insecure-seed.js';
import { random as secure } from './random.js';

export function random(): Record<string, object> {
  return { random: secure(), insecure: insecure(), 'insecure-seed': insecureSeed() };
}
