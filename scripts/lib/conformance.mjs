// The conformance runner's engine: builds each .wast script's components with wasm-tools (in
// node), runs the script through src/runtime in a Chromium page, and returns a row per file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { parseWast } from './wast.mjs';
import { openPage, root } from './browser.mjs';

export const specDir = join(root, 'test/conformance/component-model');

/** The .wast files under the given files or folders, sorted. */
export function wastFiles(paths) {
  const files = [];
  const walk = (p) => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else if (p.endsWith('.wast')) files.push(p);
  };
  paths.forEach(walk);
  return files;
}

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

/** Run the files; returns [{ file, commands, passed, failed, error, failures }]. */
export async function runConformance(files, { verbose = false } = {}) {
  const session = await openPage('/test/pages/conformance.html');
  const { page } = session;
  const ready = () => page.waitForFunction(() => globalThis.conformanceReady === true, null, { timeout: 60000 });
  await ready();
  const rows = [];
  try {
    for (const file of files) {
      const rel = relative(specDir, file);
      const name = rel.startsWith('..') ? relative(root, file) : rel;
      let row;
      try {
        const cmds = await prepare(file);
        const outcomes = await Promise.race([
          page.evaluate((c) => globalThis.runWast(c), cmds),
          new Promise((_, rej) => setTimeout(() => rej(new Error('file timed out after 120 s')), 120000)),
        ]);
        const failed = outcomes.filter((o) => !o.ok);
        const failures = failed.map((f) => `line ${f.line} ${f.kind}: ${f.detail ?? ''}`);
        row = { file: name, commands: outcomes.length, passed: outcomes.length - failed.length, failed: failed.length, error: failures[0]?.slice(0, 300) ?? null, failures };
      } catch (e) {
        row = { file: name, commands: 0, passed: 0, failed: 1, error: `could not run: ${String(e?.message ?? e).split('\n')[0]}`, failures: [] };
        await page.reload();
        await ready();
      }
      if (verbose) for (const f of row.failures) console.error(`  ${name}: ${f.slice(0, 400)}`);
      rows.push(row);
    }
  } finally {
    await session.close();
  }
  return rows;
}

/** The table the README shows. */
export function formatTable(rows) {
  const pad = (s, n) => String(s).padEnd(n);
  const w = Math.max(...rows.map((r) => r.file.length), 4);
  const lines = [`${pad('file', w)}  commands  passed  failed  first failure`];
  for (const r of rows) lines.push(`${pad(r.file, w)}  ${pad(r.commands, 8)}  ${pad(r.passed, 6)}  ${pad(r.failed, 6)}  ${r.error ?? ''}`);
  lines.push('', `${rows.filter((r) => r.failed === 0).length} of ${rows.length} files pass`);
  return lines.join('\n');
}

/** Files STATUS.md lists as expected not to pass (first column of its table). */
export function expectedFailures() {
  const text = readFileSync(join(root, 'test/conformance/STATUS.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([^`]+\.wast)` \|/gm)].map((m) => m[1]));
}
