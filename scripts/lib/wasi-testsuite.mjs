// The engine of `npm run wasi-testsuite`: runs the official WASI test suite's components
// (test/wasi-testsuite/wasm32-wasip3) through the page API in Chromium, carrying out each
// test's manifest as the suite's own runner does (runner/test-runner/wasi_test_runner/
// test_suite_runner.py): run (args, env, argv[0] the component's file name, as wasmtime
// gives it), write to stdin, read stdout/stderr and compare, wait for the exit code.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { openPage, root } from './browser.mjs';
import { runServed } from './wasi-testsuite-http.mjs';
import { runNetworked } from './wasi-testsuite-cli.mjs';

export const suiteDir = join(root, 'test/wasi-testsuite/wasm32-wasip3');
/** How long a test may take to end once its operations are done. */
const WAIT_MS = 20000;
/** How long a read waits for its bytes. */
const READ_MS = 10000;
/** What this runner cannot carry out yet, and which work brings it. */
const NOT_YET = {
  request: 'HTTP requests to the component (wasi:http serving: issue 14)',
  kill: 'stopping a served component (wasi:http serving: issue 14)',
};

/** Every test's name, sorted. */
export function testNames() {
  return readdirSync(suiteDir).filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/\.wasm$/, '')).sort();
}

/** A test's operations, in the manifest's new form (a legacy manifest converted as the runner does). */
export function manifest(name) {
  const file = join(suiteDir, `${name}.json`);
  const m = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  if (m.operations) return m;
  const ops = [{ type: 'run', args: m.args, env: m.env, root: m.root }];
  if (m.stdout != null) ops.push({ type: 'read', id: 'stdout', payload: m.stdout });
  if (m.stderr != null) ops.push({ type: 'read', id: 'stderr', payload: m.stderr });
  ops.push({ type: 'wait', exit_code: m.exit_code ?? 0 });
  return { operations: ops };
}

/** The backends a manifest's root can be preopened on. */
export const BACKENDS = ['memory', 'opfs'];

/** A directory's files as { 'sub/name': base64 } (directories are made on the way). */
export function filesOf(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of readdirSync(d).sort()) {
      const f = join(d, e);
      if (statSync(f).isDirectory()) walk(f);
      else out[relative(dir, f).split('\\').join('/')] = readFileSync(f).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const show = (s) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);

