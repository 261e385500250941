// Path resolution and confinement (src/host/filesystem/path.ts) over the memory tree, and the
// 0.3 descriptor's answers to each way out of a preopen: `..`, absolute paths, symbolic links
// (absolute or climbing, in the middle or at the end of a path, followed or not). Each escape
// gets not-permitted, and the test checks nothing outside was touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTree, type MemAny, MemDir } from '../../src/host/filesystem/memory.ts';
import { existing, named, resolve, components } from '../../src/host/filesystem/path.ts';
import { FsError } from '../../src/host/filesystem/tree.ts';
import { Descriptor, openedFlags } from '../../src/host/filesystem/types.ts';

/** A tree with outside/secret.txt beside the preopened inside/ (a.txt, sub/b.txt). */
async function world() {
  const all = new MemoryTree(false, { 'outside/secret.txt': 'secret', 'inside/a.txt': 'a', 'inside/sub/b.txt': 'b' });
  const inside = (await all.lookup(all.root(), 'inside'))!;
  const sub = (await all.lookup(inside, 'sub'))!;
  await all.symlink(inside, 'up', '..');
  await all.symlink(inside, 'abs', '/etc/passwd');
  await all.symlink(inside, 'outside-link', '../outside/secret.txt');
  await all.symlink(sub, 'to-a', '../a.txt');
  await all.symlink(inside, 'loop1', 'loop2');
  await all.symlink(inside, 'loop2', 'loop1');
  await all.symlink(inside, 'subdir', 'sub/');
  const dir = new Descriptor(all, inside, { read: true, mutateDirectory: true }, null);
  const before = JSON.stringify([...all.snapshot()].map(([k, v]) => [k, v && [...v]]));
  const untouched = () => assert.equal(JSON.stringify([...all.snapshot()].map(([k, v]) => [k, v && [...v]])), before, 'the tree outside is unchanged');
  return { all, inside, sub, dir, untouched };
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try { await p; return 'ok'; } catch (e) { return e instanceof FsError ? e.code : `threw ${String(e)}`; }
};
const errOf = (r: { tag: string; val?: unknown }): string => (r.tag === 'ok' ? 'ok' : (r.val as { tag: string }).tag);

test('components refuses empty and absolute paths and NUL', () => {
  assert.throws(() => components(''), (e: FsError) => e.code === 'no-entry');
  assert.throws(() => components('/a'), (e: FsError) => e.code === 'not-permitted');
  assert.throws(() => components('a\0b'), (e: FsError) => e.code === 'invalid');
  assert.deepEqual(components('a//b/./c/'), ['a', 'b', '.', 'c']);
});

test('paths inside resolve, with .. kept within the start directory', async () => {
  const { all, inside, sub } = await world();
  assert.equal((await existing(all, inside, 'sub/../a.txt', false)).node, await all.lookup(inside, 'a.txt'));
  assert.equal((await existing(all, inside, 'sub/b.txt', false)).parent, sub);
  assert.equal((await resolve(all, inside, '.', false)).node, inside);
  assert.equal((await resolve(all, inside, 'sub/..', false)).node, inside);
  const missing = await resolve(all, inside, 'sub/new.txt', false);
  assert.deepEqual([missing.parent, missing.name, missing.node], [sub, 'new.txt', null]);
  assert.equal(await code(resolve(all, inside, 'nope/x', false)), 'no-entry');
  assert.equal(await code(resolve(all, inside, 'a.txt/x', false)), 'not-directory');
});

test('every escape is not-permitted: .., absolute paths, symbolic links out', async () => {
  const { all, inside, sub } = await world();
  for (const p of ['..', '../outside/secret.txt', 'sub/../../outside', '/', '/etc/passwd', '/a.txt', 'sub/../..']) {
    assert.equal(await code(resolve(all, inside, p, true)), 'not-permitted', p);
  }
  // From a subdirectory's descriptor, its parent is outside too.
  assert.equal(await code(resolve(all, sub, '../a.txt', false)), 'not-permitted');
  assert.equal(await code(resolve(all, sub, 'to-a', true)), 'not-permitted');
  // Links: followed in the middle of a path always, at the end with symlink-follow or a '/'.
  for (const [p, follow] of [['up/outside/secret.txt', false], ['up', true], ['up/', false], ['abs', true], ['outside-link', true]] as const) {
    assert.equal(await code(resolve(all, inside, p, follow)), 'not-permitted', `${p} follow=${follow}`);
  }
  // Not followed at the end: the link itself, which is inside.
  assert.equal(all.kind((await existing(all, inside, 'up', false)).node), 'symbolic-link');
  assert.equal(await code(resolve(all, inside, 'loop1', true)), 'loop');
  assert.equal(all.kind((await existing(all, inside, 'subdir/b.txt', false)).node), 'regular-file');
  assert.equal(await code(named(all, inside, '..')), 'not-permitted');
  assert.equal(await code(named(all, inside, 'sub/../..')), 'not-permitted');
});

