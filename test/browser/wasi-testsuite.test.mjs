// The official WASI 0.3 test suite (test/wasi-testsuite) through the page API in Chromium: every
// test passes except those test/wasi-testsuite/STATUS.md lists, with the result it lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, runSuite, statusList, testNames } from '../../scripts/lib/wasi-testsuite.mjs';

test('the official WASI test suite (test/wasi-testsuite/STATUS.md)', { timeout: 1_800_000 }, async () => {
  const rows = await runSuite();
  console.log(formatTable(rows));
  const listed = statusList();
  const wrong = rows.filter((r) => (r.result === 'pass' ? listed.has(r.name) : listed.get(r.name)?.result !== r.result))
    .map((r) => `${r.name}: ${r.result}${r.reason ? ` (${r.reason})` : ''}; STATUS.md says ${listed.get(r.name)?.result ?? 'pass'}`);
  assert.deepEqual(wrong, [], 'tests whose result differs from STATUS.md');
  const unknown = [...listed.keys()].filter((n) => !rows.some((r) => r.name === n));
  assert.deepEqual(unknown, [], 'tests STATUS.md lists that do not exist');
  assert.equal(testNames().length, 55, 'the suite has 55 test components');
  for (const t of ['cli-env', 'cli-exit', 'cli-stdio', 'cli-stdio-roundtrip', 'cli-stdout-flush', 'cli-terminal',
    'monotonic-clock', 'multi-clock-wait', 'wall-clock', 'random', 'run-with-err']) {
    assert.equal(rows.find((r) => r.name === t)?.result, 'pass', `${t} is a target of the WASI 0.2 issue and must pass`);
  }
});

test('the filesystem tests on OPFS (--backend opfs; STATUS.md, its OPFS table)', { timeout: 600_000 }, async () => {
  const names = testNames().filter((n) => n.startsWith('filesystem-'));
  const rows = await runSuite(names, { backend: 'opfs' });
  console.log(formatTable(rows));
  const listed = statusList(undefined, 'opfs');
  const wrong = rows.filter((r) => (r.result === 'pass' ? listed.has(r.name) : listed.get(r.name)?.result !== r.result))
    .map((r) => `${r.name}: ${r.result}${r.reason ? ` (${r.reason})` : ''}; STATUS.md says ${listed.get(r.name)?.result ?? 'pass'}`);
  assert.deepEqual(wrong, [], 'OPFS results that differ from STATUS.md');
  assert.equal(names.length, 14);
});