/** Run one test in the page; returns { name, result: 'pass'|'fail'|'skip', reason }. */
async function runOne(page, url, name, backend) {
  const m = manifest(name);
  // A served test (requests to the component, servers, a signal) runs under `wasip3-web serve`.
  if (m.operations.some((o) => o.type === 'request')) return runServed(name, m, suiteDir);
  // A test whose runner connects to the component (sockets-echo) runs under `wasip3-web run
  // --inherit-network`, reached from this process over the host's loopback, as the suite's
  // runner reaches wasmtime.
  if (m.operations.some((o) => o.type === 'connect')) return runNetworked(name, m, suiteDir);
  const missing = m.operations.map((o) => NOT_YET[o.type]).find(Boolean) ?? null;
  if (missing) return { name, result: 'skip', reason: `needs ${missing}` };
  const fail = (reason) => ({ name, result: 'fail', reason });
  let waited = false;
  try {
    for (const op of m.operations) {
      switch (op.type) {
        case 'run': {
          // The manifest's root is preopened as /: its files copied into a fresh memory tree,
          // or into a fresh OPFS directory for this test.
          const root = op.root ? { backend, files: filesOf(join(suiteDir, op.root)), name: `wasi-testsuite/${name}` } : null;
          const args = [`${name}.wasm`, ...(op.args ?? [])];
          // A test of the sockets proposal is granted the page's loopback network.
          const grants = (m.proposals ?? []).includes('sockets') ? { sockets: 'loopback' } : {};
          await page.evaluate(([u, a, e, r, g]) => globalThis.suite.run(u, a, e, r, g), [`${url}/test/wasi-testsuite/wasm32-wasip3/${name}.wasm`, args, op.env ?? {}, root, grants]);
          break;
        }
        case 'write':
          await page.evaluate(([id, p]) => globalThis.suite.write(id, p), [op.id, op.payload ?? '']);
          break;
        case 'read': {
          const want = op.payload ?? '';
          const got = await page.evaluate(([id, n, t]) => globalThis.suite.read(id, n, t), [op.id ?? 'stdout', want.length, READ_MS]);
          if (got !== want) return fail(`read ${op.id ?? 'stdout'}: expected ${show(want)}, got ${show(got)}`);
          break;
        }
        // connect, send, recv: the runner's TCP client on the page's loopback network (unused
        // by the suite itself, whose networked tests run through the CLI: runNetworked).
        case 'connect': {
          const problem = await page.evaluate(([id, t]) => globalThis.suite.connect(id, t), [op.id, READ_MS]);
          if (problem) return fail(`connect ${op.id}: ${problem}`);
          break;
        }
        case 'send':
          if (!(await page.evaluate(([id, p]) => globalThis.suite.send(id, p), [op.id, op.payload ?? '']))) return fail(`send ${op.id}: the component stopped reading`);
          break;
        case 'recv': {
          const want = op.payload ?? '';
          const got = await page.evaluate(([id, n, t]) => globalThis.suite.recv(id, n, t), [op.id, new TextEncoder().encode(want).length, READ_MS]);
          if (got !== want) return fail(`recv ${op.id}: expected ${show(want)}, got ${show(got)}`);
          break;
        }
        case 'wait': {
          waited = true;
          const r = await page.evaluate((t) => globalThis.suite.wait(t), WAIT_MS);
          if (!r) return fail(`did not end within ${WAIT_MS / 1000} s`);
          const tail = `${r.stderr ? ` stderr: ${show(r.stderr.trim())}` : ''}`;
          if ('error' in r) return fail(`${r.kind === 'trap' ? 'trapped' : 'failed'}: ${r.error.split('\n')[0]}${tail}`);
          const want = op.exit_code ?? 0;
          if (r.exitCode !== want) return fail(`exit code ${r.exitCode}, expected ${want}${tail}`);
          break;
        }
        default:
          return fail(`unknown operation ${op.type}`);
      }
    }
    return waited ? { name, result: 'pass', reason: '' } : fail('the manifest never waits for the end');
  } finally {
    await page.evaluate(() => globalThis.suite.kill()).catch(() => {});
  }
}

/** Run the named tests (all by default), a root preopened on `backend` (memory or opfs);
 * returns one row per test. */
export async function runSuite(names = testNames(), { log = () => {}, backend = 'memory' } = {}) {
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend ${backend} (${BACKENDS.join(' or ')})`);
  const session = await openPage('/test/pages/wasi-testsuite.html');
  const { page } = session;
  try {
    await page.waitForFunction(() => globalThis.suiteReady === true, null, { timeout: 60000 });
    const rows = [];
    for (const name of names) {
      let row;
      try {
        row = await runOne(page, session.url, name, backend);
      } catch (e) {
        row = { name, result: 'fail', reason: `the runner failed: ${String(e?.message ?? e).split('\n')[0]}` };
        await page.reload();
        await page.waitForFunction(() => globalThis.suiteReady === true, null, { timeout: 60000 });
      }
      log(row);
      rows.push(row);
    }
    return rows;
  } finally {
    await session.close();
  }
}

/** The rows as a text table. */
export function formatTable(rows) {
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const lines = [`${'test'.padEnd(w)}  result  reason`, `${'-'.repeat(w)}  ------  ------`];
  for (const r of rows) lines.push(`${r.name.padEnd(w)}  ${r.result.padEnd(6)}  ${r.reason}`);
  const count = (k) => rows.filter((r) => r.result === k).length;
  lines.push('', `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
  return lines.join('\n');
}

/** The tests STATUS.md lists as not passing, with their reasons: the first table for the
 * memory backend, the table under a heading naming `opfs` for that one. */
export function statusList(file = join(root, 'test/wasi-testsuite/STATUS.md'), backend = 'memory') {
  const out = new Map();
  let section = 'memory';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('#')) section = /opfs/i.test(line) ? 'opfs' : 'memory';
    if (section !== backend) continue;
    const m = /^\| `([^`]+)` \| (fail|skip) \| (.*) \|$/.exec(line);
    if (m) out.set(m[1], { result: m[2], reason: m[3] });
  }
  return out;
}

export { basename };