test('a descriptor answers each escape with not-permitted and touches nothing outside', async () => {
  const { dir, untouched } = await world();
  const F = { symlinkFollow: true };
  const N = {};
  for (const p of ['../outside/secret.txt', '/etc/passwd', 'up/outside/secret.txt', 'outside-link', 'abs']) {
    assert.equal(errOf(await dir.statAt(F, p)), 'not-permitted', `stat-at ${p}`);
    assert.equal(errOf(await dir.openAt(F, p, {}, { read: true })), 'not-permitted', `open-at ${p}`);
    assert.equal(errOf(await dir.openAt(F, p, { create: true, truncate: true }, { write: true })), 'not-permitted', `open-at create ${p}`);
    assert.equal(errOf(await dir.metadataHashAt(F, p)), 'not-permitted', `metadata-hash-at ${p}`);
    assert.equal(errOf(await dir.setTimesAt(F, p, { tag: 'now' }, { tag: 'now' })), 'not-permitted', `set-times-at ${p}`);
    assert.equal(errOf(await dir.linkAt(F, p, dir, 'stolen')), 'not-permitted', `link-at from ${p}`);
  }
  for (const p of ['../outside/new', '/tmp/x', 'up/outside/new', 'up/outside/secret.txt', '..']) {
    assert.equal(errOf(await dir.createDirectoryAt(p)), 'not-permitted', `create-directory-at ${p}`);
    assert.equal(errOf(await dir.unlinkFileAt(p)), 'not-permitted', `unlink-file-at ${p}`);
    assert.equal(errOf(await dir.removeDirectoryAt(p)), 'not-permitted', `remove-directory-at ${p}`);
    assert.equal(errOf(await dir.renameAt('a.txt', dir, p)), 'not-permitted', `rename-at to ${p}`);
    assert.equal(errOf(await dir.renameAt(p, dir, 'mine')), 'not-permitted', `rename-at from ${p}`);
    assert.equal(errOf(await dir.linkAt(N, 'a.txt', dir, p)), 'not-permitted', `link-at to ${p}`);
    assert.equal(errOf(await dir.symlinkAt('a.txt', p)), 'not-permitted', `symlink-at at ${p}`);
    assert.equal(errOf(await dir.openAt(N, p, { create: true }, { write: true })), 'not-permitted', `open-at create ${p}`);
  }
  // A new link pointing out is refused when absolute; a relative one may be made, but never followed out.
  assert.equal(errOf(await dir.symlinkAt('/etc', 'etc')), 'not-permitted');
  assert.equal(errOf(await dir.symlinkAt('../outside', 'out2')), 'ok');
  assert.equal(errOf(await dir.openAt(F, 'out2/secret.txt', {}, { read: true })), 'not-permitted');
  assert.equal(errOf(await dir.statAt(F, 'out2')), 'not-permitted');
  untouched();
});

test('a read-only tree refuses changes with read-only and keeps its files', async () => {
  const t = new MemoryTree(true, { 'a.txt': 'a' });
  const dir = new Descriptor(t, t.root(), { read: true }, null);
  assert.equal(errOf(await dir.createDirectoryAt('d')), 'not-permitted');
  const rw = new Descriptor(t, t.root(), { read: true, mutateDirectory: true }, null);
  assert.equal(errOf(await rw.createDirectoryAt('d')), 'read-only');
  assert.equal(errOf(await rw.openAt({}, 'a.txt', {}, { write: true })), 'read-only');
  assert.equal(errOf(await rw.unlinkFileAt('a.txt')), 'read-only');
  assert.deepEqual([...t.snapshot().keys()], ['a.txt']);
});

test('open flags: none means read, create implies write, a directory never writes', () => {
  assert.deepEqual(openedFlags({}, {}, false), { read: true });
  assert.deepEqual(openedFlags({}, { create: true }, false), { read: true, write: true });
  assert.deepEqual(openedFlags({ write: true }, { create: true }, false), { write: true });
  assert.deepEqual(openedFlags({}, {}, true), { read: true, write: false });
});

test('seeded files: nested paths make directories; bad seeds are refused by name', () => {
  const t = new MemoryTree(false, { 'x/y/z.txt': new Uint8Array([1, 2]) });
  assert.ok((t.root() as MemDir).entries.get('x') instanceof MemDir);
  assert.throws(() => new MemoryTree(false, { '../evil': 'x' }), /must name a file inside/);
  assert.throws(() => new MemoryTree(false, { 'a/b': 'x', 'a': 'y' }), /given twice|is a file/);
  const snap = t.snapshot();
  assert.deepEqual([...snap.get('x/y/z.txt')!], [1, 2]);
  void (null as unknown as MemAny);
});
