// Shared by the test, conformance and bench scripts: a Vite dev server over the repo and a
// headless Debian Chromium driven by playwright-core.
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import { chromiumArgs as cliChromiumArgs } from '../../bin/chromium.mjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The Chromium to drive: WASIP3WEB_CHROMIUM, else Debian's. */
export function chromiumPath() {
  const p = process.env.WASIP3WEB_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(p)) {
    throw new Error(`No Chromium at ${p}. Install Debian's (apt-get install chromium) or set WASIP3WEB_CHROMIUM.`);
  }
  return p;
}

/** The flags every Chromium the tests launch: the CLI's (bin/chromium.mjs), and JSPI. */
export const chromiumArgs = [...cliChromiumArgs, '--js-flags=--experimental-wasm-jspi'];

/** Launch headless Chromium with those flags. */
export async function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumArgs });
}

/** The built library (dist/) served as a deployment serves versioned assets, cacheable,
 * rather than with the dev server's no-cache, which has every new worker revalidate its
 * script (measured with the built worker: see the load and stdout figures). */
const servingDist = {
  name: 'wasip3-web-dist',
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      const path = (req.url ?? '').split('?')[0];
      if (!path.startsWith('/dist/') || !path.endsWith('.js') || !existsSync(join(root, path))) return next();
      res.setHeader('Content-Type', 'text/javascript');
      res.setHeader('Cache-Control', 'max-age=3600');
      res.end(readFileSync(join(root, path)));
    });
  },
};

/** A loopback body for the benchmarks (http-body): GET /__bench/bytes/N answers N MiB, written
 * 1 MiB at a time as the socket takes it; byte i is i mod 251, as the http-bytes fixture's. */
const benchBytes = {
  name: 'wasip3-web-bench-bytes',
  configureServer(server) {
    const mib = Buffer.alloc((1 << 20) + 251);
    for (let i = 0; i < mib.length; i++) mib[i] = i % 251;
    server.middlewares.use((req, res, next) => {
      const m = /^\/__bench\/bytes\/(\d+)$/.exec((req.url ?? '').split('?')[0]);
      if (!m) return next();
      const total = Number(m[1]) << 20;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total), 'cache-control': 'no-store' });
      let sent = 0;
      const more = () => {
        while (sent < total) {
          const k = sent % 251;
          sent += 1 << 20;
          if (!res.write(mib.subarray(k, k + (1 << 20)))) { res.once('drain', more); return; }
        }
        res.end();
      };
      more();
    });
  },
};

/** Under a dev server the page API is TypeScript source, and its worker URL
 * (`new URL('./component-worker.js', import.meta.url)` in src/index.ts, which is
 * dist/component-worker.js once built) names the worker's source instead; likewise its
 * Service Worker's (service-worker.js). */
export const devWorker = {
  name: 'wasip3-web-dev-worker',
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      const [path, query = ''] = (req.url ?? '').split('?');
      // The Service Worker (serveFromServiceWorker): a registration may not follow a redirect,
      // so it is served in place; any scope on this server may be its.
      if (path === '/src/service-worker.js' || path === '/workers/service-worker.ts') {
        req.url = `/workers/service-worker.ts${query ? `?${query}` : ''}`;
        res.setHeader('Service-Worker-Allowed', '/');
        return next();
      }
      if (path !== '/src/component-worker.js') return next();
      res.statusCode = 302;
      res.setHeader('Location', `/workers/component-worker.ts${query ? `?${query}` : ''}`);
      res.end();
    });
  },
};

/** A page whose URL has `coi` in its query (`/test/pages/blank.html?coi`) is served
 * crossOriginIsolated (COOP same-origin, COEP require-corp), and so are the worker scripts it
 * starts (their Referer is that page), so SharedArrayBuffer rings can be tested beside ports. */
const isolating = {
  name: 'wasip3-web-isolating',
  configureServer(server) {
    server.middlewares.use((req, res, next) => {
      const coi = (u) => /[?&]coi(=|&|$)/.test(u ?? '');
      if (coi(req.url) || coi(req.headers.referer)) {
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      }
      next();
    });
  },
};

/** Start a Vite dev server over the repo root on a free loopback port. */
export async function startServer() {
  const server = await createServer({
    root, configFile: false, logLevel: 'error',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
    plugins: [isolating, servingDist, devWorker, benchBytes],
  });
  await server.listen();
  const addr = server.httpServer.address();
  return { server, url: `http://127.0.0.1:${addr.port}` };
}

/** A server, a browser and a page, torn down together by close(). */
export async function openPage(path = '/test/pages/blank.html') {
  const { server, url } = await startServer();
  const browser = await launchBrowser();
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(url + path);
  return { page, browser, server, url, async close() { await browser.close(); await server.close(); } };
}

/** MessagePorts alive in each dedicated worker after a garbage collection (CDP's
 * Runtime.queryObjects on MessagePort.prototype, in each worker's own session). */
export async function portsAlive(browser) {
  const cdp = await browser.newBrowserCDPSession();
  let id = 0;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  const send = (sessionId, method, params = {}) => new Promise((resolve, reject) => {
    const i = ++id;
    waiting.set(i, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method, params }) });
  });
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const counts = [];
    for (const w of targetInfos.filter((t) => t.type === 'worker')) {
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: w.targetId, flatten: false });
      await send(sessionId, 'HeapProfiler.collectGarbage');
      const proto = await send(sessionId, 'Runtime.evaluate', { expression: 'MessagePort.prototype' });
      const { objects } = await send(sessionId, 'Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
      const n = await send(sessionId, 'Runtime.callFunctionOn', { objectId: objects.objectId, functionDeclaration: 'function () { return this.length; }', returnByValue: true });
      counts.push(n.result.value);
    }
    return counts;
  } finally { await cdp.detach(); }
}
