// Pure logic of wasi:keyvalue in node: bucket names, counters as decimal digits, byte equality
// (compare-and-swap), and the change channel's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badBucketName, changesChannel, counterBytes, counterValue, databaseName, sameBytes } from '../../src/host/keyvalue/db.ts';

test('bucket names: 1 to 255 characters, no control characters', () => {
  assert.equal(badBucketName('cart'), null);
  assert.equal(badBucketName('my cart/ünï 🍎'), null);
  assert.equal(badBucketName('x'.repeat(255)), null);
  assert.match(badBucketName('') ?? '', /empty/);
  assert.match(badBucketName('x'.repeat(256)) ?? '', /255/);
  for (const c of ['\u0000', '\n', '\u001f', '\u007f']) assert.match(badBucketName(`a${c}b`) ?? '', /control/);
});

test('a counter is its decimal digits; anything else is refused with the key named', () => {
  assert.equal(counterValue('k', undefined), 0n);
  assert.equal(counterValue('k', counterBytes(-9223372036854775808n)), -9223372036854775808n);
  assert.equal(counterValue('k', counterBytes(18446744073709551615n)), 18446744073709551615n);
  for (const bad of ['', 'abc', '1.5', ' 1', '1e3', '--1', '123456789012345678901']) {
    const v = counterValue('key', new TextEncoder().encode(bad));
    assert.ok(v instanceof Error, bad);
    assert.match((v as Error).message, /"key" is not a decimal integer/);
  }
});

test('compare-and-swap compares bytes; absent equals only absent', () => {
  const b = (...x: number[]) => new Uint8Array(x);
  assert.ok(sameBytes(b(1, 2), b(1, 2)));
  assert.ok(!sameBytes(b(1, 2), b(1, 3)));
  assert.ok(!sameBytes(b(1), b(1, 0)));
  assert.ok(sameBytes(undefined, undefined));
  assert.ok(!sameBytes(undefined, b()));
  assert.ok(sameBytes(b(), b()));
});

test('namespaces and change channels never collide', () => {
  assert.notEqual(databaseName(undefined), databaseName('default'));
  assert.notEqual(changesChannel(undefined, 'a'), changesChannel('default', 'a'));
  assert.notEqual(changesChannel('x', 'a/b'), changesChannel('x/a', 'b'));
  assert.equal(changesChannel('x', 'a'), changesChannel('x', 'a'));
});
