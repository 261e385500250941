// The tests of `npm run wasi-testsuite` whose runner reaches the component over the network
// (`connect`, `send`, `recv`: sockets-echo), carried out as the suite's own runner does
// (runner/test-runner/wasi_test_runner/test_suite_runner.py): the component runs under
// `wasip3-web run --inherit-network`, so its sockets are this host's; `connect` reads the
// `host:port` line it prints on stdout and connects a TCP socket of this process there; `send`
// writes the payload; `recv` reads as many bytes as the payload has and compares; `read` and
// `write` are stdout/stderr and stdin; `wait` wants the exit code.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { root } from './browser.mjs';

/** How long the run may take to print what a read or connect waits for (it starts Chromium). */
const READ_MS = 180000;
/** How long a recv waits for its bytes. */
const RECV_MS = 20000;
/** How long the process may take to end once its operations are done. */
const WAIT_MS = 30000;

const show = (s) => JSON.stringify(s.length > 2000 ? `${s.slice(0, 2000)}...` : s);

/** Wait until `test()` gives a value (checked whenever `on` fires), or null after ms. */
function until(on, test, ms) {
  return new Promise((resolve) => {
    const check = () => { const v = test(); if (v !== null) { done(v); } };
    const timer = setTimeout(() => done(null), ms);
    const done = (v) => { clearTimeout(timer); on.off?.(check); resolve(v); };
    on.add(check);
    check();
  });
}

/** Run one networked test; returns { name, result, reason }. */
export async function runNetworked(name, m, suiteDir) {
  const fail = (reason) => ({ name, result: 'fail', reason });
  let proc = null;
  const sockets = new Map();
  const text = { stdout: '', stderr: '' };
  const listeners = new Set();
  const wake = () => { for (const f of [...listeners]) f(); };
  const on = { add: (f) => listeners.add(f), off: (f) => listeners.delete(f) };
  let exited = null;
  const tail = () => (text.stderr ? ` stderr: ${show(text.stderr.trim())}` : '');
  try {
    for (const op of m.operations) {
      switch (op.type) {
        case 'run': {
          const argv = [join(root, 'bin/wasip3-web.mjs'), 'run', '--inherit-network',
            ...Object.entries(op.env ?? {}).map(([k, v]) => `--env=${k}=${v}`), join(suiteDir, `${name}.wasm`), ...(op.args ?? [])];
          proc = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
          for (const id of ['stdout', 'stderr']) proc[id].setEncoding('utf8').on('data', (c) => { text[id] += c; wake(); });
          proc.on('exit', (code, signal) => { exited = { code, signal }; wake(); });
          break;
        }
        case 'write':
          proc.stdin.write(op.payload ?? '');
          break;
        case 'read': {
          const id = op.id ?? 'stdout';
          const want = op.payload ?? '';
          const got = await until(on, () => (text[id].length >= want.length || exited ? text[id].slice(0, want.length) : null), READ_MS);
          text[id] = text[id].slice(want.length);
          if (got !== want) return fail(`read ${id}: expected ${show(want)}, got ${show(got ?? text[id])}${tail()}`);
          break;
        }
        case 'connect': {
          const line = await until(on, () => {
            const nl = text.stdout.indexOf('\n');
            if (nl >= 0) { const l = text.stdout.slice(0, nl).trim(); text.stdout = text.stdout.slice(nl + 1); return l; }
            return exited ? text.stdout : null;
          }, READ_MS);
          const at = /^(.*):(\d+)$/.exec(line ?? '');
          if (!at) return fail(`connect ${op.id}: expected <host>:<port> on stdout, found ${show(line ?? '')}${tail()}`);
          const s = connect({ host: at[1], port: Number(at[2]) });
          const buffered = { bytes: Buffer.alloc(0), ended: false };
          s.on('data', (d) => { buffered.bytes = Buffer.concat([buffered.bytes, d]); wake(); });
          s.on('end', () => { buffered.ended = true; wake(); });
          const problem = await new Promise((resolve) => { s.once('connect', () => resolve(null)); s.once('error', (e) => resolve(e.message)); });
          if (problem) return fail(`connect ${op.id}: could not connect to ${line}: ${problem}${tail()}`);
          s.on('error', () => { buffered.ended = true; wake(); });
          sockets.set(op.id, { s, buffered });
          break;
        }
        case 'send':
          sockets.get(op.id).s.write(op.payload ?? '');
          break;
        case 'recv': {
          const { buffered } = sockets.get(op.id);
          const want = Buffer.from(op.payload ?? '');
          const got = await until(on, () => (buffered.bytes.length >= want.length || buffered.ended ? buffered.bytes.subarray(0, want.length) : null), RECV_MS);
          if (got) buffered.bytes = buffered.bytes.subarray(got.length);
          if (!got || !got.equals(want)) return fail(`recv ${op.id}: expected ${show(want.toString())}, got ${show(got?.toString() ?? '')}${tail()}`);
          break;
        }
        case 'wait': {
          try { proc.stdin.end(); } catch { /* gone */ }
          const r = await until(on, () => exited, WAIT_MS);
          if (!r) return fail(`did not end within ${WAIT_MS / 1000} s${tail()}`);
          const want = op.exit_code ?? 0;
          if (r.code !== want) return fail(`exit code ${r.code ?? r.signal}, expected ${want}${tail()}`);
          proc = null;
          return { name, result: 'pass', reason: '' };
        }
        default:
          return fail(`unknown operation ${op.type} in a networked test`);
      }
    }
    return fail('the manifest never waits for the end');
  } finally {
    for (const { s } of sockets.values()) s.destroy();
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  }
}
