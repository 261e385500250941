// The terminal command: `wasip3-web run` runs a component in headless Chromium and behaves like
// a process (stdout, stdin, exit code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = (args, input = '') => spawnSync(process.execPath, ['bin/wasip3-web.mjs', 'run', ...args], { cwd: root, input, encoding: 'utf8', timeout: 60000 });

test('arguments, environment and exit code 0, in wasmtime run\'s convention', () => {
  // Options before the component; after it, the component's arguments (a `--` right after it is
  // dropped); argv[0] is the component file's base name.
  const r = cli(['--env', 'GREETING=hi there', 'test/fixtures/build/args-env.wasm', '--', 'one', '--two']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'args: args-env.wasm one --two\nGREETING=hi there\n');
  const named = cli(['--env=A=1', '--argv0=prog', 'test/fixtures/build/args-env.wasm', 'x']);
  assert.equal(named.stdout, 'args: prog x\nA=1\n');
});

test('the official suite\'s cli-env passes from the terminal as under wasmtime', () => {
  const r = cli(['--env', 'foo=bar', '--env', 'baz=42', 'test/wasi-testsuite/wasm32-wasip3/cli-env.wasm', 'a', 'b', '42']);
  assert.equal(r.status, 0, r.stderr);
});

test('an unknown option is an error that names it; --help prints the usage', () => {
  const r = cli(['--inherit-everything', 'test/fixtures/build/hello.wasm']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option "--inherit-everything"/);
  const h = cli(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /usage: wasip3-web run \[options\] <component.wasm> \[args...\]/);
});

test('stdin flows in from the terminal', () => {
  const r = cli(['test/fixtures/build/echo.wasm'], 'piped text\nsecond line\n');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'piped text\nsecond line\n');
});

test('exit-with-code and traps become the exit status', () => {
  assert.equal(cli(['test/fixtures/build/exit3.wasm']).status, 3);
  const t = cli(['test/fixtures/build/trap.wasm']);
  assert.equal(t.status, 1);
  assert.match(t.stderr, /wasm trap: wasm `unreachable` instruction executed/);
});

