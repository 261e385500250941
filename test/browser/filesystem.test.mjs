// wasi:filesystem end to end in Chromium: the C test component fs-tool (0.3 and 0.2 on the
// same preopens) in real workers, on real OPFS and memory trees; escapes tried one by one;
// two components on one OPFS file; a persistent profile and a reload for durability; the
// page's openDirectory. Each test uses OPFS directories of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, launchBrowser, startServer } from '../../scripts/lib/browser.mjs';

let server, url, browser, context, page;
before(async () => {
  ({ server, url } = await startServer());
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await newTab();
});
after(async () => { await browser?.close(); await server?.close(); });

async function newTab(ctx = context) {
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.error('[page error]', e.message));
  await p.goto(`${url}/test/pages/blank.html`);
  return p;
}

let n = 0;
/** An OPFS directory name of its own for one test. */
const fresh = (what) => `test-fs/${what}-${process.pid}-${Date.now()}-${n++}`;

/** In the page: `script(load, lib, arg)` where load(grants) starts an fs-tool component and
 * returns its exports; every component is terminated afterwards. */
function inPage(p, script, arg) {
  return p.evaluate(async ({ script, arg }) => {
    const lib = await import('/src/index.ts');
    const handles = [];
    const load = async (grants) => {
      const h = await lib.loadComponent('/test/fixtures/build/fs-tool.wasm', grants);
      handles.push(h);
      return h.exports;
    };
    try {
      // eslint-disable-next-line no-new-func
      return await new Function('load', 'lib', 'arg', `return (${script})(load, lib, arg);`)(load, lib, arg);
    } finally {
      for (const h of handles) h.terminate();
    }
  }, { script: script.toString(), arg });
}

test('nothing is preopened by default; bad preopen grants are refused on the page by name', async () => {
  const r = await inPage(page, async (load, lib) => {
    const none = await load({});
    const refused = [];
    for (const preopens of [{ data: 'memory' }, { '/a': 'disk' }, { '/a': { opfs: '../x' } }, { '/a': { files: { '../x': 'y' } } },
      { '/a': { opfs: 'x', files: {} } }, { '/a': 'memory', '/a/': 'memory' }, { '/a': { files: { 'a.txt': 5 } } }]) {
      try { await lib.loadComponent('/test/fixtures/build/fs-tool.wasm', { preopens }); refused.push('loaded'); } catch (e) { refused.push(`${e.name}: ${e.message}`); }
    }
    return { none: [await none.read('/', 'a.txt'), await none.readP2('/', 'a.txt')], refused };
  });
  assert.deepEqual(r.none, ['no preopen', 'no preopen']);
  assert.equal(r.refused.length, 7);
  for (const m of r.refused) assert.match(m, /^GrantError: /);
  assert.match(r.refused[0], /preopen "data" must be an absolute guest path/);
  assert.match(r.refused[2], /opfs must name a directory/);
  assert.match(r.refused[3], /"\.\.\/x" must be a relative path inside/);
  assert.match(r.refused[5], /given twice/);
});

