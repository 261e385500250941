#!/usr/bin/env node
// wasip3-web run <component.wasm> [--env K=V]... [-- args...]
// Runs a WASI 0.3 command component in headless Chromium through the page API: serves it on
// loopback, streams its stdout and stderr here, feeds it this process's stdin, and exits with
// its exit code. WASIP3WEB_CHROMIUM names the Chromium (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const usage = 'usage: wasip3-web run <component.wasm> [--env K=V]... [-- args...]';

function parseArgs(argv) {
  if (argv[0] !== 'run' || !argv[1]) { console.error(usage); process.exit(2); }
  const file = argv[1];
  const env = {};
  let args = [];
  for (let k = 2; k < argv.length; k++) {
    if (argv[k] === '--') { args = argv.slice(k + 1); break; }
    if (argv[k] === '--env') {
      const kv = argv[++k] ?? '';
      const eq = kv.indexOf('=');
      if (eq <= 0) { console.error(`--env takes KEY=VALUE, got "${kv}"`); process.exit(2); }
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else { console.error(`unknown option ${argv[k]}\n${usage}`); process.exit(2); }
  }
  return { file: resolve(file), env, args: [file, ...args] };
}

const { file, env, args } = parseArgs(process.argv.slice(2));
if (!existsSync(file)) { console.error(`wasip3-web: no such file: ${file}`); process.exit(2); }
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
