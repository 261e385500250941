#!/usr/bin/env node
// npm run size: the gzip size of what a script-tag page downloads (dist/wasip3-web.iife.js and
// its worker, dist/component-worker.js with the chunks it imports statically), against the
// budget. Exits 1 over budget.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The budget for the two files together, gzipped (issue: adopt it in a minute). */
export const BUDGET = 80 * 1024;
/** A script and the files it imports statically (not the chunks it loads with import()). */
function withImports(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(root, file), 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) withImports(`dist/${m[1]}`, seen);
  return seen;
}
const files = ['dist/wasip3-web.iife.js', 'dist/component-worker.js'];
if (!files.every((f) => existsSync(join(root, f)))) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
let total = 0;
// What every component's worker loads; the chunks of the packages few components import load
// only when one does.
for (const f of [files[0], ...withImports(files[1])]) {
  const raw = readFileSync(join(root, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  console.log(`${f.padEnd(28)} ${(raw.length / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gzip`);
}
const ok = total <= BUDGET;
console.log(`${'together'.padEnd(28)} ${''.padStart(10)}  ${(total / 1024).toFixed(1).padStart(6)} KB gzip (budget ${BUDGET / 1024} KB): ${ok ? 'within' : 'OVER'}`);
process.exit(ok ? 0 : 1);
