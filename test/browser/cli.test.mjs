// The terminal command: `wasip3-web run` runs a component in headless Chromium and behaves like
// a process (stdout, stdin, exit code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
