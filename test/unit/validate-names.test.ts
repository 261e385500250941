// Pure validation logic in node: extern names (Explainer.md "Import and Export Definitions"),
// and rules checked on small components decoded from hand-written bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKebab, parseExternName, uniquenessKey } from '../../src/runtime/validate/names.ts';
import { validateComponent } from '../../src/runtime/validate/index.ts';
import { decodeComponent } from '../../src/runtime/binary/decode.ts';
import { ValidationError } from '../../src/runtime/errors.ts';

test('kebab-case labels', () => {
  for (const ok of ['a', 'a1', 'a-1', 'a-1-b-2', 'B', 'B-1-C', 'a11-B11-123-ABC-abc', 'http-IP-prohibited']) assert.ok(isKebab(ok), ok);
  for (const bad of ['', '1', '1-a', 'a-', 'a--b', '-a', 'aBc', 'a_b', 'a.b', 'é']) assert.ok(!isKebab(bad), bad);
});

test('interface names, versions, dependency names', () => {
  const p = parseExternName('wasi:cli/run@0.3.0', false);
  assert.deepEqual(p, { kind: 'interface', ns: 'wasi', pkg: 'cli', iface: 'run', version: '0.3.0' });
  assert.equal(typeof parseExternName('ns-1-a:b-1-c/D-2', false), 'object');
  for (const bad of ['wasi:http/TyPeS', 'WaSi:http/types', 'A:b/c', 'ns:A/b', 'wasi:', 'wasi:/', ':/', 'a:b/c@', 'a:b/c@1.0', 'a:b/c@01.0.0']) {
    assert.equal(typeof parseExternName(bad, false), 'string', bad);
  }
  assert.equal(typeof parseExternName('unlocked-dep=<a:b>', true), 'object');
  assert.equal(typeof parseExternName('unlocked-dep=<a:b>', false), 'string', 'dependency names are import names only');
  assert.equal(typeof parseExternName('url=<https://x/y>', true), 'object');
});

test('annotated names and strong uniqueness', () => {
  assert.deepEqual(parseExternName('[method]fields.get', false), { kind: 'method', resource: 'fields', func: 'get' });
  assert.deepEqual(parseExternName('[constructor]fields', false), { kind: 'constructor', resource: 'fields' });
  assert.match(parseExternName('[method]a', false) as string, /failed to find `\.`/);
  assert.equal(typeof parseExternName('[method]a.b.c', false), 'string');
  const key = (n: string) => uniquenessKey(n, parseExternName(n, true) as Exclude<ReturnType<typeof parseExternName>, string>);
  assert.equal(key('a'), key('A'));
  assert.equal(key('[method]a.a'), key('a'));
  assert.equal(key('[static]a.b'), key('[method]a.b'));
  assert.notEqual(key('[constructor]a'), key('a'));
  assert.notEqual(key('[method]x.get'), key('[method]y.get'));
  assert.notEqual(key('wasi:http/types@1.0.0'), key('wasi:http/types@2.0.0'));
  // Explainer.md's examples (those not about hyphens): each clashes with one of foo, foo-bar,
  // [constructor]foo, [method]foo.bar, [static]foo.baz, foo:bar/baz.
  const taken = new Set(['foo', 'foo-bar', '[constructor]foo', '[method]foo.bar', '[static]foo.baz', 'foo:bar/baz'].map(key));
  assert.equal(taken.size, 6);
  for (const n of ['foo', 'FOO', 'foo-BAR', '[constructor]FOO', '[method]foo.BAR', '[static]foo.bar',
    '[method]foo.baz', '[method]foo.foo', 'foo:bar/BAZ']) assert.ok(taken.has(key(n)), n);
  assert.notEqual(key('a1'), key('a-1')); // kebab.wast imports both
});

// A component of one import section: (import "<name>" (func (type 0))) after (type (func)).
function importFunc(name: string): Uint8Array {
  const n = new TextEncoder().encode(name);
  const imp = [0x01, 0x00, n.length, ...n, 0x01, 0x00];
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00,
    0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00, // type section: (func)
    0x0a, imp.length, ...imp]);
}

test('a ValidationError names the rule and the byte offset of the definition', () => {
  validateComponent(decodeComponent(importFunc('good-name')));
  const bytes = importFunc('BadName');
  assert.throws(() => validateComponent(decodeComponent(bytes)), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.match(e.message, /`BadName` is not in kebab case/);
    assert.equal(e.offset, 18); // the import itself, after the section's id, size and count
    return true;
  });
});
