#!/usr/bin/env node
// wasip3-web run [options] <component.wasm> [args...]
// wasip3-web serve [--addr HOST:PORT] [options] <component.wasm>
// run: runs a WASI command component (0.3, or 0.2) in headless Chromium through the page API, in
// `wasmtime run`'s convention: options before the component, everything after it is the
// component's arguments, argv[0] the component file's base name. Serves it on loopback,
// streams its stdout and stderr here, feeds it this process's stdin, and exits with its exit
// code. serve: as `wasmtime serve`, answers HTTP on HOST:PORT with the component's
// wasi:http/handler (each request goes into the page's handle.fetch and the response comes back
// as it streams). --inherit-network: the component's outgoing HTTP goes through this process
// (Node) instead of the page's fetch(), and its wasi:sockets network is the host's (Node's
// sockets: bin/sockets.mjs); without it, sockets reach the page's loopback network only.
// WASIP3WEB_CHROMIUM names the Chromium (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { httpRoutes, inheritNetwork, serveHttp } from './http.mjs';
import { inheritSockets, socketsSettled } from './sockets.mjs';
import { chromiumArgs } from './chromium.mjs';
import { readFileSync, existsSync, statSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const usage = `usage: wasip3-web run [options] <component.wasm> [args...]
       wasip3-web serve [--addr HOST:PORT] [options] <component.wasm>

run: runs a WASI command component in headless Chromium (wasi:cli/run@0.3.x, else 0.2.x).
serve: answers HTTP on HOST:PORT (default 127.0.0.1:8080) with the component's
  wasi:http/handler@0.3.x; prints "Serving HTTP on http://HOST:PORT/" first on stderr, and
  exits 0 on SIGINT or SIGTERM once the requests in flight are answered.

options (before the component; --opt value or --opt=value):
  --inherit-network  the host's network (also -S inherit-network): outgoing HTTP (wasi:http
                     client) goes through this process rather than the page's fetch() (any
                     origin, no CORS, trailers work), and wasi:sockets TCP, UDP and name
                     lookups use this process's sockets and resolver (a component listening
                     on 127.0.0.1:PORT is reachable there). Without it, sockets reach only
                     the page's own loopback network (other components of the run)
  --env K=V          set an environment variable (--env K passes this process's K)
  --dir HOST::GUEST  preopen a host directory as GUEST (default: HOST): its files are copied
                     in, and what the component leaves there is written back when it ends
  --argv0 NAME       argv[0] for the component (default: the component file's base name)
  --help             this text`;

function fail(message) {
  console.error(`wasip3-web: ${message}\n\n${usage}`);
  process.exit(2);
}

/** The command line, in wasmtime run's convention. */
function parseArgs(argv) {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') { console.log(usage); process.exit(0); }
  const command = argv[0];
  if (command !== 'run' && command !== 'serve') fail(command ? `unknown command "${command}"` : 'no command given');
  const env = {};
  const dirs = [];
  let argv0 = null;
  let network = false;
  let addr = '127.0.0.1:8080';
  let k = 1;
  for (; k < argv.length && argv[k].startsWith('-'); k++) {
    const a = argv[k];
    if (a === '--help' || a === '-h') { console.log(usage); process.exit(0); }
    if (a === '--') { k++; break; }
    if (a === '--inherit-network') { network = true; continue; }
    // wasmtime's spelling: -S inherit-network, -Sinherit-network[=y|n]
    const s = a === '-S' ? argv[++k] : a.startsWith('-S') ? a.slice(2) : null;
    if (s !== null) {
      if (s === undefined) fail('-S needs a value');
      for (const opt of s.split(',')) {
        const [key, v = 'y'] = opt.split('=');
        if (key === 'inherit-network') network = !['n', 'no', 'false'].includes(v);
        else fail(`unsupported -S option "${key}" (only inherit-network)`);
      }
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!['--env', '--dir', '--argv0', ...(command === 'serve' ? ['--addr'] : [])].includes(name)) fail(`unknown option "${name}"`);
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
    } else if (name === '--addr') {
      const m = /^(.+):(\d+)$/.exec(value);
      if (!m || Number(m[2]) > 65535) fail(`--addr takes HOST:PORT, got "${value}"`);
      addr = value;
    } else argv0 = value;
  }
  const file = argv[k];
  if (!file) fail('no component given');
  let rest = argv.slice(k + 1);
  if (rest[0] === '--') rest = rest.slice(1);
  return { command, file: resolve(file), env, dirs, network, addr, args: [argv0 ?? basename(file), ...rest] };
}

