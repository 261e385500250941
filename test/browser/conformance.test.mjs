// The spec's own tests through src/runtime in Chromium: every file passes except those
// test/conformance/STATUS.md lists, with their reasons. Our own scripts (test/conformance/ours/,
// written from definitions.py) run through the same runner and must all pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../../scripts/lib/browser.mjs';
import { expectedFailures, formatTable, oursDir, runConformance, specDir, wastFiles } from '../../scripts/lib/conformance.mjs';

let allRows = null;

test('Component Model conformance (test/conformance/STATUS.md)', { timeout: 900_000 }, async () => {
  const rows = allRows = await runConformance(wastFiles([specDir, oursDir]));
  console.log(formatTable(rows));
  const expected = expectedFailures();
  const broken = rows.filter((r) => r.failed > 0 && !expected.has(r.file));
  const stale = rows.filter((r) => r.failed === 0 && expected.has(r.file));
  assert.deepEqual(broken.map((r) => `${r.file}: ${r.error}`), [], 'files that should pass');
  assert.deepEqual(stale.map((r) => r.file), [], 'files STATUS.md lists as failing that now pass');
  const listed = [...expected].filter((f) => !rows.some((r) => r.file === f));
  assert.deepEqual(listed, [], 'files STATUS.md lists that do not exist');
  assert.equal(rows.filter((r) => !r.file.startsWith('test/')).length, 63, 'the spec has 63 test files');
});

test('copy bounds: an aliasing list bomb and a too-deep type trap at once, with their messages', { timeout: 180_000 }, async () => {
  const file = join(oursDir, 'copy-bounds.wast');
  const row = allRows?.find((r) => r.file.endsWith('ours/copy-bounds.wast')) ?? (await runConformance(wastFiles([file])))[0];
  assert.deepEqual(row.failures, []);
  // The bombs describe 2^40 bytes; measured before anything is built, they trap in well
  // under a second (a second here is generous for a loaded CI machine).
  const traps = row.outcomes.filter((o) => o.kind === 'assert_trap');
  assert.equal(traps.length, 3);
  for (const o of traps) assert.ok(o.ms < 2000, `line ${o.line} took ${o.ms} ms`);
});

test('npm run conformance: a file that hangs fails at its time limit, the run goes on, and the process exits once the table is printed', { timeout: 180_000 }, async () => {
  const json = join(mkdtempSync(join(tmpdir(), 'conformance-')), 'rows.json');
  // How long the process lives after printing its table (start-up depends on the machine's load).
  const { out, lingered } = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/conformance.mjs', '--json', json, 'test/conformance/runner'],
      { cwd: root, env: { ...process.env, CONFORMANCE_FILE_TIMEOUT_MS: '3000' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    let printed = 0;
    const kill = setTimeout(() => { child.kill(); reject(new Error('conformance.mjs did not exit')); }, 170_000);
    child.stdout.on('data', (d) => { text += d; if (!printed && /files pass/.test(text)) printed = Date.now(); });
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) reject(new Error(`exit code ${code}`));
      else resolve({ out: text, lingered: Date.now() - printed });
    });
  });
  const rows = JSON.parse(readFileSync(json, 'utf8'));
  const hang = rows.find((r) => r.file.endsWith('1-hang.wast'));
  const after = rows.find((r) => r.file.endsWith('2-after-hang.wast'));
  assert.match(hang.error, /line 11 invoke: timed out after 3 s/);
  assert.deepEqual([hang.commands, hang.passed, hang.failed], [4, 2, 2], 'the command after the hang counts as failed, not run');
  assert.deepEqual([after.passed, after.failed], [2, 0]);
  assert.match(out, /1 of 2 files pass/);
  // The old runner kept a 120 s race timer alive after its table.
  assert.ok(lingered < 5_000, `lived ${lingered} ms after its table`);
});
