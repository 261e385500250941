// wasi:random/insecure@0.3.0: the same CSPRNG (it is cheap in browsers).
import { neverSuspends } from '../../runtime/index.js';
import { randomBytes, randomU64 } from './random.js';

export function insecure() {
  return neverSuspends({ getInsecureRandomBytes: randomBytes, getInsecureRandomU64: randomU64 });
}