for (const backend of ['memory', 'opfs']) {
  test(`${backend}: WASI 0.2 and 0.3 see one set of files (written by one, read by the other)`, async () => {
    const name = fresh('both');
    const r = await inPage(page, async (load, lib, { backend, name }) => {
      const seeded = backend === 'memory' ? { files: { 'seed.txt': 'from the page', 'docs/deep.txt': new TextEncoder().encode('deep') } } : { opfs: name };
      if (backend === 'opfs') {
        const d = await lib.openDirectory(name);
        await d.write('seed.txt', 'from the page');
        await d.write('docs/deep.txt', 'deep');
      }
      const fs = await load({ preopens: { '/data': seeded } });
      return [
        await fs.read('/data', 'seed.txt'), await fs.readP2('/data', 'docs/deep.txt'),
        await fs.write('/data', 'three.txt', 'written through 0.3', false), await fs.readP2('/data', 'three.txt'),
        await fs.writeP2('/data', 'two.txt', 'written through 0.2'), await fs.read('/data', 'two.txt'),
        await fs.op('/data', 'stat', 'two.txt', ''), await fs.op('/data', 'stat', 'docs', ''),
        await fs.read('/data', 'missing.txt'), await fs.readP2('/data', 'missing.txt'),
        await fs.op('/data', 'open-write', 'docs', ''), await fs.op('/data', 'rmdir', 'docs', ''),
      ];
    }, { backend, name });
    assert.deepEqual(r, [
      'ok from the page', 'ok deep',
      'ok 19', 'ok written through 0.3',
      'ok 19', 'ok written through 0.2',
      'ok regular-file 19', `ok directory ${backend === 'memory' ? 4096 : 0}`,
      'err no-entry', 'err no-entry',
      'err is-directory', 'err not-empty',
    ]);
  });

  test(`${backend}: no path escapes its preopen (.., absolute paths, symbolic links): not-permitted, nothing outside touched`, async () => {
    const name = fresh('escape');
    const r = await inPage(page, async (load, lib, { backend, name }) => {
      // Beside the preopened directory: a sibling the component must never reach.
      const outside = await lib.openDirectory(`${name}-outside`);
      await outside.write('secret.txt', 'secret');
      const inside = backend === 'memory' ? { files: { 'a.txt': 'a', 'sub/b.txt': 'b' } } : { opfs: `${name}/in` };
      if (backend === 'opfs') {
        const d = await lib.openDirectory(`${name}/in`);
        await d.write('a.txt', 'a');
        await d.write('sub/b.txt', 'b');
      }
      const fs = await load({ preopens: { '/in': inside } });
      const links = [await fs.op('/in', 'symlink', '..', 'up'), await fs.op('/in', 'symlink', '/etc', 'abs')];
      const out = {};
      const paths = ['..', '../x', `../${name.split('/').pop()}-outside/secret.txt`, 'sub/../..', 'sub/../../x', '/', '/etc/passwd', '/in/a.txt',
        ...(links[0] === 'ok' ? ['up/x', 'up/'] : [])];
      for (const p of paths) {
        out[p] = {};
        for (const op of ['stat', 'stat-follow', 'open-read', 'open-write', 'open-dir', 'mkdir', 'rmdir', 'unlink', 'readlink']) out[p][op] = await fs.op('/in', op, p, '');
        out[p]['rename-to'] = await fs.op('/in', 'rename', 'a.txt', p);
        out[p]['rename-from'] = await fs.op('/in', 'rename', p, 'stolen');
        out[p]['link-to'] = await fs.op('/in', 'link', 'a.txt', p);
        out[p]['link-from'] = await fs.op('/in', 'link', p, 'stolen');
        out[p]['symlink-at'] = await fs.op('/in', 'symlink', 'a.txt', p);
        out[p].write = await fs.write('/in', p, 'x', false);
      }
      if (links[0] === 'ok') out['up (followed)'] = { 'stat-follow': await fs.op('/in', 'stat-follow', 'up', ''), 'open-dir': await fs.op('/in', 'open-dir', 'up/.', '') };
      return { links, out, after: await outside.files(), secret: await outside.readText('secret.txt'), inside: await fs.read('/in', 'a.txt') };
    }, { backend, name });
    // Symbolic links on both backends (OPFS's in its link table): one that climbs out is made,
    // and refused when followed; an absolute target is refused at once.
    assert.deepEqual(r.links, ['ok', 'err not-permitted']);
    const bad = [];
    for (const [p, ops] of Object.entries(r.out)) {
      for (const [op, got] of Object.entries(ops)) if (got !== 'err not-permitted') bad.push(`${op} ${JSON.stringify(p)}: ${got}`);
    }
    assert.deepEqual(bad, [], 'every escape answers not-permitted');
    assert.ok(Object.keys(r.out).length >= 11);
    assert.deepEqual(r.after, ['secret.txt']);
    assert.equal(r.secret, 'secret');
    assert.equal(r.inside, 'ok a');
  });
}

