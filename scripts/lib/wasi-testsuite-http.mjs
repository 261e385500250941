// The served tests of `npm run wasi-testsuite` (manifests with `request` operations, the
// wasi:http/service world), carried out as the suite's own runner does
// (runner/test-runner/wasi_test_runner/test_suite_runner.py): the manifest's `servers` start
// on loopback (static endpoints, echo-body, echo-headers with the request's trailers; a
// `closed` server is an address nothing listens on), their addresses go to the component in
// HTTP_SERVER_<NAME>; the component runs under `wasip3-web serve --addr 127.0.0.1:0
// --inherit-network` (the suite's servers send no CORS headers, and the tests check request
// trailers and chunked framing, which only Node's network gives); each `request` is sent to
// the address it prints first on stderr and judged on status, headers and body; `kill` sends
// the signal; `wait` wants the exit code.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { root } from './browser.mjs';

const ECHO_HEADER_PREFIX = 'x-echo-';
const TRAILER_HEADER_PREFIX = 'x-trailer-';
/** How long serve may take to print its address (it starts Chromium: slow on a loaded machine). */
const START_MS = 180000;
/** How long one request may take. */
const REQUEST_MS = 30000;
/** How long the process may take to end once told. */
const WAIT_MS = 20000;

/** An address nothing listens on (bound, read, closed: connecting is refused). */
async function closedAddr() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return `127.0.0.1:${port}`;
}

/** One endpoint server, as the suite's _EndpointRequestHandler answers. */
async function endpointServer(spec) {
  const routes = new Map((spec.endpoints ?? []).map((e) => [`${e.method} ${e.path}`, e]));
  const server = createHttpServer(async (req, res) => {
    const parts = [];
    for await (const c of req) parts.push(c);
    const body = Buffer.concat(parts);
    const trailers = Object.entries(req.trailers ?? {});
    const ep = routes.get(`${req.method} ${req.url}`);
    const reply = (status, headers, b) => {
      res.writeHead(status, [...headers.flat(), 'content-length', String(b.length), 'connection', 'close']);
      res.end(req.method === 'HEAD' ? undefined : b);
    };
    if (!ep) { reply(404, [], Buffer.alloc(0)); return; }
    if (ep.mode === 'echo-body') { reply(200, [], body); return; }
    if (ep.mode === 'echo-headers') {
      const echoed = [['x-request-method', req.method], ['x-request-path', req.url]];
      const names = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const n = req.rawHeaders[i].toLowerCase();
        if (!names.includes(n)) names.push(n);
      }
      for (const n of names) {
        for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === n) echoed.push([`${ECHO_HEADER_PREFIX}${n}`, req.rawHeaders[i + 1]]);
      }
      for (const [n, v] of trailers) echoed.push([`${TRAILER_HEADER_PREFIX}${n}`, v]);
      reply(200, echoed, Buffer.alloc(0));
      return;
    }
    const r = typeof ep.response === 'string' ? { body: ep.response } : (ep.response ?? {});
    const headers = Object.entries(r.headers ?? {});
    if (!r.chunks) { reply(r.status ?? 200, headers, Buffer.from(r.body ?? '')); return; }
    const t = Object.entries(r.trailers ?? {});
    res.writeHead(r.status ?? 200, [...headers.flat(), 'transfer-encoding', 'chunked', ...(t.length ? ['trailer', t.map(([k]) => k).join(', ')] : []), 'connection', 'close']);
    if (req.method !== 'HEAD') for (const c of r.chunks) res.write(c);
    if (t.length) res.addTrailers(t);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, addr: `127.0.0.1:${server.address().port}` };
}

const show = (s) => JSON.stringify(s.length > 2000 ? `${s.slice(0, 2000)}...` : s);