// --inherit-network and wasi:sockets: the component's TCP and UDP go through Node to this
// host's network (bin/sockets.mjs), with sock-cmd.c as the component.
const run = (args) => {
  const p = spawn(process.execPath, ['bin/wasip3-web.mjs', 'run', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
  p.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
  const exit = new Promise((r) => p.on('exit', (code) => r(code)));
  const timer = setTimeout(() => p.kill('SIGKILL'), 120000);
  void exit.then(() => clearTimeout(timer));
  return {
    exit: exit.then((code) => ({ code, stdout, stderr })),
    /** The first line matching re, once stdout has it whole. */
    line: async (re) => {
      for (;;) {
        const m = stdout.split('\n').slice(0, -1).map((l) => re.exec(l)).find(Boolean);
        if (m) return m;
        if (p.exitCode !== null) throw new Error(`ended without ${re}: ${stdout} ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
};
const listening = (server, host = '127.0.0.1') => new Promise((r) => server.listen(0, host, () => r(server.address().port)));

test('--inherit-network: a component connects to a TCP server on the host; without it, only the page\'s loopback (refused)', async () => {
  // An echo server that answers the client's FIN with its own.
  const server = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  const port = await listening(server);
  try {
    const r = await run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'connect', '127.0.0.1', String(port), 'hello from the page']).exit;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'reply: hello from the page\n');
    const loop = await run(['test/fixtures/build/sock-cmd.wasm', 'connect', '127.0.0.1', String(port), 'x']).exit;
    assert.equal(loop.code, 1);
    assert.equal(loop.stdout, 'err connection-refused\n', 'no flag: the page\'s loopback network, where nothing listens there');
    // A port nothing listens on: Node's ECONNREFUSED is the component's connection-refused.
    const gone = createServer();
    const closed = await listening(gone);
    await new Promise((r) => gone.close(r));
    const refused = await run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'connect', '127.0.0.1', String(closed), 'x']);
    assert.equal((await refused.exit).stdout, 'err connection-refused\n');
  } finally {
    server.close();
  }
});

test('--inherit-network: a WASI 0.2 component (wasi:sockets@0.2, pollables) connects to a TCP server on the host too; without it, only the page\'s loopback (refused)', async () => {
  const server = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  const port = await listening(server);
  try {
    const r = await run(['--inherit-network', 'test/fixtures/build/sock-p2-client.wasm', String(port), 'hello from 0.2']).exit;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'ok hello from 0.2\n');
    const loop = await run(['test/fixtures/build/sock-p2-client.wasm', String(port), 'x']).exit;
    assert.equal(loop.code, 1);
    assert.equal(loop.stdout, 'err connection-refused\n');
  } finally {
    server.close();
  }
});

test('--inherit-network: a component listening on 127.0.0.1 is reached from the host; 6 MiB each way, half-closed, with backpressure', async () => {
  const r = run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'serve', '127.0.0.1', '0']);
  const port = Number((await r.line(/^listening on (\d+)$/))[1]);
  const sent = Buffer.alloc(6 << 20);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
  const got = await new Promise((resolve, reject) => {
    const parts = [];
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end(sent));
    s.on('data', (d) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
  assert.equal(got.length, sent.length);
  assert.ok(got.equals(sent), 'the bytes came back in order');
  const done = await r.exit;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, new RegExp(`served ${sent.length} bytes\n$`));
  // A second component binding the same port on the host: address-in-use.
  const holder = createServer();
  const taken = await listening(holder);
  try {
    const busy = await run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'serve', '127.0.0.1', String(taken)]).exit;
    assert.equal(busy.stdout, 'err address-in-use\n');
  } finally {
    holder.close();
  }
});

test('--inherit-network: a connection the component does not accept is reset on the host at once, while it goes on listening', async () => {
  const r = run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'refuse', '127.0.0.1', '0', '4000']);
  const port = Number((await r.line(/^refusing on (\d+)$/))[1]);
  const t0 = Date.now();
  const outcome = await new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write('anyone there?'));
    s.on('error', (e) => resolve(e.code));
    s.on('close', () => resolve('closed without an error'));
  });
  const ms = Date.now() - t0;
  assert.equal(outcome, 'ECONNRESET', 'a refused connection is reset, as a kernel resets what a listener refuses');
  assert.ok(ms < 2000, `reset after ${ms} ms: at once, not when the run ends (4 s)`);
  const done = await r.exit;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /done\n$/);
});

test('--inherit-network: UDP datagrams both ways between a component and the host', async () => {
  // The component answers a datagram the host sends it...
  const r = run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'udp-serve', '127.0.0.1', '0']);
  const port = Number((await r.line(/^udp listening on (\d+)$/))[1]);
  const u = createSocket('udp4');
  await new Promise((res) => u.bind(0, '127.0.0.1', res));
  const answer = new Promise((res) => u.once('message', (m) => res(String(m))));
  u.send('ping', port, '127.0.0.1');
  assert.equal(await answer, 'echo: ping');
  assert.equal((await r.exit).code, 0);
  // ...and the host's UDP server answers the component.
  u.on('message', (m, from) => u.send(`pong ${m}`, from.port, from.address));
  const c = await run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'udp', '127.0.0.1', String(u.address().port), 'hi']).exit;
  u.close();
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, 'udp reply: pong hi\n');
});

test('--inherit-network: ip-name-lookup goes through Node\'s resolver', async () => {
  const r = await run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'lookup', 'localhost']).exit;
  assert.equal(r.code, 0, r.stderr);
  const expected = (await lookup('localhost', { all: true, verbatim: true })).map((a) => a.address);
  assert.deepEqual(r.stdout.trim().split('\n').map((a) => (a === '0:0:0:0:0:0:0:1' ? '::1' : a)), [...new Set(expected)]);
  const bad = await run(['--inherit-network', 'test/fixtures/build/sock-cmd.wasm', 'lookup', 'no-such-host.invalid']).exit;
  assert.equal(bad.stdout, 'err name-unresolvable\n');
});
