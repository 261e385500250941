// Path resolution and confinement, for every backend and both WASI generations. A path is
// resolved from a directory descriptor and may never leave it: an absolute path, a `..` above
// the descriptor's directory, or a symbolic link whose target is absolute or climbs above it
// is refused with not-permitted before anything outside is touched (as wasmtime's cap-std
// does). Symbolic links are followed in the middle of a path always, at its end only with
// symlink-follow (or a trailing slash), at most MAX_LINKS times (then loop).
import { FsError, type Tree } from './tree.js';

/** How many symbolic links one resolution may follow (Linux's limit). */
export const MAX_LINKS = 40;
/** The longest path accepted. */
export const MAX_PATH = 4096;

/** What a path names. */
export interface Resolved<N> {
  /** The directory holding the last entry; null when the path names the start directory or
   * one of its ancestors within it ('.', 'a/..'), which has no name to act on. */
  parent: N | null;
  /** The last component's name (null with parent). */
  name: string | null;
  /** The node, or null if the last entry does not exist (its parent does). */
  node: N | null;
  /** The path ended with '/': it must name a directory. */
  dirOnly: boolean;
}

/** Split a relative path, refusing what can never be inside a directory. */
export function components(path: string): string[] {
  if (path === '') throw new FsError('no-entry', 'empty path');
  if (path.length > MAX_PATH) throw new FsError('name-too-long');
  if (path.includes('\0')) throw new FsError('invalid', 'a path may not contain NUL');
  if (path.startsWith('/')) throw new FsError('not-permitted', `absolute path "${path}" is outside the directory`);
  return path.split('/').filter((c) => c !== '');
}

/** Resolve `path` from the directory `start`. Throws FsError: not-permitted for an escape,
 * no-entry for a missing directory on the way, not-directory for a file on the way, loop. */
export async function resolve<N>(tree: Tree<N>, start: N, path: string, follow: boolean): Promise<Resolved<N>> {
  const queue = components(path);
  let dirOnly = path.endsWith('/');
  const stack: N[] = [start];
  let links = 0;
  const here = (): Resolved<N> => ({ parent: null, name: null, node: stack[stack.length - 1]!, dirOnly });
  if (queue.length === 0) return here();
  while (queue.length) {
    const c = queue.shift()!;
    const last = queue.length === 0;
    if (c === '.') { if (last) return here(); continue; }
    if (c === '..') {
      if (stack.length === 1) throw new FsError('not-permitted', `"${path}" leads outside the directory`);
      stack.pop();
      if (last) return here();
      continue;
    }
    if (c.length > 255) throw new FsError('name-too-long');
    const dir = stack[stack.length - 1]!;
    const n = await tree.lookup(dir, c);
    if (n === null) {
      if (last) return { parent: dir, name: c, node: null, dirOnly };
      throw new FsError('no-entry', `no "${c}" in "${path}"`);
    }
    const kind = tree.kind(n);
    if (kind === 'symbolic-link' && (!last || follow || dirOnly)) {
      if (++links > MAX_LINKS) throw new FsError('loop', `too many symbolic links in "${path}"`);
      const target = await tree.readlink(n);
      if (target.startsWith('/')) throw new FsError('not-permitted', `symbolic link "${c}" points outside the directory`);
      const more = components(target);
      if (last && target.endsWith('/')) dirOnly = true;
      queue.unshift(...more);
      if (queue.length === 0) return here();
      continue;
    }
    if (last) return { parent: dir, name: c, node: n, dirOnly };
    if (kind !== 'directory') throw new FsError('not-directory', `"${c}" in "${path}" is not a directory`);
    stack.push(n);
  }
  return here();
}

/** Resolve a path that must name an entry that exists (its node, with its parent and name). */
export async function existing<N>(tree: Tree<N>, start: N, path: string, follow: boolean): Promise<Resolved<N> & { node: N }> {
  const r = await resolve(tree, start, path, follow);
  if (r.node === null) throw new FsError('no-entry', `"${path}" does not exist`);
  if (r.dirOnly && tree.kind(r.node) !== 'directory') throw new FsError('not-directory', `"${path}" is not a directory`);
  return r as Resolved<N> & { node: N };
}

/** Resolve a path whose last component is acted on by name (create, remove, rename, link):
 * refuses one that names the directory itself or an ancestor ('.', '..') with `dotCode`. */
export async function named<N>(tree: Tree<N>, start: N, path: string, dotCode: 'exist' | 'not-permitted' | 'invalid' | 'busy' | 'is-directory' = 'invalid'):
  Promise<{ parent: N; name: string; node: N | null; dirOnly: boolean }> {
  const cs = components(path);
  const lastc = cs[cs.length - 1];
  // `..` at the end of a path that climbs out is an escape whatever the operation.
  const r = await resolve(tree, start, path, false);
  if (r.parent === null || r.name === null) {
    throw new FsError(lastc === '..' ? 'not-permitted' : dotCode, `"${path}" names a directory, not an entry in it`);
  }
  return { parent: r.parent, name: r.name, node: r.node, dirOnly: r.dirOnly };
}