/** A host directory's entries by relative path: a file's bytes, or null for a directory
 * (symbolic links and other kinds are left out). */
function hostFiles(dir) {
  const out = new Map();
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { out.set(r, null); walk(r); } else if (e.isFile()) out.set(r, readFileSync(join(dir, r)));
    }
  };
  walk('');
  return out;
}

/** Bring an OPFS directory's files back to the host directory they came from. */
async function writeBack(page, dir, name, before) {
  const now = await page.evaluate(async (name) => {
    const o = await WasiP3Web.openDirectory(name);
    const out = [];
    const walk = async (prefix) => {
      for (const e of await o.list(prefix)) {
        const p = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.kind === 'directory') { out.push([p, null]); await walk(p); } else out.push([p, e.size]);
      }
    };
    await walk('');
    return out;
  }, name);
  const seen = new Set(now.map(([p]) => p));
  for (const [rel, size] of now) {
    const target = join(dir, rel);
    if (size === null) { mkdirSync(target, { recursive: true }); continue; }
    const b64 = await page.evaluate(async ([name, rel]) => {
      const c = await (await WasiP3Web.openDirectory(name)).read(rel);
      let s = '';
      for (let i = 0; i < c.length; i += 8192) s += String.fromCharCode(...c.subarray(i, i + 8192));
      return btoa(s);
    }, [name, rel]);
    const bytes = Buffer.from(b64, 'base64');
    const old = before.get(rel);
    if (!old || !old.equals(bytes)) writeFileSync(target, bytes);
  }
  // What the component removed, deepest first.
  for (const rel of [...before.keys()].filter((r) => !seen.has(r)).sort().reverse()) rmSync(join(dir, rel), { recursive: true, force: true });
}

