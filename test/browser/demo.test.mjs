// The demo page (npm run demo), clicked through in Chromium as a person would: each part works,
// and a screenshot of each is kept under test-results/demo/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPage, root } from '../../scripts/lib/browser.mjs';

const shots = join(root, 'test-results/demo');
let s;
before(async () => {
  mkdirSync(shots, { recursive: true });
  s = await openPage('/demo/index.html');
  await s.page.setViewportSize({ width: 1280, height: 1000 });
  await s.page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
});
after(async () => { await s?.close(); });

const shot = (name) => s.page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
/** Pick an example, press Run, and wait for the run to end (an exit code or an error panel). */
async function run(example) {
  const { page } = s;
  await page.evaluate(() => { delete document.getElementById('out').dataset.exitCode; });
  if (example) {
    await page.selectOption('#example', example);
    await page.waitForFunction((id) => document.getElementById('status').textContent.startsWith(id.split('/').pop()), example, { timeout: 30_000 });
  }
  await page.click('#run');
  await page.waitForFunction(() => document.getElementById('out').dataset.exitCode !== undefined
    || document.getElementById('error').style.display === 'block', null, { timeout: 60_000 });
  return page.evaluate(() => ({
    exitCode: document.getElementById('out').dataset.exitCode ?? null,
    out: document.getElementById('out').textContent,
    error: document.getElementById('error').style.display === 'block' ? document.getElementById('error').dataset.kind : null,
    errorText: document.getElementById('error-text').textContent,
  }));
}

test('a built-in example: its imports and exports read from the binary, run with a progress bar, output streamed', async () => {
  const names = await s.page.evaluate(() => ({
    imports: [...document.querySelectorAll('#imports > li')].map((l) => l.firstChild.textContent),
    exports: [...document.querySelectorAll('#exports > li')].map((l) => l.firstChild.textContent),
  }));
  assert.deepEqual(names, { imports: ['wasi:cli/types@0.3.0', 'wasi:cli/stdout@0.3.0'], exports: ['wasi:cli/run@0.3.0'] });
  const r = await run();
  assert.deepEqual([r.exitCode, r.out, r.error], ['0', 'hello from a WASI 0.3 component\n', null]);
  assert.equal(await s.page.evaluate(() => document.getElementById('progress').value), 1);
  await shot('hello');
});

test('args, env and stdin reach the component; a component from the official suite runs', async () => {
  const echo = await run('echo');
  assert.deepEqual([echo.exitCode, echo.out], ['0', 'Type some text here; echo sends it back.\n']);
  const env = await run('suite/cli-env');
  assert.equal(env.exitCode, '0', env.out);
  await shot('suite-cli-env');
});

test('error panels: a trap, a missing import, a bad file', async () => {
  const trap = await run('trap');
  assert.equal(trap.error, 'trap');
  assert.match(trap.errorText, /unreachable/);
  await shot('error-trap');
  const missing = await run('needs-missing');
  assert.equal(missing.error, 'link');
  assert.match(missing.errorText, /test:fixtures\/not-provided/);
  await shot('error-missing-import');
  await s.page.setInputFiles('#file', { name: 'junk.wasm', mimeType: 'application/wasm', buffer: Buffer.from('not a component at all') });
  await s.page.waitForFunction(() => document.getElementById('error').style.display === 'block');
  assert.equal(await s.page.evaluate(() => document.getElementById('error').dataset.kind), 'malformed');
  await shot('error-bad-file');
});

test('a denied capability: a publisher without the messaging grant is refused by the interface, and the panel says so', async () => {
  const r = await run('msg-publisher');
  // The example checks the messaging switch; turn it off and run again.
  await s.page.uncheck('#grant-msg');
  const denied = await run();
  assert.notEqual(denied.exitCode, '0');
  assert.equal(denied.error, 'denied');
  assert.match(denied.errorText, /permission|denied/i);
  await shot('error-denied');
  assert.equal(r.exitCode, '0', JSON.stringify(r));
});

