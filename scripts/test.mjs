#!/usr/bin/env node
// npm test: set-up check, fixtures, type check, then every test (node's test runner): unit tests
// of pure logic in node, and browser tests (Workers, streams, the spec's conformance suite) in
// Chromium through Playwright.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/browser.mjs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit', cwd: root });
run('bash', ['scripts/setup.sh']);
run(process.execPath, ['scripts/build-fixtures.mjs']);
run(process.execPath, ['scripts/build.mjs']);
run(process.execPath, ['scripts/size.mjs']); // the script tag and its worker within the gzip budget
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.']);
const tests = ['test/unit', 'test/browser'].flatMap((d) => readdirSync(join(root, d)).filter((f) => /\.test\.(ts|mjs)$/.test(f)).map((f) => `${d}/${f}`));
try {
  run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...tests]);
} catch {
  process.exit(1);
}
