#!/usr/bin/env node
// npm run size: the gzip size of what a script-tag page downloads (dist/wasip3-web.iife.js and
// its worker, dist/component-worker.js), against the budget. Exits 1 over budget.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The budget for the two files together, gzipped (issue: adopt it in a minute). */
export const BUDGET = 80 * 1024;
const files = ['dist/wasip3-web.iife.js', 'dist/component-worker.js'];
if (!files.every((f) => existsSync(join(root, f)))) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
let total = 0;
for (const f of files) {
  const raw = readFileSync(join(root, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  console.log(`${f.padEnd(28)} ${(raw.length / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gzip`);
}
const ok = total <= BUDGET;
console.log(`${'together'.padEnd(28)} ${''.padStart(10)}  ${(total / 1024).toFixed(1).padStart(6)} KB gzip (budget ${BUDGET / 1024} KB): ${ok ? 'within' : 'OVER'}`);
process.exit(ok ? 0 : 1);
