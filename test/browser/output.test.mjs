// A component's output on the page, in Chromium: each kind of target (a callback that owns its
// chunks, borrow(), a WritableStream, 'pipe' with a default or a BYOB reader), backpressure
// through the worker's window, and lines that reach the page while the component computes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../../scripts/lib/browser.mjs';

let session;
before(async () => { session = await openPage('/test/pages/blank.html'); });
after(async () => { await session?.close(); });

const inPage = (fn, arg) => session.page.evaluate(fn, arg);

// In the page: the first index where bytes (offset `from` in the stream) break the i mod 251
// pattern of big-stdout, or -1.
const CHECK = `(bytes, from) => { for (let i = 0; i < bytes.length; i++) if (bytes[i] !== (from + i) % 251) return from + i; return -1; }`;

test('a plain callback owns its chunks: kept, they stay whole', async () => {
  const r = await inPage(async (CHECK) => {
    const check = eval(CHECK);
    const { loadComponent } = await import('/src/index.ts');
    const kept = [];
    const h = await loadComponent('/test/fixtures/build/big-stdout.wasm', { args: ['big-stdout', '8'], stdout: (c) => kept.push(c) });
    const { exitCode } = await h.run();
    h.terminate();
    let at = 0; let bad = -1;
    for (const c of kept) { const b = check(c, at); if (b >= 0 && bad < 0) bad = b; at += c.length; }
    return { exitCode, total: at, bad, chunks: kept.length, largest: Math.max(...kept.map((c) => c.length)) };
  }, CHECK);
  assert.deepEqual({ exitCode: r.exitCode, total: r.total, bad: r.bad }, { exitCode: 0, total: 8 << 20, bad: -1 });
  assert.ok(r.chunks >= 8 && r.largest <= 1 << 20, `${r.chunks} chunks, largest ${r.largest}`);
});

test('borrow(): every byte in order, and a chunk kept past its call is emptied, never reused', async () => {
  const r = await inPage(async (CHECK) => {
    const check = eval(CHECK);
    const { loadComponent, borrow } = await import('/src/index.ts');
    let at = 0; let bad = -1; const kept = [];
    const h = await loadComponent('/test/fixtures/build/big-stdout.wasm', {
      args: ['big-stdout', '16'],
      stdout: borrow((c) => { const b = check(c, at); if (b >= 0 && bad < 0) bad = b; kept.push([c, at]); at += c.length; }),
    });
    const { exitCode } = await h.run();
    h.terminate();
    // A kept chunk whose memory went back to the worker reads as empty; one that did not still
    // holds its own bytes. None holds anything else.
    const emptied = kept.filter(([c]) => c.length === 0).length;
    const reused = kept.filter(([c, from]) => c.length > 0 && check(c, from) >= 0).length;
    return { exitCode, total: at, bad, emptied, reused, chunks: kept.length };
  }, CHECK);
  assert.deepEqual({ exitCode: r.exitCode, total: r.total, bad: r.bad, reused: r.reused }, { exitCode: 0, total: 16 << 20, bad: -1, reused: 0 });
  assert.ok(r.emptied >= r.chunks / 2, `${r.emptied} of ${r.chunks} borrowed chunks went back to the worker`);
});

test('a WritableStream target gets every byte, and run() settles only once its slow sink has taken them', async () => {
  const r = await inPage(async (CHECK) => {
    const check = eval(CHECK);
    const { loadComponent } = await import('/src/index.ts');
    let at = 0; let bad = -1; let writes = 0;
    const slow = new WritableStream({
      async write(c) {
        if (writes++ < 4) await new Promise((r) => setTimeout(r, 50));
        const b = check(c, at); if (b >= 0 && bad < 0) bad = b; at += c.length;
      },
    }, { highWaterMark: 1 });
    const h = await loadComponent('/test/fixtures/build/big-stdout.wasm', { args: ['big-stdout', '8'], stdout: slow });
    const t0 = performance.now();
    const { exitCode } = await h.run();
    const ms = performance.now() - t0;
    h.terminate();
    return { exitCode, total: at, bad, ms };
  }, CHECK);
  assert.deepEqual({ exitCode: r.exitCode, total: r.total, bad: r.bad }, { exitCode: 0, total: 8 << 20, bad: -1 });
  assert.ok(r.ms >= 190, `run() settled after ${r.ms} ms, before the slow sink had taken its chunks`);
});

test("stdout: 'pipe' gives a byte stream: default reads own their chunks, BYOB reads fill the reader's buffer", async () => {
  const r = await inPage(async (CHECK) => {
    const check = eval(CHECK);
    const { loadComponent } = await import('/src/index.ts');
    const out = {};
    for (const mode of ['default', 'byob']) {
      const h = await loadComponent('/test/fixtures/build/big-stdout.wasm', { args: ['big-stdout', '8'], stdout: 'pipe' });
      const kept = []; let at = 0; let bad = -1; let reads = 0;
      const reading = (async () => {
        if (mode === 'default') {
          for await (const c of h.stdout) kept.push(c);
          for (const c of kept) { const b = check(c, at); if (b >= 0 && bad < 0) bad = b; at += c.length; }
        } else {
          const rd = h.stdout.getReader({ mode: 'byob' });
          let buf = new Uint8Array(100_000); // not a multiple of anything the worker sends
          for (;;) {
            const { done, value } = await rd.read(buf);
            if (done) break;
            reads++;
            const b = check(value, at); if (b >= 0 && bad < 0) bad = b; at += value.length;
            buf = new Uint8Array(value.buffer);
          }
        }
      })();
      const { exitCode } = await h.run();
      await reading;
      h.terminate();
      out[mode] = { exitCode, total: at, bad, reads, chunks: kept.length, stderr: h.stderr === null };
    }
    return out;
  }, CHECK);
  for (const mode of ['default', 'byob']) {
    assert.deepEqual({ exitCode: r[mode].exitCode, total: r[mode].total, bad: r[mode].bad, stderr: r[mode].stderr },
      { exitCode: 0, total: 8 << 20, bad: -1, stderr: true }, mode);
  }
  assert.ok(r.byob.reads >= Math.ceil((8 << 20) / 100_000), `byob reads: ${r.byob.reads}`);
});

