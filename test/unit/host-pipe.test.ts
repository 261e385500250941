// StreamReader.pipe (src/runtime/concurrency/host-ends.ts) with a lent buffer: the pipe asks for
// the memory a read copies into at the read's first copy, so a stream nobody writes to (a
// socket's send stream, an output a component never prints to) holds none while it waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, StreamReader, createHostStream, prim } from '../../src/runtime/index.ts';
import { BOUNDARY } from '../../src/runtime/boundary.ts';

const turn = () => new Promise((r) => setTimeout(r, 0));

test('a pipe lends its buffer at the first copy, not while its read waits', async () => {
  const store = new Store(BOUNDARY);
  const { stream, writer } = createHostStream(prim('u8'), store);
  const reader = new StreamReader(stream, store);
  let lent = 0;
  const got: number[] = [];
  const done = reader.pipe((c) => { got.push(...(c as Uint8Array)); }, {
    chunkSize: 8,
    buffer: () => { lent++; return new Uint8Array(8); },
  });
  await turn();
  await turn();
  assert.equal(lent, 0, 'a read with nothing written to it lends nothing');
  assert.equal(await writer.write(new Uint8Array([1, 2, 3])), true);
  assert.equal(lent, 1);
  // More than a buffer holds: the rest goes in the next read's loan.
  assert.equal(await writer.write(new Uint8Array([4, 5, 6, 7, 8, 9, 10, 11, 12, 13])), true);
  writer.close();
  await done;
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.equal(lent, 3);
});
