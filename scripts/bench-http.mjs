#!/usr/bin/env node
// node scripts/bench-http.mjs [--json] [serve-rps]: the wasi:http figure that needs the terminal.
// serve-rps: requests per second through `wasip3-web serve` (http-echo, 16 in flight, 1,000
// GETs after 50 to warm; no target yet, no baseline). http-handle and http-body are in the
// bench page (test/pages/bench-http.ts): `npm run bench -- http-handle http-body`.
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './lib/browser.mjs';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const names = argv.filter((a) => !a.startsWith('--'));
const page = names.filter((n) => n === 'http-handle' || n === 'http-body');
if (page.length) {
  console.error(`${page.join(', ')}: in the bench page now; run npm run bench -- ${page.join(' ')}`);
  process.exit(2);
}
const unknown = names.filter((n) => n !== 'serve-rps');
if (unknown.length) { console.error(`unknown figure(s) ${unknown.join(', ')}`); process.exit(2); }
execFileSync(process.execPath, [join(root, 'scripts/build-fixtures.mjs')], { stdio: 'ignore' });

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
const f = { name: 'serve-rps', value, unit: 'req/s', baseline: NaN, ratio: NaN };
if (json) console.log(JSON.stringify(f));
else console.log(`${f.name.padEnd(12)} ${f.value.toFixed(1)} ${f.unit}  (no baseline, no target yet)`);
