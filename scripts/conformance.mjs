#!/usr/bin/env node
// npm run conformance [-- [--json FILE] [PATH...]]: runs the Component Model spec's .wast tests
// through src/runtime in Chromium and prints a table (file, commands, passed, failed, first failure).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { parseWast } from './lib/wast.mjs';
import { openPage, root } from './lib/browser.mjs';

const argv = process.argv.slice(2);
let jsonOut = null;
const paths = [];
for (let k = 0; k < argv.length; k++) {
  if (argv[k] === '--json') jsonOut = argv[++k];
  else paths.push(argv[k]);
}
if (paths.length === 0) paths.push(join(root, 'test/conformance/component-model'));

const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  else if (p.endsWith('.wast')) files.push(p);
};
paths.forEach(walk);

async function buildSource(src) {
  if (src.binary) return { bytes: Buffer.from(src.binary).toString('base64') };
  try {
    return { bytes: Buffer.from(await parse(src.text)).toString('base64') };
  } catch (e) {
    return { buildError: String(e?.message ?? e).split('\n')[0] };
  }
}

async function prepare(file) {
  const cmds = parseWast(readFileSync(file, 'utf8'));
  for (const c of cmds) {
    if (c.kind === 'component') c.source = await buildSource(c.source);
    if (c.component) c.component.source = await buildSource(c.component.source);
  }
  return cmds;
}

const session = await openPage('/test/pages/conformance.html');
const { page } = session;
await page.waitForFunction(() => globalThis.conformanceReady === true, null, { timeout: 60000 });

const rows = [];
for (const file of files) {
  const name = relative(join(root, 'test/conformance/component-model'), file).startsWith('..') ? relative(root, file) : relative(join(root, 'test/conformance/component-model'), file);
  let row;
  try {
    const cmds = await prepare(file);
    const outcomes = await Promise.race([
      page.evaluate((c) => globalThis.runWast(c), cmds),
      new Promise((_, rej) => setTimeout(() => rej(new Error('file timed out after 120 s')), 120000)),
    ]);
    const failed = outcomes.filter((o) => !o.ok);
    const first = failed[0];
    if (process.env.CONFORMANCE_VERBOSE) for (const f of failed) console.error(`  ${name}:${f.line} ${f.kind}: ${f.detail ?? ''}`.slice(0, 400));
    row = { file: name, commands: outcomes.length, passed: outcomes.length - failed.length, failed: failed.length, error: first ? `line ${first.line} ${first.kind}: ${first.detail ?? ''}`.slice(0, 300) : null };
  } catch (e) {
    row = { file: name, commands: 0, passed: 0, failed: 1, error: `could not run: ${String(e?.message ?? e).split('\n')[0]}` };
    await page.reload();
    await page.waitForFunction(() => globalThis.conformanceReady === true, null, { timeout: 60000 });
  }
  rows.push(row);
  if (process.env.CONFORMANCE_VERBOSE) console.error(row);
}
await session.close();

const pad = (s, n) => String(s).padEnd(n);
const w = Math.max(...rows.map((r) => r.file.length), 4);
console.log(`${pad('file', w)}  commands  passed  failed  first failure`);
for (const r of rows) {
  console.log(`${pad(r.file, w)}  ${pad(r.commands, 8)}  ${pad(r.passed, 6)}  ${pad(r.failed, 6)}  ${r.error ?? ''}`);
}
const ok = rows.filter((r) => r.failed === 0).length;
console.log(`\n${ok} of ${rows.length} files pass`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows.map(({ file, commands, passed, failed, error }) => ({ file, commands, passed, failed, error })), null, 2));
