// The npm package as a user meets it: `npm pack`, then fresh apps in temporary folders install
// the tarball offline and build it with Vite (through the wasip3-web/vite plugin, typed) and
// with webpack 5 (no plugin: the worker found through `new Worker(new URL(...))`), and run a
// component in Chromium from what they built.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { launchBrowser, root } from '../../scripts/lib/browser.mjs';

let work;
let tarball;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'wasip3-web-package-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
});
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** The lockfile of an app that depends on the tarball and on `extra` (packages of this repo's
 * lockfile): every package it needs, resolved and checked as this repo's lockfile has it, so
 * `npm ci --offline` installs it from npm's cache with no registry at all. */
function lockFor(name, extra) {
  const ours = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
  const me = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const packages = {};
  const want = [...Object.keys(me.dependencies), ...extra];
  const take = (key) => {
    const { dev, devOptional, peer, ...entry } = ours[key];
    packages[key] = entry;
    want.push(...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies }));
  };
  for (let k = 0; k < want.length; k++) {
    const key = `node_modules/${want[k]}`;
    if (packages[key] || !ours[key]) continue;
    take(key);
    // Copies of its dependencies nested under it, where the versions differ from the hoisted ones.
    for (const nested of Object.keys(ours)) if (nested.startsWith(`${key}/node_modules/`)) take(nested);
  }
  const deps = { 'wasip3-web': `file:${tarball}`, ...Object.fromEntries(extra.map((e) => [e, ours[`node_modules/${e}`].version])) };
  packages[''] = { name, dependencies: deps };
  packages['node_modules/wasip3-web'] = { version: me.version, resolved: `file:${tarball}`, dependencies: me.dependencies, peerDependencies: me.peerDependencies, peerDependenciesMeta: me.peerDependenciesMeta, bin: me.bin };
  return { pkg: { name, private: true, type: 'module', dependencies: deps }, lock: { name, lockfileVersion: 3, requires: true, packages } };
}

/** A new app folder with the given files, and the tarball (and `extra` packages) installed offline. */
function app(name, files, extra = []) {
  const dir = join(work, name);
  mkdirSync(dir);
  const { pkg, lock } = lockFor(name, extra);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  for (const w of ['hello', 'async-add']) copyFileSync(join(root, `test/fixtures/build/${w}.wasm`), join(dir, `${w}.wasm`));
  execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  return dir;
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
/** Serve a built app's folder on loopback, open it in Chromium, and read what the page reports. */
async function runBuilt(dir) {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/\/$/, '/index.html'));
    try {
      if (!path.startsWith(dir) || !statSync(path).isFile()) throw new Error('no');
      res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 30_000 });
    return { result: await page.evaluate(() => document.body.dataset.result ?? null), error: await page.evaluate(() => document.body.dataset.error ?? null), errors };
  } finally {
    await browser.close();
    server.close();
  }
}

/** Every file of a built app's output, as text. */
const builtText = (dir) => readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, f)).isFile()).map((f) => readFileSync(join(dir, f), 'latin1')).join('\n');

const MAIN = `
import { loadComponent } from 'wasip3-web';
import hello from './hello.wasm?component';
import adder from './async-add.wasm?component';
try {
  let text = '';
  const h = await loadComponent(hello, { stdout: (c) => { text += new TextDecoder().decode(c); } });
  const { exitCode } = await h.run();
  h.terminate();
  const a = await loadComponent(adder);
  const sum: number = await a.exports.add1(41);
  a.terminate();
  document.body.dataset.result = JSON.stringify({ exitCode, text, sum });
} catch (e) {
  document.body.dataset.error = String(e);
}
`;

