// The terminal command: `wasip3-web run` runs a component in headless Chromium and behaves like
// a process (stdout, stdin, exit code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = (args, input = '') => spawnSync(process.execPath, ['bin/wasip3-web.mjs', 'run', ...args], { cwd: root, input, encoding: 'utf8', timeout: 60000 });

test('arguments, environment and exit code 0', () => {
  const r = cli(['test/fixtures/build/args-env.wasm', '--env', 'GREETING=hi there', '--', 'one', 'two']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'args: test/fixtures/build/args-env.wasm one two\nGREETING=hi there\n');
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
