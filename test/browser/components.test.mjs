// The page API end to end in Chromium: loadComponent starts a worker per component, which runs
// the C test components (test/fixtures/c) against the browser WASI 0.3 host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../../scripts/lib/browser.mjs';

let session;
before(async () => { session = await openPage('/test/pages/blank.html'); });
after(async () => { await session?.close(); });

/** Run a fixture through loadComponent in the page; returns its exit code and output. */
const runFixture = (name, options = {}) => session.page.evaluate(async ({ name, options }) => {
  const { loadComponent } = await import('/src/index.ts');
  const out = []; const err = []; const phases = [];
  const dec = new TextDecoder();
  try {
    const h = await loadComponent(`/test/fixtures/build/${name}.wasm`, {
      ...options,
      stdout: (c) => out.push(c), stderr: (c) => err.push(dec.decode(c)),
      onProgress: (p) => phases.push(p.phase),
    });
    const { exitCode } = await h.run();
    h.terminate();
    const bytes = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
    let o = 0; for (const c of out) { bytes.set(c, o); o += c.length; }
    const text = bytes.length < 100000 ? dec.decode(bytes) : null;
    let bad = -1; for (let i = 0; i < bytes.length; i++) if (bytes[i] !== i % 251) { bad = i; break; }
    return { exitCode, stdout: text, length: bytes.length, pattern: bad < 0, chunks: out.length, largest: Math.max(0, ...out.map((c) => c.length)), stderr: err.join(''), phases: [...new Set(phases)] };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
}, { name, options });

test('hello prints its greeting and exits 0', async () => {
  const r = await runFixture('hello');
  assert.deepEqual({ exitCode: r.exitCode, stdout: r.stdout }, { exitCode: 0, stdout: 'hello from a WASI 0.3 component\n' });
  assert.deepEqual(r.phases, ['fetch', 'compile', 'instantiate']);
});

test('echo copies stdin to stdout', async () => {
  const text = 'line one\nline two: ünïcödé\n'.repeat(3000);
  const r = await runFixture('echo', { stdin: text });
  assert.equal(r.exitCode, 0);
  assert.equal(r.length, new TextEncoder().encode(text).length);
});

test('arguments and environment reach the component', async () => {
  const r = await runFixture('args-env', { args: ['prog', 'a b', 'ç'], env: { HOME: '/home/x', LANG: 'C.UTF-8' } });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'args: prog a b ç\nHOME=/home/x\nLANG=C.UTF-8\n');
});

test('exit-with-code 3 gives exit code 3 after its output', async () => {
  const r = await runFixture('exit3');
  assert.deepEqual({ exitCode: r.exitCode, stdout: r.stdout }, { exitCode: 3, stdout: 'exiting with 3\n' });
});

test('a 50 ms wait-for blocks the task for about 50 ms', async () => {
  const r = await runFixture('sleep');
  assert.equal(r.exitCode, 0);
  const ms = Number(/slept (\d+) ms/.exec(r.stdout)[1]);
  assert.ok(ms >= 49 && ms < 500, `slept ${ms} ms`);
});

test('random bytes differ between runs', async () => {
  const a = await runFixture('random-bytes');
  const b = await runFixture('random-bytes');
  assert.match(a.stdout, /^[0-9a-f]{32}\n[0-9a-f]{32}\n$/);
  assert.notEqual(a.stdout, b.stdout);
});

test('8 MiB of stdout arrives whole, in order, in chunks', async () => {
  const r = await runFixture('big-stdout', { args: ['big-stdout', '8'] });
  assert.equal(r.exitCode, 0);
  assert.equal(r.length, 8 << 20);
  assert.ok(r.pattern, 'bytes in order');
  assert.ok(r.chunks >= 8, `chunks: ${r.chunks}`);
  assert.ok(r.largest <= 1 << 20, `largest chunk: ${r.largest}`);
});

test('a trap rejects run() naming it, and the page goes on to run another component', async () => {
  const r = await runFixture('trap');
  assert.match(r.error, /Trap: wasm trap: wasm `unreachable` instruction executed/);
  const again = await runFixture('hello');
  assert.equal(again.exitCode, 0);
});

test('bad input is refused with a clear error and leaves no worker behind', async () => {
  const r = await session.page.evaluate(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const errors = [];
    for (const src of [new Uint8Array([1, 2, 3, 4]), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), '/test/fixtures/build/needs-missing.wasm', '/no/such.wasm']) {
      try { await loadComponent(src); errors.push('loaded'); } catch (e) { errors.push(`${e.name}: ${e.message}`); }
    }
    return errors;
  });
  assert.match(r[0], /MalformedError: .*magic header/);
  assert.match(r[1], /core WebAssembly module, not a component/);
  assert.match(r[2], /LinkError: missing import: interface "test:fixtures\/not-provided"/);
  assert.match(r[3], /could not fetch .*404/);
  // Every handle above was terminated or failed to load: no component worker is left running.
  await session.page.waitForTimeout(200);
  assert.deepEqual(session.page.workers().map((w) => w.url()), []);
});

test('exports are callable from the page with jco value mapping', async () => {
  const r = await session.page.evaluate(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const a = await loadComponent('/test/fixtures/build/async-add.wasm');
    const b = await loadComponent('/test/fixtures/build/add.wasm');
    const out = [await a.exports.add1(41), await b.exports.add1(0xffffffff), Object.keys(a.exports)];
    a.terminate(); b.terminate();
    return out;
  });
  assert.deepEqual(r, [42, 0, ['add1']]);
});

test('values cross the page and the worker in jco\'s mapping', async () => {
  const r = await session.page.evaluate(async () => {
    const { loadComponent } = await import('/src/index.ts');
    const h = await loadComponent('/test/fixtures/build/values.wasm');
    const thing = { id: 2n ** 63n + 5n, flag: true, name: 'naïve ✓', bytes: new Uint8Array([1, 2, 255]), kind: 'dash-case', pair: [4000000000, -7], opt: 9 };
    const a = await h.exports.echo(thing);
    const b = await h.exports.echo({ ...thing, flag: false, kind: 'plain', opt: undefined, bytes: new Uint8Array(0) });
    h.terminate();
    const show = (x) => ({ ...x, id: String(x.id), bytes: `${x.bytes.constructor.name}[${[...x.bytes]}]` });
    return [show(a), show(b)];
  });
  assert.deepEqual(r[0], { id: String(2n ** 63n + 5n), flag: true, name: 'naïve ✓', bytes: 'Uint8Array[1,2,255]', kind: 'dash-case', pair: [4000000000, -7], opt: 9 });
  assert.deepEqual(r[1], { id: String(2n ** 63n + 5n), flag: false, name: 'naïve ✓', bytes: 'Uint8Array[]', kind: 'plain', pair: [4000000000, -7], opt: undefined });
});
