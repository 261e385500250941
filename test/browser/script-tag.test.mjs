// The script-tag build (dist/wasip3-web.iife.js, built by npm test) on a plain HTML page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../../scripts/lib/browser.mjs';

test('a page with only <script src> runs a component', async () => {
  const s = await openPage('/test/pages/script-tag.html');
  try {
    await s.page.waitForFunction(() => document.body.dataset.exitCode || document.body.dataset.error, null, { timeout: 30000 });
    assert.equal(await s.page.evaluate(() => document.body.dataset.error ?? null), null);
    assert.equal(await s.page.evaluate(() => document.body.dataset.exitCode), '0');
    assert.equal(await s.page.textContent('#out'), 'hello from a WASI 0.3 component\n');
  } finally {
    await s.close();
  }
});