const { command, file, env, dirs, network, addr, args } = parseArgs(process.argv.slice(2));
if (!existsSync(file)) { console.error(`wasip3-web: no such file: ${file}`); process.exit(2); }
for (const d of dirs) {
  d.path = resolve(d.host);
  if (!existsSync(d.path) || !statSync(d.path).isDirectory()) { console.error(`wasip3-web: --dir ${d.host}: no such directory`); process.exit(2); }
  if (d.guest !== '.' && !d.guest.startsWith('/')) d.guest = `/${d.guest}`;
}
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
  '/component.wasm': ['application/wasm', readFileSync(file)],
};
// The worker and the chunks it loads (host packages load on first use).
for (const f of readdirSync(join(pkg, 'dist')).filter((n) => /^component-worker.*\.js$/.test(n))) {
  files[`/${f}`] = ['text/javascript', readFileSync(join(pkg, 'dist', f))];
}
const server = createServer((req, res) => {
  if (httpRoutes(req, res, network)) return;
  const f = files[new URL(req.url, 'http://x').pathname];
  if (!f) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': f[0], 'content-length': f[1].length }).end(f[1]);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: chromiumPath, headless: true,
  // serve stops on SIGINT and SIGTERM itself, once the requests in flight are answered.
  ...(command === 'serve' ? { handleSIGINT: false, handleSIGTERM: false } : {}),
  args: chromiumArgs,
});
let code = 1;
try {
  const page = await browser.newPage();
  const write = (stream) => (b64) => new Promise((r) => { if (stream.write(Buffer.from(b64, 'base64'))) r(); else stream.once('drain', r); });
  await page.exposeFunction('__wasip3Stdout', write(process.stdout));
  await page.exposeFunction('__wasip3Stderr', write(process.stderr));
  await page.goto(url);
  if (network) { await inheritNetwork(page); await inheritSockets(page); }
  const sockets = network ? 'host' : 'loopback';
  const stdinTTY = process.stdin.isTTY;
  // stdin: chunks are pushed into the page as they arrive; the page's ReadableStream applies
  // backpressure through this process's paused stdin.
  await page.evaluate(() => {
    globalThis.__stdin = new ReadableStream({ start(c) { globalThis.__stdinCtrl = c; } });
  });
  if (!stdinTTY) {
    // (Once the component has ended, the page may be gone: what stdin brings then is dropped.)
    process.stdin.on('data', (c) => { page.evaluate((b) => globalThis.__stdinCtrl.enqueue(Uint8Array.from(atob(b), (x) => x.charCodeAt(0))), c.toString('base64')).catch(() => {}); });
    process.stdin.on('end', () => { page.evaluate(() => globalThis.__stdinCtrl.close()).catch(() => {}); });
  } else {
    process.stdin.on('data', (c) => { page.evaluate((b) => globalThis.__stdinCtrl.enqueue(Uint8Array.from(atob(b), (x) => x.charCodeAt(0))), c.toString('base64')).catch(() => {}); });
  }
  // --dir: each host directory's files go into an OPFS directory of this run's (throwaway)
  // browser profile, which the component gets as its preopen; what is there when it ends is
  // written back (new and changed files written, removed ones removed).
  const preopens = {};
  const copied = [];
  for (const [i, d] of dirs.entries()) {
    const name = `wasip3-web-cli/${i}`;
    const files = hostFiles(d.path);
    await page.evaluate(async (name) => { const o = await WasiP3Web.openDirectory(name); await o.clear(); }, name);
    for (const [rel, bytes] of files) {
      if (bytes === null) await page.evaluate(async ([name, rel]) => (await WasiP3Web.openDirectory(name)).mkdir(rel), [name, rel]);
      else await page.evaluate(async ([name, rel, b]) => (await WasiP3Web.openDirectory(name)).write(rel, Uint8Array.from(atob(b), (x) => x.charCodeAt(0))), [name, rel, bytes.toString('base64')]);
    }
    preopens[d.guest] = { opfs: name };
    copied.push({ d, name, files });
  }
  if (command === 'serve') {
    code = await serveHttp(page, addr, { args, env, sockets });
    await browser.close();
    server.close();
    process.exit(code);
  }
  const result = await page.evaluate(async ({ args, env, preopens, sockets }) => {
    const b64 = (c) => { let s = ''; for (let i = 0; i < c.length; i += 8192) s += String.fromCharCode(...c.subarray(i, i + 8192)); return btoa(s); };
    // Each chunk is encoded before the callback returns; the Promise holds the next (backpressure
    // from this process's stdout), so the chunks can be borrowed.
    const sink = (f) => WasiP3Web.borrow((c) => f(b64(c)));
    try {
      const h = await WasiP3Web.loadComponent('/component.wasm', {
        args, env, stdin: globalThis.__stdin, preopens, sockets,
        stdout: sink(globalThis.__wasip3Stdout), stderr: sink(globalThis.__wasip3Stderr),
      });
      const { exitCode } = await h.run();
      h.terminate();
      return { exitCode };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  }, { args, env, preopens, sockets });
  // What the component sent before it ended reaches the host, as a kernel sends what a closed
  // socket held.
  if (network) await page.evaluate(() => Promise.race([WasiP3Web.network.flushed(), new Promise((r) => setTimeout(r, 10000))])).catch(() => {});
  for (const { d, name, files } of copied) await writeBack(page, d.path, name, files);
  if (result.error) { process.stderr.write(`wasip3-web: ${result.error}\n`); code = 1; } else code = result.exitCode;
} finally {
  await browser.close();
  server.close();
  process.stdin.destroy();
}
await socketsSettled();
process.exit(code);
