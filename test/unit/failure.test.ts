// A worker's failure raced against its calls (src/page/failure.ts): settled calls leave nothing
// behind, a failure rejects what is pending and everything after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Failure } from '../../src/page/failure.ts';

test('a settled race holds nothing, however many there were', async () => {
  const f = new Failure();
  for (let i = 0; i < 10_000; i++) assert.equal(await f.race(Promise.resolve(i)), i);
  await assert.rejects(f.race(Promise.reject(new Error('own'))), /own/);
  assert.equal(f.pending, 0);
});

test('a failure rejects pending races and later ones, the first failure winning', async () => {
  const f = new Failure();
  const never = new Promise<number>(() => {});
  const a = f.race(never);
  const b = f.race(never);
  assert.equal(f.pending, 2);
  f.fail(new Error('gone'));
  f.fail(new Error('second'));
  await assert.rejects(a, /gone/);
  await assert.rejects(b, /gone/);
  assert.equal(f.pending, 0);
  await assert.rejects(f.race(Promise.resolve(1)), /gone/);
});
