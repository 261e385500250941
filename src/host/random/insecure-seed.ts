// wasi:random/insecure-seed@0.3.0: one seed per component instance.
import { neverSuspends } from '../../runtime/index.js';
import { randomU64 } from './random.js';

export function insecureSeed() {
  const seed: [bigint, bigint] = [randomU64(), randomU64()];
  return neverSuspends({ getInsecureSeed: (): [bigint, bigint] => seed });
}
