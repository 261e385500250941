// WASI 0.2 beside 0.3 in one component, and pure WASI 0.2 components, in Chromium: one state per
// component serves both generations (test/fixtures/c/mixed-stdout.c, p2-cli.c).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { openPage } from '../../scripts/lib/browser.mjs';

let session;
before(async () => { session = await openPage('/test/pages/blank.html'); });
after(async () => { await session?.close(); });

const run = (name, options = {}) => session.page.evaluate(async ({ name, options }) => {
  const { loadComponent } = await import('/src/index.ts');
  const dec = new TextDecoder();
  let out = ''; let err = '';
  try {
    const h = await loadComponent(`/test/fixtures/build/${name}.wasm`, {
      ...options, stdout: (c) => { out += dec.decode(c, { stream: true }); }, stderr: (c) => { err += dec.decode(c); },
    });
    const { exitCode } = await h.run();
    const sum = h.exports['test:fixtures/math'] ? await h.exports['test:fixtures/math'].add(2, 40) : null;
    h.terminate();
    return { exitCode, stdout: out, stderr: err, sum };
  } catch (e) {
    return { error: `${e.name}: ${e.message}`, kind: e.kind };
  }
}, { name, options });

test('stdout through WASI 0.2 and 0.3 reaches the page in the order written; an exit through 0.2 ends run()', async () => {
  const r = await run('mixed-stdout');
  const block = (c) => `${c.repeat(19999)}\n`.repeat(2);
  const want = ['p2 line 0\n', 'p3 line 1\n', 'p2 line 2\n', 'p3 line 3\n', 'p2 line 4\n', 'p3 line 5\n',
    ...['a', 'b', 'c', 'd'].map((c) => `${block(c)}after block ${c}\n`),
    ...['e', 'f', 'g'].map((c, i) => `p2 held ${i}\n${c.repeat(19999)}\n`), 'p2 held last\n', 'p3 last\n'].join('');
  assert.equal(r.exitCode, 1, r.error);
  assert.equal(r.stdout.length, want.length);
  assert.ok(r.stdout === want, 'the bytes arrive in the order they were written');
});

test('a pure WASI 0.2 command runs: arguments, stdin through blocking reads, stderr, exports; sockets and filesystem answer their own errors', async () => {
  const r = await run('p2-cli', { args: ['p2-cli.wasm', 'x'], stdin: 'line one\nline two\n' });
  assert.equal(r.exitCode, 0, r.error);
  // tcp error-code 1 is access-denied; no directory is preopened.
  assert.equal(r.stdout, 'args: p2-cli.wasm x\ntcp: err 1\npreopens: 0\nline one\nline two\n');
  assert.equal(r.stderr, 'stdin closed\n');
  assert.equal(r.sum, 42);
});

/** CPU time (ms) used so far by this process's descendants (the browser's processes). */
function childrenCpuMs() {
  const tick = 10; // USER_HZ is 100 on Linux
  const stats = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return [{ pid: Number(pid), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * tick }];
    } catch { return []; }
  });
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of stats) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  return stats.filter((p) => p.pid !== process.pid && mine.has(p.pid)).reduce((n, p) => n + p.cpu, 0);
}

test('a component blocked in a WASI 0.2 pollable (sleeping 1 s) uses no CPU meanwhile', { timeout: 60000 }, async () => {
  await session.page.evaluate(async () => {
    const { loadComponent } = await import('/src/index.ts');
    let seen; const sleeping = new Promise((r) => { seen = r; });
    let out = '';
    const h = await loadComponent('/test/fixtures/build/p2-cli.wasm', {
      args: ['p2-cli.wasm', '1000'], stdin: '',
      stdout: (c) => { out += new TextDecoder().decode(c); if (out.includes('preopens:')) seen(); },
    });
    globalThis.sleeper = { done: h.run().then(() => { h.terminate(); return out; }) };
    await sleeping;
  });
  const before = childrenCpuMs();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 700));
  const used = childrenCpuMs() - before;
  const elapsed = Date.now() - t0;
  const out = await session.page.evaluate(() => globalThis.sleeper.done);
  assert.match(out, /slept (\d+)\n/);
  const slept = Number(/slept (\d+)/.exec(out)[1]);
  assert.ok(slept >= 1000 && slept < 1500, `slept ${slept} ms`);
  // A spinning wait would use a core for the whole time (~700 ms); the browser's idle work is far less.
  assert.ok(used < elapsed / 4, `the browser used ${used} ms of CPU in ${elapsed} ms while the component slept`);
});

test('an import of a version nobody serves is refused, naming it and the versions served', async () => {
  const r = await session.page.evaluate(async () => {
    const { loadComponent } = await import('/src/index.ts');
    try { await loadComponent('/test/fixtures/build/needs-future-cli.wasm'); return 'loaded'; } catch (e) { return { kind: e.kind, message: e.message }; }
  });
  assert.equal(r.kind, 'link');
  assert.match(r.message, /interface "wasi:cli\/stdout@0\.4\.0" is not provided: wasi:cli is served at 0\.3\.x, 0\.2\.x/);
});
