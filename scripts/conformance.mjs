#!/usr/bin/env node
// npm run conformance [-- [--json FILE] [PATH...]]: runs the Component Model spec's .wast tests
// through src/runtime in Chromium (each file in its own worker, with a time limit) and prints a
// table (file, commands, passed, failed, first failure). Exits as soon as the table is printed.
import { writeFileSync } from 'node:fs';
import { formatTable, oursDir, runConformance, specDir, wastFiles } from './lib/conformance.mjs';

const argv = process.argv.slice(2);
let jsonOut = null;
const paths = [];
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--json') jsonOut = argv[++k];
  else paths.push(argv[k]);
}
const rows = await runConformance(wastFiles(paths.length ? paths : [specDir, oursDir]), { verbose: !!process.env.CONFORMANCE_VERBOSE });
console.log(formatTable(rows));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows.map(({ file, commands, passed, failed, error, failures }) => ({ file, commands, passed, failed, error, failures })), null, 2));
// Nothing left to wait for: do not let a stray handle (a dev-server socket) keep node alive.
process.exit(0);
