// wasi:filesystem/preopens@0.3.0: the granted directories, each a new descriptor per call.
import { Descriptor } from './types.js';
import type { Filesystem } from './index.js';

/** wasi:filesystem/preopens@0.3.0 over a component's Filesystem. */
export function preopens(fs: Filesystem): object {
  return {
    /** Waits (JSPI) only the first time, while an OPFS directory is opened. */
    getDirectories: async (): Promise<[Descriptor, string][]> =>
      (await fs.preopens()).map((p) => [new Descriptor(p.tree, p.tree.root(), p.flags, null), p.path]),
  };
}
