// The spec's own tests through src/runtime in Chromium: every file passes except those
// test/conformance/STATUS.md lists, with their reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedFailures, formatTable, runConformance, specDir, wastFiles } from '../../scripts/lib/conformance.mjs';

test('Component Model conformance (test/conformance/STATUS.md)', { timeout: 900_000 }, async () => {
  const rows = await runConformance(wastFiles([specDir]));
  console.log(formatTable(rows));
  const expected = expectedFailures();
  const broken = rows.filter((r) => r.failed > 0 && !expected.has(r.file));
  const stale = rows.filter((r) => r.failed === 0 && expected.has(r.file));
  assert.deepEqual(broken.map((r) => `${r.file}: ${r.error}`), [], 'files that should pass');
  assert.deepEqual(stale.map((r) => r.file), [], 'files STATUS.md lists as failing that now pass');
  assert.ok(rows.length >= 39);
});