test("an unread pipe holds the component at the window, and reading it lets the component finish", async () => {
  const r = await inPage(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const h = await loadComponent('/test/fixtures/build/big-stdout.wasm', { args: ['big-stdout', '32'], stdout: 'pipe' });
    let settled = false;
    const running = h.run().then((x) => { settled = true; return x; });
    await new Promise((r) => setTimeout(r, 300));
    const heldWhileUnread = !settled;
    let total = 0;
    for await (const c of h.stdout) total += c.length;
    const { exitCode } = await running;
    h.terminate();
    return { heldWhileUnread, total, exitCode };
  });
  assert.deepEqual(r, { heldWhileUnread: true, total: 32 << 20, exitCode: 0 });
});

test('lines reach the page while the component computes without waiting', async () => {
  const r = await inPage(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const lines = [];
    const dec = new TextDecoder();
    const h = await loadComponent('/test/fixtures/build/busy-lines.wasm', { stdout: (c) => lines.push([performance.now(), dec.decode(c)]) });
    const { exitCode } = await h.run();
    const end = performance.now();
    h.terminate();
    const text = lines.map((l) => l[1]).join('');
    const early = lines.filter(([t]) => end - t >= 100).map((l) => l[1]).join('');
    return { exitCode, text, early };
  });
  assert.equal(r.exitCode, 0);
  assert.equal(r.text, 'first line\nsecond line\nthird line\nfourth line\n');
  assert.equal(r.early, 'first line\nsecond line\nthird line\n', 'what reached the page while the component computed');
});

test('bulk output reaches the page while the component waits in a host call', async () => {
  const r = await inPage(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const chunks = [];
    const h = await loadComponent('/test/fixtures/build/bulk-then-wait.wasm', { stdout: (c) => chunks.push([performance.now(), c.byteLength]) });
    const { exitCode } = await h.run();
    const end = performance.now();
    h.terminate();
    const total = chunks.reduce((n, [, b]) => n + b, 0);
    const early = chunks.filter(([t]) => end - t >= 1000).reduce((n, [, b]) => n + b, 0);
    return { exitCode, total, early };
  });
  assert.equal(r.exitCode, 0);
  assert.equal(r.total, (128 << 10) + 6);
  assert.equal(r.early, 128 << 10, 'bytes that reached the page at least 1 s before the component ended (it waits 1.5 s after writing them)');
});

test('stdin given as bytes leaves the caller its bytes', async () => {
  const r = await inPage(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const input = new TextEncoder().encode('some input\n');
    let out = '';
    const h = await loadComponent('/test/fixtures/build/echo.wasm', { stdin: input, stdout: (c) => { out += new TextDecoder().decode(c); } });
    const { exitCode } = await h.run();
    h.terminate();
    return { exitCode, out, length: input.length, text: new TextDecoder().decode(input) };
  });
  assert.deepEqual(r, { exitCode: 0, out: 'some input\n', length: 11, text: 'some input\n' });
});

test('terminate() during a run rejects run() and errors a pipe being read; the page goes on', async () => {
  const r = await inPage(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const h = await loadComponent('/test/fixtures/build/big-stdout.wasm', { args: ['big-stdout', '64'], stdout: 'pipe' });
    const running = h.run().then(() => 'resolved', (e) => e.message);
    const reader = h.stdout.getReader();
    await reader.read(); // some output is flowing
    h.terminate();
    let readError = null;
    try { for (;;) { const { done } = await reader.read(); if (done) break; } } catch (e) { readError = e.message; }
    const afterwards = await loadComponent('/test/fixtures/build/hello.wasm', { stdout: () => {} });
    const next = await afterwards.run();
    afterwards.terminate();
    return { run: await running, readError, next: next.exitCode };
  });
  assert.deepEqual(r, { run: 'the component was terminated', readError: 'the component was terminated', next: 0 });
});

test('an output callback that throws rejects run() with its error, and the component stops writing', { timeout: 30000 }, async () => {
  const r = await inPage(async () => {
    const { loadComponent } = await import('/src/index.ts');
    // echo copies an endless stdin until a write to stdout fails: it stops only if the host
    // drops its stdout once the page stops reading, and then it drops stdin in turn.
    let stdinCancelled = false;
    const endless = new ReadableStream({
      pull(c) { c.enqueue(new Uint8Array(65536).fill(65)); },
      cancel() { stdinCancelled = true; },
    });
    let chunks = 0;
    const h = await loadComponent('/test/fixtures/build/echo.wasm', {
      stdin: endless,
      stdout: () => { if (++chunks === 3) throw new Error('the sink is full'); },
    });
    let error = null;
    try { await h.run(); } catch (e) { error = e.message; }
    await new Promise((r) => setTimeout(r, 100));
    h.terminate();
    return { error, stdinCancelled };
  });
  assert.deepEqual(r, { error: 'the sink is full', stdinCancelled: true });
});
