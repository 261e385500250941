#!/usr/bin/env node
// node scripts/bench-http.mjs [--json] [http-handle] [http-body] [serve-rps]: the wasi:http
// figures (not yet in the bench page, test/pages/bench.ts):
// - http-handle: requests per second through handle.fetch (http-echo.c, one at a time: its
//   handler is lifted stackful, so concurrent calls wait for the instance) against a plain JS
//   handler in a worker answering the same requests over postMessage (target >= 0.5);
// - http-body: a 64 MiB body streamed through handle.fetch (page to the component's worker and
//   back: http-echo passes the request body on as the response's) against fetch() of 64 MiB from
//   a loopback server (target >= 0.7);
// - serve-rps: requests per second through `wasip3-web serve` (16 in flight; no target yet).
import { createServer } from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launchBrowser, root, startServer } from './lib/browser.mjs';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const names = argv.filter((a) => !a.startsWith('--'));
const want = (n) => !names.length || names.includes(n);
execFileSync(process.execPath, [join(root, 'scripts/build-fixtures.mjs')], { stdio: 'ignore' });
const figures = [];
const MIB64 = 64 << 20;

if (want('http-handle') || want('http-body')) {
  const { server, url } = await startServer();
  const big = Buffer.alloc(1 << 20, 7);
  const api = createServer((req, res) => {
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-length': String(MIB64) });
    let n = 0;
    const more = () => { while (n < MIB64) { n += big.length; if (!res.write(big)) { res.once('drain', more); return; } } res.end(); };
    more();
  });
  await new Promise((r) => api.listen(0, '127.0.0.1', r));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${url}/test/pages/blank.html`);
    const r = await page.evaluate(async ({ api, doHandle, doBody }) => {
      const lib = await import('/src/index.ts');
      const h = await lib.loadComponent('/test/fixtures/build/http-echo.wasm');
      const out = {};
      const rps = async (one, total = 2000, inflight = 16) => {
        let next = 0;
        const t0 = performance.now();
        await Promise.all(Array.from({ length: inflight }, async () => { while (next++ < total) await one(); }));
        return total / ((performance.now() - t0) / 1000);
      };
      if (doHandle) {
        const src = 'onmessage = (e) => postMessage({ id: e.data.id, status: 200, headers: [["x-echo-method", e.data.method]], body: null });';
        const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
        const waiting = new Map();
        let id = 0;
        w.onmessage = (e) => { const f = waiting.get(e.data.id); waiting.delete(e.data.id); f(e.data); };
        const plain = async (req) => {
          const m = await new Promise((r) => { const i = id++; waiting.set(i, r); w.postMessage({ id: i, method: req.method, url: req.url, headers: [...req.headers] }); });
          return new Response(m.body, { status: m.status, headers: m.headers });
        };
        for (let i = 0; i < 200; i++) { await (await h.fetch(new Request('http://c.test/'))).text(); await (await plain(new Request('http://c.test/'))).text(); }
        out.base = await rps(async () => { await (await plain(new Request('http://c.test/x'))).text(); }, 1000, 1);
        out.value = await rps(async () => { await (await h.fetch(new Request('http://c.test/x'))).text(); }, 1000, 1);
        w.terminate();
      }
      if (doBody) {
        const drain = async (res) => { const rd = res.body.getReader(); let n = 0; for (;;) { const { done, value } = await rd.read(); if (done) return n; n += value.length; } };
        const chunk = new Uint8Array(1 << 20);
        const body = () => { let n = 0; return new ReadableStream({ pull(c) { if (n >= 64) { c.close(); return; } n++; c.enqueue(chunk.slice()); } }); };
        const best = async (f) => { let b = Infinity; for (let k = 0; k < 3; k++) { const t0 = performance.now(); const n = await f(); if (n !== 64 << 20) throw new Error(`got ${n} bytes`); b = Math.min(b, performance.now() - t0); } return (64 / b) * 1000; };
        out.bodyBase = await best(async () => drain(await fetch(api, { cache: 'no-store' })));
        out.bodyValue = await best(async () => drain(await h.fetch(new Request('http://c.test/echo', { method: 'POST', body: body(), duplex: 'half' }))));
      }
      h.terminate();
      return out;
    }, { api: `http://127.0.0.1:${api.address().port}/big`, doHandle: want('http-handle'), doBody: want('http-body') });
    if (want('http-handle')) figures.push({ name: 'http-handle', value: r.value, baseline: r.base, unit: 'req/s' });
    if (want('http-body')) figures.push({ name: 'http-body', value: r.bodyValue, baseline: r.bodyBase, unit: 'MB/s' });
  } finally {
    await browser.close();
    await server.close();
    api.close();
  }
}

if (want('serve-rps')) {
  const proc = spawn(process.execPath, [join(root, 'bin/wasip3-web.mjs'), 'serve', '--addr', '127.0.0.1:0', join(root, 'test/fixtures/build/http-echo.wasm')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const base = await new Promise((resolve, reject) => {
    proc.stderr.on('data', (c) => { err += c; const m = /http:\/\/\S+/.exec(err); if (m) resolve(m[0]); });
    proc.on('exit', () => reject(new Error(`serve ended: ${err}`)));
  });
  for (let i = 0; i < 50; i++) await (await fetch(base)).text();
  let next = 0;
  const total = 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => { while (next++ < total) await (await fetch(`${base}x`)).text(); }));
  const value = total / ((performance.now() - t0) / 1000);
  proc.kill('SIGINT');
  await new Promise((r) => proc.on('exit', r));
  figures.push({ name: 'serve-rps', value, baseline: NaN, unit: 'req/s' });
}

for (const f of figures) f.ratio = f.value / f.baseline;
if (json) for (const f of figures) console.log(JSON.stringify(f));
else for (const f of figures) console.log(`${f.name.padEnd(12)} ${f.value.toFixed(1)} ${f.unit}  baseline ${Number.isNaN(f.baseline) ? '-' : `${f.baseline.toFixed(1)} ${f.unit}`}  ratio ${Number.isNaN(f.ratio) ? '-' : f.ratio.toFixed(3)}`);
