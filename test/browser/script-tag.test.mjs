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

test('the script served from a CDN-like second origin: its worker loads through a same-origin blob', { timeout: 60000 }, async () => {
  const { createServer } = await import('node:http');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { root } = await import('../../scripts/lib/browser.mjs');
  // The "CDN": another port is another origin; it serves dist/ with CORS headers, as CDNs do.
  const cdn = createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.slice(1);
    if (!/^[\w.-]+\.js$/.test(name)) { res.writeHead(404).end(); return; }
    try {
      res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' }).end(readFileSync(join(root, 'dist', name)));
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => cdn.listen(0, '127.0.0.1', r));
  const s = await openPage('/test/pages/blank.html');
  try {
    const cdnUrl = `http://localhost:${cdn.address().port}/wasip3-web.iife.js`; // localhost, not 127.0.0.1: another origin
    const r = await s.page.evaluate(async (src) => {
      await new Promise((ok, fail) => { const el = document.createElement('script'); el.src = src; el.onload = ok; el.onerror = fail; document.head.append(el); });
      let text = '';
      const h = await WasiP3Web.loadComponent('/test/fixtures/build/hello.wasm', { stdout: (c) => { text += new TextDecoder().decode(c); } });
      const { exitCode } = await h.run();
      h.terminate();
      return { exitCode, text, origin: new URL(src).origin !== location.origin };
    }, cdnUrl);
    assert.deepEqual(r, { exitCode: 0, text: 'hello from a WASI 0.3 component\n', origin: true });
  } finally {
    await s.close();
    cdn.close();
  }
});