for (const backend of ['memory', 'opfs']) {
  test(`${backend}: WASI 0.2 streams (blocking-read, blocking-write-and-flush, append) and both generations' directory listings`, async () => {
    const name = fresh('p2streams');
    const r = await inPage(page, async (load, lib, { backend, name }) => {
      // 200,000 bytes that do not repeat in 4 KiB: a misplaced piece would show.
      const big = new Uint8Array(200_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff;
      let grant = { files: { 'big.bin': big, 'sub/x.txt': 'x' } };
      if (backend === 'opfs') {
        const d = await lib.openDirectory(name);
        await d.write('big.bin', big);
        await d.write('sub/x.txt', 'x');
        grant = { opfs: name };
      }
      const fs = await load({ preopens: { '/p': grant } });
      const copied = await fs.copyP2('/p', 'big.bin', 'copy.bin', 'TAIL');
      const sort = (s) => s.startsWith('ok ') ? `ok ${s.slice(3).split(',').sort().join(',')}` : s;
      const out = {
        copied, list2: sort(await fs.listP2('/p', '.')), list3: sort(await fs.listDir('/p', '.')), sub: await fs.listDir('/p', 'sub'),
        notDir: await fs.listP2('/p', 'big.bin'), missing: await fs.copyP2('/p', 'nope', 'y', ''),
        stat: await fs.op('/p', 'stat', 'copy.bin', ''),
      };
      out.text = [await fs.copyP2('/p', 'sub/x.txt', 'sub/x2.txt', '+TAIL'), await fs.read('/p', 'sub/x2.txt')];
      if (backend === 'opfs') {
        const got = await (await lib.openDirectory(name)).read('copy.bin');
        const want = new Uint8Array(big.length + 4);
        want.set(big); want.set(new TextEncoder().encode('TAIL'), big.length);
        out.same = got.length === want.length && got.every((b, i) => b === want[i]) ? true : `length ${got.length}, first difference at ${got.findIndex((b, i) => b !== want[i])}`;
      }
      out.sums = [await fs.drain('/p', 'big.bin', 65536), await fs.drain('/p', 'copy.bin', 1000)];
      return out;
    }, { backend, name });
    assert.equal(r.copied, 'ok 200004');
    assert.equal(r.stat, 'ok regular-file 200004');
    assert.equal(r.list2, 'ok big.bin:regular-file,copy.bin:regular-file,sub:directory');
    assert.equal(r.list3, r.list2);
    assert.equal(r.sub, 'ok x.txt:regular-file');
    assert.deepEqual(r.text, ['ok 6', 'ok x+TAIL']);
    assert.equal(r.notDir, 'err not-directory');
    assert.equal(r.missing, 'err no-entry');
    if (backend === 'opfs') assert.equal(r.same, true, 'the copy holds the same bytes, then the tail');
    const [a, b] = r.sums.map((x) => x.split(' '));
    assert.deepEqual([a[1], b[1], a[2]], ['200000', '200004', b[2]], 'the copy has the bytes at every 4 KiB offset');
  });
}

test('read-only preopens refuse every change (not-permitted: the preopen has no mutate-directory) and keep their files', async () => {
  const name = fresh('ro');
  const r = await inPage(page, async (load, lib, name) => {
    const d = await lib.openDirectory(name);
    await d.write('a.txt', 'keep');
    const fs = await load({ preopens: { '/m': { files: { 'a.txt': 'keep' }, readonly: true }, '/o': { opfs: name, readonly: true } } });
    const out = [];
    for (const root of ['/m', '/o']) {
      out.push(await fs.read(root, 'a.txt'), await fs.write(root, 'a.txt', 'x', false), await fs.writeP2(root, 'new.txt', 'x'),
        await fs.op(root, 'mkdir', 'd', ''), await fs.op(root, 'unlink', 'a.txt', ''), await fs.op(root, 'rename', 'a.txt', 'b.txt'));
    }
    return { out, files: await d.files(), text: await d.readText('a.txt') };
  }, name);
  // The preopen's descriptor has no mutate-directory: changes are not-permitted before read-only could be said.
  assert.deepEqual(r.out, ['ok keep', 'err not-permitted', 'err not-permitted', 'err not-permitted', 'err not-permitted', 'err not-permitted',
    'ok keep', 'err not-permitted', 'err not-permitted', 'err not-permitted', 'err not-permitted', 'err not-permitted']);
  assert.deepEqual(r.files, ['a.txt']);
  assert.equal(r.text, 'keep');
});

test('two components opening one OPFS file for writing: the second gets busy, never interleaved bytes', async () => {
  const name = fresh('busy');
  const r = await inPage(page, async (load, _lib, name) => {
    const grants = { preopens: { '/d': { opfs: name } } };
    const a = await load(grants);
    const b = await load(grants);
    const out = [await a.hold('/d', 'f.txt'), await b.hold('/d', 'f.txt'), await b.write('/d', 'f.txt', 'from b', true), await b.read('/d', 'f.txt')];
    // While a holds it, a may still write it itself (one handle per file per component).
    out.push(await a.write('/d', 'f.txt', 'from a', true), await a.read('/d', 'f.txt'));
    out.push(await a.release(), await b.write('/d', 'f.txt', 'from b', true), await a.read('/d', 'f.txt'));
    return out;
  }, name);
  assert.deepEqual(r, ['ok', 'err busy', 'err busy', 'err busy', 'ok 6', 'ok from a', 'ok', 'ok 6', 'ok from b']);
});

test('a synced OPFS file survives terminating the worker at once and reloading the page', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasip3-fs-'));
  const persistent = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(), headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--js-flags=--experimental-wasm-jspi'],
  });
  try {
    const name = fresh('durable');
    const tab = await newTab(persistent);
    const wrote = await tab.evaluate(async (name) => {
      const { loadComponent } = await import('/src/index.ts');
      const h = await loadComponent('/test/fixtures/build/fs-tool.wasm', { preopens: { '/d': { opfs: name } } });
      const r = [await h.exports.write('/d', 'kept.txt', 'across a reload', true), await h.exports.fill('/d', 'big.bin', 8, 65536)];
      h.terminate();
      return r;
    }, name);
    assert.deepEqual(wrote, ['ok 15', `ok ${8 << 20}`]);
    await tab.reload();
    const read = await inPage(tab, async (load, lib, name) => {
      const fs = await load({ preopens: { '/d': { opfs: name } } });
      const d = await lib.openDirectory(name);
      return [await fs.read('/d', 'kept.txt'), await d.readText('kept.txt'), (await d.list()).map((e) => `${e.name} ${e.size}`), await fs.drain('/d', 'big.bin', 65536)];
    }, name);
    assert.equal(read[0], 'ok across a reload');
    assert.equal(read[1], 'across a reload');
    assert.deepEqual(read[2], [`big.bin ${8 << 20}`, 'kept.txt 15']);
    assert.match(read[3], new RegExp(`^ok ${8 << 20} \\d+$`));
  } finally {
    await persistent.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('OPFS links (hard and symbolic) survive terminating the worker and a reload, and follow unlink, rename and rmdir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasip3-fs-links-'));
  const persistent = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(), headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--js-flags=--experimental-wasm-jspi'],
  });
  // One component per call, terminated when it returns: what the next sees was kept in OPFS.
  const run = (tab, calls, name) => tab.evaluate(async ({ calls, name }) => {
    const { loadComponent } = await import('/src/index.ts');
    const h = await loadComponent('/test/fixtures/build/fs-tool.wasm', { preopens: { '/d': { opfs: name } } });
    const out = [];
    try {
      for (const [f, ...a] of calls) out.push(await h.exports[f]('/d', ...a));
    } finally {
      h.terminate();
    }
    return out;
  }, { calls, name });
  const sorted = (s) => (s.startsWith('ok ') ? `ok ${s.slice(3).split(',').sort().join(',')}` : s);
  try {
    const name = fresh('links');
    const tab = await newTab(persistent);
    assert.deepEqual(await run(tab, [
      ['write', 'f.txt', 'one', true], ['op', 'mkdir', 'd', ''], ['op', 'link', 'f.txt', 'd/g.txt'],
      ['op', 'symlink', 'd', 'sd'], ['op', 'symlink', '../f.txt', 'd/up'], ['op', 'symlink', '..', 'esc'],
      ['op', 'links', 'f.txt', ''],
    ], name), ['ok 3', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok 2']);
    await tab.reload();
    const b = await run(tab, [
      ['op', 'links', 'f.txt', ''], ['op', 'links', 'd/g.txt', ''], ['read', 'sd/g.txt'],
      ['op', 'readlink', 'd/up', ''], ['op', 'stat', 'd/up', ''], ['op', 'stat-follow', 'd/up', ''],
      ['op', 'stat-follow', 'esc', ''], ['op', 'stat', 'esc/d', ''],
      ['write', 'd/g.txt', 'two!!', true], ['read', 'f.txt'], ['listDir', '.'], ['listDir', 'd'],
      ['op', 'link', 'f.txt', 'k.txt'], ['op', 'rename', 'f.txt', 'm.txt'], ['op', 'links', 'k.txt', ''],
      ['op', 'unlink', 'm.txt', ''], ['op', 'rename', 'k.txt', 'd/k2.txt'], ['op', 'links', 'd/g.txt', ''],
    ], name);
    assert.deepEqual(b.slice(0, 10), [
      'ok 2', 'ok 2', 'ok one', 'ok ../f.txt', 'ok symbolic-link 8', 'ok regular-file 3',
      'err not-permitted', 'err not-permitted', 'ok 5', 'ok two!!',
    ]);
    assert.equal(sorted(b[10]), 'ok d:directory,esc:symbolic-link,f.txt:regular-file,sd:symbolic-link');
    assert.equal(sorted(b[11]), 'ok g.txt:regular-file,up:symbolic-link');
    assert.deepEqual(b.slice(12), ['ok', 'ok', 'ok 3', 'ok', 'ok', 'ok 2']);
    // The page sees the bytes at the name they moved to (m.txt's removal left them at d/g.txt),
    // and never the links' table.
    const seen = await tab.evaluate(async (name) => {
      const d = await (await import('/src/index.ts')).openDirectory(name);
      return { files: await d.files(), top: (await d.list()).map((e) => e.name), text: await d.readText('d/g.txt') };
    }, name);
    assert.deepEqual(seen, { files: ['d/g.txt'], top: ['d'], text: 'two!!' });
    // A third worker; a directory holding a link is not empty.
    const c = await run(tab, [
      ['read', 'd/k2.txt'], ['op', 'links', 'd/g.txt', ''], ['op', 'readlink', 'd/up', ''], ['op', 'stat-follow', 'd/up', ''],
      ['read', 'sd/g.txt'], ['op', 'unlink', 'd/g.txt', ''], ['op', 'links', 'd/k2.txt', ''], ['op', 'unlink', 'd/k2.txt', ''],
      ['op', 'rmdir', 'd', ''], ['op', 'unlink', 'd/up', ''], ['op', 'rmdir', 'd', ''], ['op', 'stat-follow', 'sd', ''],
      ['listDir', '.'],
    ], name);
    assert.deepEqual(c.slice(0, 12), ['ok two!!', 'ok 2', 'ok ../f.txt', 'err no-entry', 'ok two!!', 'ok', 'ok 1', 'ok',
      'err not-empty', 'ok', 'ok', 'err no-entry']);
    assert.equal(sorted(c[12]), 'ok esc:symbolic-link,sd:symbolic-link');
  } finally {
    await persistent.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two components making links in one OPFS directory at once: the links table loses none', async () => {
  const name = fresh('links2');
  const r = await inPage(page, async (load, _lib, name) => {
    const grants = { preopens: { '/d': { opfs: name } } };
    const [a, b] = [await load(grants), await load(grants)];
    await a.write('/d', 't.txt', 'target', false);
    // Each change reads the table, adds its name and writes it back: in turn, or one is lost.
    const make = async (fs, who) => {
      const out = [];
      for (let i = 0; i < 25; i++) out.push(await fs.op('/d', i % 2 ? 'symlink' : 'link', 't.txt', `${who}${i}`));
      return out;
    };
    const made = await Promise.all([make(a, 'a'), make(b, 'b')]);
    return { made: made.flat(), list: await b.listDir('/d', '.'), links: await a.op('/d', 'links', 't.txt', '') };
  }, name);
  assert.deepEqual(r.made, Array(50).fill('ok'));
  assert.equal(r.list.split(',').length, 51, r.list);
  assert.equal(r.links, 'ok 27', 'the file and its 26 hard links (a0, a2, ..., b24)');
});

test('openDirectory: the page seeds, lists, reads and removes what components see and write', async () => {
  const name = fresh('page');
  const r = await inPage(page, async (load, lib, name) => {
    const d = await lib.openDirectory(name);
    await d.write('in/seed.txt', 'seeded');
    await d.mkdir('empty');
    const fs = await load({ preopens: { '/w': { opfs: name } } });
    const out = { seen: await fs.read('/w', 'in/seed.txt'), wrote: await fs.write('/w', 'out.txt', 'by the component', true) };
    out.files = await d.files();
    out.list = await d.list();
    out.text = await d.readText('out.txt');
    await d.remove('in');
    out.gone = await fs.read('/w', 'in/seed.txt');
    const refused = [];
    for (const f of [() => d.read('../x'), () => d.write('/abs', 'x'), () => lib.openDirectory('a/../b'), () => d.remove('')]) {
      try { await f(); refused.push('done'); } catch (e) { refused.push(e.name); }
    }
    out.refused = refused;
    await d.clear();
    out.cleared = await d.list();
    return out;
  }, name);
  assert.equal(r.seen, 'ok seeded');
  assert.equal(r.wrote, 'ok 16');
  assert.deepEqual(r.files, ['in/seed.txt', 'out.txt']);
  assert.deepEqual(r.list, [{ name: 'empty', kind: 'directory' }, { name: 'in', kind: 'directory' }, { name: 'out.txt', kind: 'file', size: 16 }]);
  assert.equal(r.text, 'by the component');
  assert.equal(r.gone, 'err no-entry');
  assert.deepEqual(r.refused, ['TypeError', 'TypeError', 'TypeError', 'TypeError']);
  assert.deepEqual(r.cleared, []);
});

test('streams move files in chunks: 8 MiB written in 64 KiB pieces reads back whole on both backends', async () => {
  const name = fresh('chunks');
  const r = await inPage(page, async (load, _lib, name) => {
    const fs = await load({ preopens: { '/m': 'memory', '/o': { opfs: name } } });
    return [await fs.fill('/m', 'f', 8, 65536), await fs.drain('/m', 'f', 65536), await fs.drain('/m', 'f', 1000),
      await fs.fill('/o', 'f', 8, 65536), await fs.drain('/o', 'f', 65536), await fs.drain('/o', 'f', 1000)];
  }, name);
  assert.equal(r[0], `ok ${8 << 20}`);
  assert.equal(r[3], `ok ${8 << 20}`);
  // The same bytes whichever the backend and the reader's chunk size.
  assert.match(r[1], new RegExp(`^ok ${8 << 20} \\d+$`));
  assert.deepEqual([r[2], r[4], r[5]], [r[1], r[1], r[1]], 'memory and OPFS, 64 KiB or 1000-byte reads: the same bytes');
});

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = (args) => spawnSync(process.execPath, ['bin/wasip3-web.mjs', 'run', ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });

test("CLI --dir HOST::GUEST: the folder's files go in, and what the component leaves is written back", () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasip3-cli-dir-'));
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'in.txt'), 'hello, disk\n');
    writeFileSync(join(dir, 'gone.txt'), 'bye');
    writeFileSync(join(dir, 'sub/k.txt'), 'kept');
    const r = cli(['--dir', `${dir}::/work`, 'test/fixtures/build/fs-cmd.wasm']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'HELLO, DISK\n');
    assert.equal(existsSync(join(dir, 'gone.txt')), false, 'a file the component removed is removed');
    assert.equal(existsSync(join(dir, 'made')), true, 'a directory it made is made');
    assert.equal(readFileSync(join(dir, 'sub/k.txt'), 'utf8'), 'kept');
    // Without --dir the component has no /work and fails.
    assert.equal(cli(['test/fixtures/build/fs-cmd.wasm']).status, 1);
    assert.match(cli(['--dir', join(dir, 'nope'), 'test/fixtures/build/fs-cmd.wasm']).stderr, /no such directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI: the official suite's filesystem-io passes from a terminal with --dir fs-tests.dir::/", () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasip3-cli-suite-'));
  try {
    writeFileSync(join(dir, 'a.txt'), readFileSync(join(root, 'test/wasi-testsuite/wasm32-wasip3/fs-tests.dir/a.txt')));
    writeFileSync(join(dir, 'b.txt'), readFileSync(join(root, 'test/wasi-testsuite/wasm32-wasip3/fs-tests.dir/b.txt')));
    const r = cli(['--dir', `${dir}::/`, 'test/wasi-testsuite/wasm32-wasip3/filesystem-io.wasm']);
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