test('key-value inspector: the granted bucket, live, as a component and the page change it', async () => {
  await s.page.selectOption('#example', 'kv-counter');
  await s.page.waitForFunction(() => document.getElementById('status').textContent.startsWith('kv-counter'));
  await s.page.click('#run');
  await s.page.waitForFunction(() => globalThis.component);
  const said = await s.page.evaluate(() => globalThis.component.exports.count('demo', 'visits', 3));
  assert.match(String(said), /ok \d+/);
  await s.page.fill('#kv-key', 'greeting');
  await s.page.fill('#kv-value', 'hello from the page');
  await s.page.click('#kv-set');
  await s.page.waitForFunction(() => [...document.querySelectorAll('#kv-rows td')].some((t) => t.textContent === 'greeting'), null, { timeout: 10_000 });
  await s.page.waitForFunction(() => [...document.querySelectorAll('#kv-rows td')].some((t) => t.textContent === 'visits'), null, { timeout: 10_000 });
  await shot('keyvalue');
});

test('messages: a second tab runs an echo component; the page asks it and logs the reply', { timeout: 120_000 }, async () => {
  // Two tabs of one browser profile (BroadcastChannel spans the tabs of an origin).
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 1000 } });
  try {
    const [main, peer] = [await ctx.newPage(), await ctx.newPage()];
    await peer.goto(`${s.url}/demo/index.html?peer=echo`);
    await peer.waitForFunction(() => document.body.dataset.peer === 'ready', null, { timeout: 60_000 });
    await main.goto(`${s.url}/demo/index.html`);
    await main.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
    await main.click('button[data-tab="msg"]');
    await main.fill('#msg-data', 'ping');
    await main.click('#msg-ask');
    await main.waitForFunction(() => document.getElementById('msg-log').textContent.includes('reply: peer-tab:ping'), null, { timeout: 10_000 });
    // Two components talking across the tabs: a publisher here requests, the echo there replies.
    await main.selectOption('#example', 'msg-request');
    await main.waitForFunction(() => document.getElementById('status').textContent.startsWith('msg-publisher'));
    await main.click('#run');
    await main.waitForFunction(() => document.getElementById('out').dataset.exitCode !== undefined, null, { timeout: 30_000 });
    const out = await main.evaluate(() => document.getElementById('out').textContent);
    assert.match(out, /peer-tab:hello-from-a-component/);
    await main.waitForFunction(() => document.getElementById('msg-log').textContent.includes('demo.requests: hello-from-a-component'));
    await main.screenshot({ path: join(shots, 'messages.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test('files: the OPFS preopen, seeded from the page and listed', async () => {
  await s.page.check('#grant-fs');
  await s.page.click('button[data-tab="files"]');
  await s.page.fill('#fs-name', 'notes.txt');
  await s.page.fill('#fs-text', 'kept in OPFS');
  await s.page.click('#fs-write');
  await s.page.waitForFunction(() => document.getElementById('files').textContent.includes('notes.txt'));
  await s.page.click('#files li:has-text("notes.txt")');
  await s.page.waitForFunction(() => document.getElementById('file-view').textContent === 'kept in OPFS');
  await shot('files');
});

test('streaming pipeline: producer -> uppercaser in another worker -> page, with a throughput meter', { timeout: 120_000 }, async () => {
  await s.page.click('button[data-tab="pipeline"]');
  await s.page.fill('#pipe-mib', '8');
  await s.page.click('#pipe-run');
  await s.page.waitForFunction(() => document.getElementById('pipe-rate').dataset.bytes || document.getElementById('pipe-rate').textContent === 'failed', null, { timeout: 100_000 });
  assert.equal(await s.page.evaluate(() => document.getElementById('pipe-rate').dataset.bytes), String(8 << 20));
  assert.match(await s.page.textContent('#pipe-rate'), /\d+ MB\/s/);
  await shot('pipeline');
});