/** Run one served test; returns { name, result, reason }. */
export async function runServed(name, m, suiteDir) {
  const fail = (reason) => ({ name, result: 'fail', reason });
  const servers = [];
  const env = {};
  let proc = null;
  try {
    for (const s of m.servers ?? []) {
      const v = `HTTP_SERVER_${s.name.toUpperCase()}`;
      if (s.kind === 'closed') { env[v] = await closedAddr(); continue; }
      const e = await endpointServer(s);
      servers.push(e.server);
      env[v] = e.addr;
    }
    let base = null;
    let stderr = '';
    let exited = null;
    const exit = new Promise((r) => { exited = r; });
    for (const op of m.operations) {
      switch (op.type) {
        case 'run': {
          const all = { ...(op.env ?? {}), ...env };
          const argv = [join(root, 'bin/wasip3-web.mjs'), 'serve', '--addr', '127.0.0.1:0', '--inherit-network',
            ...Object.entries(all).map(([k, v]) => `--env=${k}=${v}`), join(suiteDir, `${name}.wasm`), ...(op.args ?? [])];
          proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
          proc.stdout.resume();
          proc.stderr.setEncoding('utf8');
          let line = null;
          let wake = () => {};
          proc.stderr.on('data', (c) => {
            stderr += c;
            if (line === null && stderr.includes('\n')) { line = stderr.slice(0, stderr.indexOf('\n')); wake(); }
          });
          proc.on('exit', (code, signal) => { exited({ code, signal }); wake(); });
          const started = await Promise.race([
            new Promise((r) => { wake = r; if (line !== null) r(); }).then(() => line),
            new Promise((r) => setTimeout(() => r(null), START_MS)),
          ]);
          if (started === null) return fail(`serve did not start within ${START_MS / 1000} s${stderr ? `: ${show(stderr.trim())}` : ''}`);
          const at = started.indexOf('http://');
          if (at < 0) return fail(`expected 'http://' in the first line of stderr, got ${show(started)}`);
          base = started.slice(at).split(/\s/)[0];
          break;
        }
        case 'request': {
          const url = base.replace(/\/$/, '') + (op.path.startsWith('/') ? op.path : `/${op.path}`);
          let res;
          let text;
          try {
            res = await fetch(url, {
              method: op.method, headers: op.headers ?? {}, body: op.body ? op.body : undefined,
              signal: AbortSignal.timeout(REQUEST_MS),
            });
            text = await res.text();
          } catch (e) {
            return fail(`${op.method} ${op.path}: the request failed: ${e.cause?.message ?? e.message}${stderr ? ` stderr: ${show(stderr.trim())}` : ''}`);
          }
          const want = op.response ?? {};
          if (res.status !== (want.status ?? 200)) return fail(`${op.method} ${op.path}: expected status ${want.status ?? 200}, got ${res.status}${text ? ` (${show(text)})` : ''}${stderr ? ` stderr: ${show(stderr.trim())}` : ''}`);
          for (const [h, v] of Object.entries(want.headers ?? {})) {
            if (!res.headers.has(h)) return fail(`${op.method} ${op.path}: response missing header ${h}`);
            if (res.headers.get(h) !== v) return fail(`${op.method} ${op.path}: expected header ${h}=${v}, got ${res.headers.get(h)}`);
          }
          if (text !== (want.body ?? '')) return fail(`${op.method} ${op.path}: expected body ${show(want.body ?? '')}, got ${show(text)}`);
          break;
        }
        case 'kill':
          proc.kill(op.signal ?? 'SIGTERM');
          break;
        case 'wait': {
          const r = await Promise.race([exit, new Promise((res) => setTimeout(() => res(null), WAIT_MS))]);
          if (!r) return fail(`did not end within ${WAIT_MS / 1000} s of the signal`);
          const want = op.exit_code ?? 0;
          if (r.code !== want) return fail(`exit code ${r.code ?? r.signal}, expected ${want}${stderr ? ` stderr: ${show(stderr.trim())}` : ''}`);
          proc = null;
          return { name, result: 'pass', reason: '' };
        }
        default:
          return fail(`unknown operation ${op.type} in a served test`);
      }
    }
    return fail('the manifest never waits for the end');
  } finally {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    for (const s of servers) { s.closeAllConnections?.(); s.close(); }
  }
}