test('a fresh Vite app installs the tarball offline, imports components with ?component, is typed from the component, and runs them from its build', { timeout: 600_000 }, async () => {
  const dir = app('vite-app', {
    'index.html': '<!doctype html><meta charset="utf-8"><body><script type="module" src="/main.ts"></script></body>',
    'main.ts': MAIN,
    'vite.config.js': "import wasip3Web from 'wasip3-web/vite';\nexport default { plugins: [wasip3Web()], build: { target: 'es2022' } };\n",
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2022', 'DOM'] }, include: ['*.ts'] }),
  }, ['vite']);
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });

  // Types: the plugin wrote declarations from each component's own types.
  assert.match(readFileSync(join(dir, 'async-add.wasm.d.ts'), 'utf8'), /add1\(x: number\): Promise<number>/);
  const tsc = (files) => spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, encoding: 'utf8' });
  const ok = tsc();
  assert.equal(ok.status, 0, ok.stdout);
  writeFileSync(join(dir, 'wrong.ts'), "import { loadComponent } from 'wasip3-web';\nimport adder from './async-add.wasm?component';\nconst a = await loadComponent(adder);\nawait a.exports.add1('forty-one');\nexport {};\n");
  const bad = tsc();
  assert.notEqual(bad.status, 0, 'a call with the wrong argument type must not compile');
  assert.match(bad.stdout, /wrong\.ts.*Argument of type 'string' is not assignable to parameter of type 'number'/);
  rmSync(join(dir, 'wrong.ts'));

  // No development tool reaches the production bundle; the worker is emitted beside it.
  // (Markers of their code, not their names: an error message may well name wasm-tools.)
  const out = builtText(join(dir, 'dist'));
  for (const tool of ['@bytecodealliance/jco', 'js-component-bindgen', 'wasm-tools.core', 'binaryen', 'oxc_', 'createProgram']) {
    assert.ok(!out.includes(tool), `${tool} is in the built app`);
  }
  assert.ok(out.length < 1_500_000, `the built app is ${out.length} bytes: more than the library and two components`);
  assert.ok(readdirSync(join(dir, 'dist/assets')).some((f) => /^component-worker.*\.js$/.test(f)), 'the component worker is emitted');

  const r = await runBuilt(join(dir, 'dist'));
  assert.equal(r.error, null, r.errors.join('\n'));
  assert.deepEqual(JSON.parse(r.result), { exitCode: 0, text: 'hello from a WASI 0.3 component\n', sum: 42 });

  // Under `vite dev`, replacing the .wasm reloads the page, which runs the new component.
  const { createServer: viteServer } = await import(join(dir, 'node_modules/vite/dist/node/index.js'));
  const server = await viteServer({ root: dir, logLevel: 'error', server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.httpServer.address().port}/`);
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 60_000 });
    assert.equal(JSON.parse(await page.evaluate(() => document.body.dataset.result)).text, 'hello from a WASI 0.3 component\n');
    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    copyFileSync(join(root, 'test/fixtures/build/args-env.wasm'), join(dir, 'hello.wasm'));
    await reloaded;
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 60_000 });
    assert.match(JSON.parse(await page.evaluate(() => document.body.dataset.result)).text, /^args:/); // args-env now
  } finally {
    await browser.close();
    await server.close();
  }
});

test('a Vite app without the plugin builds and runs a component: Vite emits the worker from new Worker(new URL(...))', { timeout: 600_000 }, async () => {
  const dir = app('vite-plain-app', {
    'index.html': '<!doctype html><meta charset="utf-8"><body><script type="module" src="/main.js"></script></body>',
    'main.js': MAIN.replace("import hello from './hello.wasm?component';\nimport adder from './async-add.wasm?component';",
      "const hello = new URL('./hello.wasm', import.meta.url).href;\nconst adder = new URL('./async-add.wasm', import.meta.url).href;").replace('const sum: number', 'const sum'),
    'vite.config.js': "export default { build: { target: 'es2022' } };\n",
  }, ['vite']);
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  assert.ok(readdirSync(join(dir, 'dist/assets')).some((f) => /^component-worker.*\.js$/.test(f)), 'the component worker is emitted');
  const r = await runBuilt(join(dir, 'dist'));
  assert.equal(r.error, null, r.errors.join('\n'));
  assert.deepEqual(JSON.parse(r.result), { exitCode: 0, text: 'hello from a WASI 0.3 component\n', sum: 42 });
});

test('a webpack 5 app without any plugin builds and runs a component: the worker is found through new Worker(new URL(...))', { timeout: 600_000 }, async () => {
  const dir = app('webpack-app', {
    'main.js': MAIN.replace("import hello from './hello.wasm?component';\nimport adder from './async-add.wasm?component';",
      "const hello = new URL('./hello.wasm', import.meta.url).href;\nconst adder = new URL('./async-add.wasm', import.meta.url).href;").replace('const sum: number', 'const sum'),
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><body><script src="main.js"></script></body>');
  const { default: webpack } = await import(join(root, 'node_modules/webpack/lib/index.js'));
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production', context: dir, entry: './main.js', target: 'web',
    output: { path: join(dir, 'dist'), filename: 'main.js', publicPath: 'auto' },
    experiments: { topLevelAwait: true }, resolve: { modules: [join(dir, 'node_modules')] },
  }, (e, s) => (e ? reject(e) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
  copyFileSync(join(dir, 'index.html'), join(dir, 'dist/index.html'));
  const files = readdirSync(join(dir, 'dist'));
  assert.ok(files.filter((f) => f.endsWith('.js')).length >= 2, `webpack emits the worker as its own file: ${files.join(' ')}`);
  const r = await runBuilt(join(dir, 'dist'));
  assert.equal(r.error, null, r.errors.join('\n'));
  assert.deepEqual(JSON.parse(r.result), { exitCode: 0, text: 'hello from a WASI 0.3 component\n', sum: 42 });
});
