// wasi:filesystem@0.3.0 (types, preopens), and the preopened trees of a component, which its
// WASI 0.2 host (../p2/filesystem.ts) shares: one Filesystem per component, made from its
// grants (PreopenGrant: memory, a seeded memory tree, or an OPFS directory). Nothing is
// preopened unless granted.
import type { ComponentState } from '../state.js';
import type { PreopenGrant } from '../grants.js';
import type { HostPackage } from '../registry.js';
import type { Tree } from './tree.js';
import { MemoryTree } from './memory.js';
import { OpfsTree, opfsDirectory } from './opfs.js';
import { types, type DescriptorFlags } from './types.js';
import { preopens } from './preopens.js';

/** A preopened directory: its guest path, its tree, the flags its descriptor has. */
export interface Preopen { readonly path: string; readonly tree: Tree; readonly flags: DescriptorFlags }

/** The tree a grant names (an OPFS directory is created if missing). */
export async function treeOf(g: PreopenGrant): Promise<Tree> {
  if (g === 'memory') return new MemoryTree(false);
  if ('opfs' in g) return new OpfsTree(await opfsDirectory(g.opfs), g.readonly === true, g.opfs);
  if ('files' in g) return new MemoryTree(g.readonly === true, g.files);
  return new MemoryTree(g.readonly === true);
}

/** One component's preopened trees, made at the first get-directories of either generation. */
export class Filesystem {
  private made: Promise<Preopen[]> | null = null;
  private trees: Tree[] = [];
  private closed = false;
  constructor(private readonly grants: Record<string, PreopenGrant>) {}

  preopens(): Promise<Preopen[]> {
    return this.made ??= (async () => {
      const out: Preopen[] = [];
      for (const [path, g] of Object.entries(this.grants)) {
        const tree = await treeOf(g);
        this.trees.push(tree);
        if (this.closed) tree.close();
        out.push({ path, tree, flags: tree.readonly ? { read: true } : { read: true, mutateDirectory: true } });
      }
      return out;
    })();
  }

  /** Release open files (OPFS sync handles), so other components may open them. */
  close(): void {
    this.closed = true;
    for (const t of this.trees) t.close();
  }
}

const FILESYSTEMS = new WeakMap<ComponentState, Filesystem>();

/** The component's filesystem (one, whichever generations it imports). */
export function filesystemOf(state: ComponentState): Filesystem {
  let fs = FILESYSTEMS.get(state);
  if (!fs) { fs = new Filesystem(state.grants.preopens ?? {}); FILESYSTEMS.set(state, fs); }
  return fs;
}

/** wasi:filesystem@0.3.0 */
export const filesystem: HostPackage = {
  name: 'wasi:filesystem',
  version: '0.3',
  create(state) {
    const fs = filesystemOf(state);
    return { imports: { types: types(), preopens: preopens(fs) }, dispose: () => fs.close() };
  },
};
