// wasi:random@0.3.0
import { insecure } from './insecure.js';
import { insecureSeed } from './insecure-seed.js';
import { random as secure } from './random.js';

export function random(): Record<string, object> {
  return {
    'wasi:random/random@0.3.0': secure(),
    'wasi:random/insecure@0.3.0': insecure(),
    'wasi:random/insecure-seed@0.3.0': insecureSeed(),
  };
}
