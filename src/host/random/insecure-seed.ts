// wasi:random/insecure-seed@0.3.0: one seed per component instance.
import { randomU64 } from './random.js';

export function insecureSeed() {
  const seed: [bigint, bigint] = [randomU64(), randomU64()];
  return { getInsecureSeed: (): [bigint, bigint] => seed };
}
