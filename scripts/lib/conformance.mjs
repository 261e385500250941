// The conformance runner's engine: builds each .wast script's components with wasm-tools (in
// node), runs the script through src/runtime in a Chromium page, and returns a row per file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { parseWast } from './wast.mjs';
import { openPage, root } from './browser.mjs';

export const specDir = join(root, 'test/conformance/component-model');
/** Our own scripts, written from definitions.py for faults the spec's tests do not reach. */
export const oursDir = join(root, 'test/conformance/ours');

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

/** How long one file may run before its worker is terminated and the file marked failed. */
export const FILE_TIMEOUT_MS = Number(process.env.CONFORMANCE_FILE_TIMEOUT_MS) || 30_000;

/** Run the files; returns [{ file, commands, passed, failed, error, failures, outcomes }] (each
 * outcome: line, kind, ok, detail, ms). Each file runs in
 * a fresh worker of the conformance page (test/pages/conformance.ts) with a time limit; a file that
 * hangs or crashes is marked failed with the reason, and the run goes on (in a new page if the
 * renderer itself died). */
export async function runConformance(files, { verbose = false, timeoutMs = FILE_TIMEOUT_MS } = {}) {
  const session = await openPage('/test/pages/blank.html');
  let page = null;
  const freshPage = async () => {
    if (page) await page.close().catch(() => {});
    page = await session.browser.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(session.url + '/test/pages/conformance.html');
    await page.waitForFunction(() => globalThis.conformanceReady === true, null, { timeout: 60000 });
  };
  const rows = [];
  try {
    await freshPage();
    for (const file of files) {
      const rel = relative(specDir, file);
      const name = rel.startsWith('..') ? relative(root, file) : rel;
      let row;
      let timer;
      try {
        const cmds = await prepare(file);
        // The page stops a hung file itself; this guard is for a page that stops answering.
        const guard = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('the page stopped answering')), timeoutMs + 150_000); });
        const { outcomes, error } = await Promise.race([page.evaluate(([c, ms]) => globalThis.runWastFile(c, ms), [cmds, timeoutMs]), guard]);
        const failed = outcomes.filter((o) => !o.ok);
        const failures = failed.map((f) => `line ${f.line} ${f.kind}: ${f.detail ?? ''}`);
        if (error && !failed.length) failures.push(error);
        // Commands the file never reached (after a hang or crash) count as failed.
        const unrun = cmds.length - outcomes.length;
        row = { file: name, commands: cmds.length, passed: outcomes.length - failed.length, failed: failed.length + unrun, error: failures[0]?.slice(0, 300) ?? null, failures, outcomes };
      } catch (e) {
        row = { file: name, commands: 0, passed: 0, failed: 1, error: `could not run: ${String(e?.message ?? e).split('\n')[0]}`, failures: [], outcomes: [] };
        await freshPage();
      } finally {
        clearTimeout(timer);
      }
      if (verbose) for (const f of row.failures) console.error(`  ${name}: ${f.slice(0, 400)}`);
      rows.push(row);
    }
  } finally {
    await page?.close().catch(() => {});
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
