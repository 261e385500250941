// The shared-memory ring's writer (src/channel/sab-ring.ts): a write that waits for the reader
// holds nothing once the reader has taken, however many waits there were; a cancel wakes what
// waits, and the write says the reader is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingReader, RingWriter } from '../../src/channel/sab-ring.ts';

const KiB = 1024;

test('waits for the reader leave nothing behind once it takes', async () => {
  const ch = new MessageChannel();
  const w = new RingWriter(ch.port1, 4 * KiB, KiB);
  const r = new RingReader(w.sab, KiB);
  const chunk = new Uint8Array(KiB).fill(7);
  let read = 0;
  for (let i = 0; i < 2000; i++) {
    const ok = w.write(chunk);
    if (ok instanceof Promise) {
      assert.equal(w.pending, 1);
      // The reader takes what is there (as a worker would, on its own turn).
      setTimeout(() => { for (let v = r.next(); v; v = r.next()) read += v.byteLength; r.take(0); }, 0);
      assert.equal(await ok, true);
    } else assert.equal(ok, true);
    assert.equal(w.pending, 0);
  }
  for (let v = r.next(); v; v = r.next()) read += v.byteLength;
  assert.equal(read, 2000 * KiB);
  assert.equal(w.sent, 2000 * KiB);
  ch.port1.close();
});

test('a cancel wakes a write that waits for room: it says the reader is gone', async () => {
  const ch = new MessageChannel();
  const w = new RingWriter(ch.port1, 4 * KiB, KiB);
  const chunk = new Uint8Array(KiB);
  for (let i = 0; i < 4; i++) assert.equal(w.write(chunk), true);
  const blocked = w.write(chunk);
  assert.ok(blocked instanceof Promise);
  assert.equal(w.pending, 1);
  w.cancel();
  assert.equal(await blocked, false);
  assert.equal(w.pending, 0);
  assert.equal(w.whenRoom(KiB), true);
  ch.port1.close();
});
