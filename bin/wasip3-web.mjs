#!/usr/bin/env node
// wasip3-web run [options] <component.wasm> [args...]
// Runs a WASI command component (0.3, or 0.2) in headless Chromium through the page API, in
// `wasmtime run`'s convention: options before the component, everything after it is the
// component's arguments, argv[0] the component file's base name. Serves it on loopback,
// streams its stdout and stderr here, feeds it this process's stdin, and exits with its exit
// code. WASIP3WEB_CHROMIUM names the Chromium (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const usage = `usage: wasip3-web run [options] <component.wasm> [args...]

Runs a WASI command component in headless Chromium (wasi:cli/run@0.3.x, else 0.2.x).

options (before the component; --opt value or --opt=value):
  --env K=V          set an environment variable (--env K passes this process's K)
  --dir HOST::GUEST  preopen a host directory (needs wasi:filesystem: not yet supported)
  --argv0 NAME       argv[0] for the component (default: the component file's base name)
  --help             this text`;

function fail(message) {
  console.error(`wasip3-web: ${message}\n\n${usage}`);
  process.exit(2);
}

/** The command line, in wasmtime run's convention. */
function parseArgs(argv) {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') { console.log(usage); process.exit(0); }
  if (argv[0] !== 'run') fail(argv[0] ? `unknown command "${argv[0]}"` : 'no command given');
  const env = {};
  const dirs = [];
  let argv0 = null;
  let k = 1;
  for (; k < argv.length && argv[k].startsWith('-'); k++) {
    const a = argv[k];
    if (a === '--help' || a === '-h') { console.log(usage); process.exit(0); }
    if (a === '--') { k++; break; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!['--env', '--dir', '--argv0'].includes(name)) fail(`unknown option "${name}"`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++k];
    if (value === undefined) fail(`${name} needs a value`);
    if (name === '--env') {
      const i = value.indexOf('=');
      if (i === 0) fail(`--env takes KEY=VALUE or KEY, got "${value}"`);
      if (i < 0) { if (process.env[value] !== undefined) env[value] = process.env[value]; } else env[value.slice(0, i)] = value.slice(i + 1);
    } else if (name === '--dir') {
      const [host, guest = host] = value.split('::');
      if (!host) fail(`--dir takes HOST::GUEST or HOST, got "${value}"`);
      dirs.push({ host, guest });
    } else argv0 = value;
  }
  const file = argv[k];
  if (!file) fail('no component given');
  let rest = argv.slice(k + 1);
  if (rest[0] === '--') rest = rest.slice(1);
  return { file: resolve(file), env, dirs, args: [argv0 ?? basename(file), ...rest] };
}

const { file, env, dirs, args } = parseArgs(process.argv.slice(2));
if (!existsSync(file)) { console.error(`wasip3-web: no such file: ${file}`); process.exit(2); }
if (dirs.length) { console.error(`wasip3-web: --dir ${dirs[0].host}::${dirs[0].guest}: preopened directories need wasi:filesystem, which is not supported yet`); process.exit(2); }
if (!existsSync(join(pkg, 'dist/wasip3-web.iife.js'))) {
  execFileSync(process.execPath, [join(pkg, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const chromiumPath = process.env.WASIP3WEB_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error(`wasip3-web: no Chromium at ${chromiumPath}; install one (Debian: apt-get install chromium) or set WASIP3WEB_CHROMIUM`);
  process.exit(2);
}

const files = {
  '/': ['text/html', Buffer.from('<!doctype html><meta charset="utf-8"><script src="/wasip3-web.iife.js"></script>')],
  '/wasip3-web.iife.js': ['text/javascript', readFileSync(join(pkg, 'dist/wasip3-web.iife.js'))],
  '/component-worker.js': ['text/javascript', readFileSync(join(pkg, 'dist/component-worker.js'))],
  '/component.wasm': ['application/wasm', readFileSync(file)],
};
const server = createServer((req, res) => {
  const f = files[new URL(req.url, 'http://x').pathname];
  if (!f) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': f[0], 'content-length': f[1].length }).end(f[1]);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: chromiumPath, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let code = 1;
try {
  const page = await browser.newPage();
  const write = (stream) => (b64) => new Promise((r) => { if (stream.write(Buffer.from(b64, 'base64'))) r(); else stream.once('drain', r); });
  await page.exposeFunction('__wasip3Stdout', write(process.stdout));
  await page.exposeFunction('__wasip3Stderr', write(process.stderr));
  await page.goto(url);
  const stdinTTY = process.stdin.isTTY;
  // stdin: chunks are pushed into the page as they arrive; the page's ReadableStream applies
  // backpressure through this process's paused stdin.
  await page.evaluate(() => {
    globalThis.__stdin = new ReadableStream({ start(c) { globalThis.__stdinCtrl = c; } });
  });
  if (!stdinTTY) {
    process.stdin.on('data', (c) => { void page.evaluate((b) => globalThis.__stdinCtrl.enqueue(Uint8Array.from(atob(b), (x) => x.charCodeAt(0))), c.toString('base64')); });
    process.stdin.on('end', () => { void page.evaluate(() => globalThis.__stdinCtrl.close()); });
  } else {
    process.stdin.on('data', (c) => { void page.evaluate((b) => globalThis.__stdinCtrl.enqueue(Uint8Array.from(atob(b), (x) => x.charCodeAt(0))), c.toString('base64')); });
  }
  const result = await page.evaluate(async ({ args, env }) => {
    const b64 = (c) => { let s = ''; for (let i = 0; i < c.length; i += 8192) s += String.fromCharCode(...c.subarray(i, i + 8192)); return btoa(s); };
    // Each chunk is encoded before the callback returns; the Promise holds the next (backpressure
    // from this process's stdout), so the chunks can be borrowed.
    const sink = (f) => WasiP3Web.borrow((c) => f(b64(c)));
    try {
      const h = await WasiP3Web.loadComponent('/component.wasm', {
        args, env, stdin: globalThis.__stdin,
        stdout: sink(globalThis.__wasip3Stdout), stderr: sink(globalThis.__wasip3Stderr),
      });
      const { exitCode } = await h.run();
      h.terminate();
      return { exitCode };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  }, { args, env });
  if (result.error) { process.stderr.write(`wasip3-web: ${result.error}\n`); code = 1; } else code = result.exitCode;
} finally {
  await browser.close();
  server.close();
  process.stdin.destroy();
}
process.exit(code);
