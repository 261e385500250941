// The OPFS backend's link table (src/host/filesystem/opfs-links.ts), its pure part: what a
// file holds is read back (and what is not a table reads as none), link-count counts a hard-
// linked file's own OPFS name, a node goes with its last name, names move with their
// directory, and what the page removes takes the names of files whose bytes were there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkTable } from '../../src/host/filesystem/opfs-links.ts';

test('a table reads back what it wrote; garbage, null or a foreign shape read as an empty table', () => {
  const t = new LinkTable();
  const f = t.add({ file: 'a.txt' });
  t.names.set('d/b.txt', f);
  t.names.set('up', t.add({ target: '..' }));
  const back = LinkTable.parse(t.text());
  assert.equal(back.text(), t.text());
  assert.equal(back.add({ target: 'x' }), 3, 'ids are never reused');
  for (const bad of ['', '{', 'null', '5', '"x"', '{"names":{"a":9},"nodes":{"1":{"nope":1}}}']) {
    assert.equal(LinkTable.parse(bad).names.size, 0, bad);
  }
});

test('link-count, unname and tidy: a file counts its own OPFS name, a node goes with its last name', () => {
  const t = new LinkTable();
  const f = t.add({ file: 'a.txt' });
  t.names.set('b.txt', f);
  t.names.set('d/c.txt', f);
  const s = t.add({ target: 'a.txt' });
  t.names.set('s', s);
  t.names.set('s2', s);
  assert.equal(t.links(f), 3);
  assert.equal(t.links(s), 2);
  assert.equal(t.fileId('a.txt'), f);
  assert.deepEqual(t.namesOf(f), ['b.txt', 'd/c.txt']);
  t.unname('b.txt');
  t.unname('d/c.txt');
  assert.equal(t.nodes.has(f), false, 'a.txt is a plain file again');
  assert.equal(t.links(f), 0);
  t.unname('s');
  assert.equal(t.links(s), 1);
  t.unname('s2');
  assert.equal(t.nodes.size, 0);
});

test('within, holds, moved and forget follow directories by whole components', () => {
  const t = new LinkTable();
  const f = t.add({ file: 'd/a.txt' });
  t.names.set('top.txt', f);
  t.names.set('d/l', t.add({ target: 'a.txt' }));
  t.names.set('d/e/deep', t.add({ target: '../a.txt' }));
  t.names.set('dd/other', t.add({ target: 'x' }));
  assert.deepEqual(t.within('d').map(([n]) => n), ['l']);
  assert.deepEqual(t.within('').map(([n]) => n), ['top.txt']);
  assert.equal(t.holds('d'), true);
  assert.equal(t.holds('d/e'), true);
  assert.equal(t.holds('e'), false);
  t.moved('d', 'n/d2');
  assert.deepEqual([...t.names.keys()].sort(), ['dd/other', 'n/d2/e/deep', 'n/d2/l', 'top.txt']);
  assert.deepEqual(t.nodes.get(f), { file: 'n/d2/a.txt' });
  // The page removed n/d2: its names go, and so do the names of the file whose bytes were there.
  t.forget('n/d2');
  assert.deepEqual([...t.names.keys()], ['dd/other']);
  assert.equal(t.nodes.size, 1);
});
