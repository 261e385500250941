#!/usr/bin/env node
// npm run wasi-testsuite [-- [--json FILE] [--backend memory|opfs] [NAME...]]: runs the official
// WASI 0.3 test suite through the page API in Chromium and prints a table (test, result,
// reason). --backend: where a test's root directory is preopened (default memory).
import { writeFileSync } from 'node:fs';
import { BACKENDS, formatTable, runSuite, testNames } from './lib/wasi-testsuite.mjs';

const argv = process.argv.slice(2);
let jsonOut = null;
let backend = 'memory';
const names = [];
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--json') jsonOut = argv[++k];
  else if (argv[k] === '--backend' || argv[k].startsWith('--backend=')) backend = argv[k].includes('=') ? argv[k].split('=')[1] : argv[++k];
  else names.push(argv[k].replace(/\.wasm$/, ''));
}
if (!BACKENDS.includes(backend)) {
  console.error(`--backend must be ${BACKENDS.join(' or ')}, not ${backend}`);
  process.exit(2);
}
const all = testNames();
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`no such test: ${unknown.join(', ')}`);
  process.exit(2);
}
const rows = await runSuite(names.length ? names : all, { backend, log: (r) => process.stderr.write(`${r.result.padEnd(4)} ${r.name}\n`) });
console.log(formatTable(rows));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
process.exit(0);
