#!/usr/bin/env node
// npm run wasi-testsuite [-- [--json FILE] [NAME...]]: runs the official WASI 0.3 test suite
// through the page API in Chromium and prints a table (test, result, reason).
import { writeFileSync } from 'node:fs';
import { formatTable, runSuite, testNames } from './lib/wasi-testsuite.mjs';

const argv = process.argv.slice(2);
let jsonOut = null;
const names = [];
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--json') jsonOut = argv[++k];
  else names.push(argv[k].replace(/\.wasm$/, ''));
}
const all = testNames();
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`no such test: ${unknown.join(', ')}`);
  process.exit(2);
}
const rows = await runSuite(names.length ? names : all, { log: (r) => process.stderr.write(`${r.result.padEnd(4)} ${r.name}\n`) });
console.log(formatTable(rows));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
process.exit(0);
