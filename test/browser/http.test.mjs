// wasi:http@0.3.0 and @0.2 end to end in Chromium: the C test components (http-get.c and
// http-p2-get.c, clients; http-echo.c and http-p2-echo.c, exported handlers) in real workers,
// against a loopback server this test starts (with the CORS headers a page's fetch() needs).
// Nothing leaves the machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startServer } from '../../scripts/lib/browser.mjs';

let server, url, browser, page, api, apiAuthority;

const CORS = {
  'access-control-allow-origin': '*', 'access-control-allow-headers': '*',
  'access-control-allow-methods': '*', 'access-control-expose-headers': '*',
};
/** n bytes, byte i being i mod 251. */
const pattern = (n, from = 0) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (from + i) % 251; return b; };
const fnv = (buf) => { let h = 2166136261; for (const x of buf) h = Math.imul(h ^ x, 16777619) >>> 0; return h.toString(16); };

before(async () => {
  ({ server, url } = await startServer());
  api = createServer(async (req, res) => {
    if (req.method === 'OPTIONS') { res.writeHead(204, CORS).end(); return; }
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/hello') { res.writeHead(200, { ...CORS, 'content-type': 'text/plain', 'x-test': 'yes' }).end('hello world'); return; }
    if (u.pathname === '/big') {
      // Streamed in 64 KiB writes, each after the previous drained.
      const n = Number(u.searchParams.get('n'));
      res.writeHead(200, { ...CORS, 'content-length': String(n) });
      for (let o = 0; o < n; o += 65536) {
        if (!res.write(pattern(Math.min(65536, n - o), o))) await new Promise((r) => res.once('drain', r));
      }
      res.end();
      return;
    }
    if (u.pathname === '/echo') {
      const parts = [];
      for await (const c of req) parts.push(c);
      res.writeHead(200, { ...CORS, 'x-method': req.method }).end(Buffer.concat(parts));
      return;
    }
    if (u.pathname === '/broken') {
      // 1000 bytes of a promised 100000, then the connection is cut.
      res.writeHead(200, { ...CORS, 'content-length': '100000' });
      res.write(pattern(1000), () => setTimeout(() => res.destroy(), 200));
      return;
    }
    if (u.pathname === '/slow') { setTimeout(() => res.writeHead(200, CORS).end('late'), 3000); return; }
    res.writeHead(404, CORS).end();
  });
  await new Promise((r) => api.listen(0, '127.0.0.1', r));
  apiAuthority = `127.0.0.1:${api.address().port}`;
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${url}/test/pages/blank.html`);
});
after(async () => { await browser?.close(); await server?.close(); api?.closeAllConnections(); api?.close(); });

/** In the page: load a fixture with options, run `script(exports, handle, arg)`, terminate it. */
function inPage(name, options, script, arg) {
  return page.evaluate(async ({ name, options, script, arg }) => {
    const lib = await import('/src/index.ts');
    const h = await lib.loadComponent(`/test/fixtures/build/${name}.wasm`, options);
    try {
      // eslint-disable-next-line no-new-func
      return await new Function('exports', 'handle', 'arg', `return (${script})(exports, handle, arg);`)(h.exports, h, arg);
    } finally {
      h.terminate();
    }
  }, { name, options, script: script.toString(), arg });
}

const get = (options, authority, path, { body = [], firstByteMs = 0, fixture = 'http-get' } = {}) =>
  inPage(fixture, options, (x, _h, a) => x.get(a.authority, a.path, new Uint8Array(a.body), a.firstByteMs), { authority, path, body, firstByteMs });
const get2 = (options, authority, path, o = {}) => get(options, authority, path, { ...o, fixture: 'http-p2-get' });

// error-code cases by index, as the WIT lists them.
const DENIED = 'error send 15';

test('nothing is granted by default; other origins are HTTP-request-denied; a granted origin answers', async () => {
  assert.equal(await get({}, apiAuthority, '/hello'), DENIED);
  assert.equal(await get({ http: { origins: ['http://127.0.0.1:1'] } }, apiAuthority, '/hello'), DENIED);
  const ok = await get({ http: { origins: [`http://${apiAuthority}`] } }, apiAuthority, '/hello');
  assert.equal(ok, `status 200 bytes 11 fnv ${fnv(Buffer.from('hello world'))} first hello world`);
  assert.match(await get({ http: { origins: '*' } }, apiAuthority, '/nowhere'), /^status 404 bytes 0 /);
});

test('a grant that is not an origin is refused on the page', async () => {
  const e = await page.evaluate(async () => {
    const lib = await import('/src/index.ts');
    return lib.loadComponent('/test/fixtures/build/http-get.wasm', { http: { origins: ['not a url'] } }).then(() => 'loaded', (e) => `${e.name}: ${e.message}`);
  });
  assert.match(e, /^GrantError: http.origins: "not a url" is not an origin/);
});

test('a 16 MiB response body streams into the component (every byte, in order)', async () => {
  const n = 16 << 20;
  const r = await get({ http: { origins: '*' } }, apiAuthority, `/big?n=${n}`);
  assert.equal(r, `status 200 bytes ${n} fnv ${fnv(pattern(n))} first ${pattern(32).toString('latin1')}`);
});

test('a request body the component streams reaches the server', async () => {
  const body = [...pattern(30000)];
  const r = await get({ http: { origins: '*' } }, apiAuthority, '/echo', { body });
  assert.equal(r.replace(/ first [\s\S]*$/, ''), `status 200 bytes 30000 fnv ${fnv(Buffer.from(body))}`);
});

test('refused connections, bad ports and ports the browser blocks become error-codes', async () => {
  const closed = createNetServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const any = { http: { origins: '*' } };
  assert.equal(await get(any, `127.0.0.1:${port}`, '/'), 'error send 6'); // connection-refused
  assert.equal(await get(any, '127.0.0.1:99999', '/'), 'error send 19'); // HTTP-request-URI-invalid
  assert.equal(await get(any, '127.0.0.1:6000', '/'), DENIED); // a port fetch() refuses
});

test('a first-byte timeout aborts the request: HTTP-response-timeout', async () => {
  const t0 = Date.now();
  assert.equal(await get({ http: { origins: '*' } }, apiAuthority, '/slow', { firstByteMs: 300 }), 'error send 33');
  assert.ok(Date.now() - t0 < 2900, 'the request was not aborted at the timeout');
});

/** In the page, through an echo handler `h`: a GET, then `total` bytes POSTed that stream both
 * ways (its source is sent to the page: it may use nothing outside itself). */
async function bothWays(h, total) {
    const get = await h.fetch(new Request('http://component.test/anything'));
    const got = { status: get.status, method: get.headers.get('x-echo-method'), body: await get.text() };
    // The request body is made lazily: after its first 1 MiB it waits until the response's
    // first bytes have come back, which they cannot if anything on the way buffers it whole.
    const chunk = 1 << 20;
    let sent = 0;
    let firstBack;
    const backYet = new Promise((r) => { firstBack = r; });
    const body = new ReadableStream({
      async pull(c) {
        if (sent === chunk) await backYet;
        if (sent >= total) { c.close(); return; }
        const b = new Uint8Array(chunk);
        for (let i = 0; i < chunk; i += 4096) b[i] = (sent + i) % 251;
        c.enqueue(b);
        sent += chunk;
      },
    });
    const res = await h.fetch(new Request('http://component.test/echo', { method: 'POST', body, duplex: 'half' }));
    const reader = res.body.getReader();
    let n = 0;
    let sum = 0;
    let sentAtFirst = -1;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (sentAtFirst < 0) { sentAtFirst = sent; firstBack(); }
      for (let i = 0; i < value.length; i++) sum = (sum + value[i]) % 1000000007;
      n += value.length;
    }
    let want = 0;
    for (let o = 0; o < total; o += chunk) for (let i = 0; i < chunk; i += 4096) want = (want + (o + i) % 251) % 1000000007;
    return { got, status: res.status, method: res.headers.get('x-echo-method'), middleware: res.headers.get('x-middleware'), n, sum, want, sentAtFirst };
}

/** bothWays on a fixture of its own. */
const echoBothWays = (fixture, total) => inPage(fixture, {}, `(_x, h, total) => (${bothWays})(h, total)`, total);

test('handle.fetch: a GET gets the handler response; a 64 MiB body streams through it both ways', async () => {
  const r = await echoBothWays('http-echo', 64 << 20);
  assert.deepEqual(r.got, { status: 200, method: 'GET', body: '' });
  assert.equal(r.status, 200);
  assert.equal(r.method, 'POST');
  assert.equal(r.n, 64 << 20);
  assert.equal(r.sum, r.want);
  assert.ok(r.sentAtFirst < 64 << 20, `the response began only after the whole request body (${r.sentAtFirst} bytes) was made`);
});

test('handle.fetch: bodies that are all there at once cross whole up to 64 KiB and on a byte port past it, every byte in order; an echo of no body has none, of an empty one an empty one; a response written after handle returns streams (http-bytes)', async () => {
  const sizes = [0, 1, 65535, 65536, 65537, 200000];
  const r = await inPage('http-echo', {}, async (_x, h, sizes) => {
    const out = [];
    // A GET has no body (null), as a JS echo's `new Response(request.body)` would have; a POST
    // of nothing has an empty one.
    for (const req of [new Request('http://component.test/'), new Request('http://component.test/', { method: 'POST', body: '' })]) {
      const res = await h.fetch(req);
      out.push({ method: res.headers.get('x-echo-method'), body: res.body === null ? null : await res.text() });
    }
    for (const n of sizes) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = i % 251;
      const res = await h.fetch(new Request('http://component.test/echo', { method: 'POST', body: b }));
      const got = new Uint8Array(await res.arrayBuffer());
      let bad = -1;
      for (let i = 0; i < got.length; i++) if (got[i] !== i % 251) { bad = i; break; }
      out.push({ n: got.length, bad, method: res.headers.get('x-echo-method') });
    }
    return out;
  }, sizes);
  assert.deepEqual(r, [{ method: 'GET', body: null }, { method: 'POST', body: '' }, ...sizes.map((n) => ({ n, bad: -1, method: 'POST' }))]);
  const big = await inPage('http-bytes', {}, async (_x, h) => {
    const res = await h.fetch(new Request('http://component.test/3'));
    const reader = res.body.getReader();
    let n = 0; let bad = -1;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = 0; i < value.length && bad < 0; i++) if (value[i] !== (n + i) % 251) bad = n + i;
      n += value.length;
    }
    return { status: res.status, n, bad };
  });
  assert.deepEqual(big, { status: 200, n: 3 << 20, bad: -1 });
});

test('handle.fetch on a component without an exported handler rejects, naming what it exports', async () => {
  const e = await inPage('http-get', {}, (_x, h) => h.fetch(new Request('http://component.test/')).then(() => 'answered', (e) => e.message));
  assert.match(e, /exports no wasi:http\/handler@0\.3\.x nor wasi:http\/incoming-handler@0\.2\.x; its exports: get/);
});

// wasi:http@0.2 on the same client and handler paths (http-p2-get.c, http-p2-echo.c).

test('0.2: nothing is granted by default; other origins are HTTP-request-denied; a granted origin answers', async () => {
  assert.equal(await get2({}, apiAuthority, '/hello'), DENIED);
  assert.equal(await get2({ http: { origins: ['http://127.0.0.1:1'] } }, apiAuthority, '/hello'), DENIED);
  // A refused request with a body: the guest's writes see the stream closed, and the error is the future's.
  assert.equal(await get2({ http: { origins: ['http://127.0.0.1:1'] } }, apiAuthority, '/echo', { body: [...pattern(3 << 20)] }), DENIED);
  const ok = await get2({ http: { origins: [`http://${apiAuthority}`] } }, apiAuthority, '/hello');
  assert.equal(ok, `status 200 bytes 11 fnv ${fnv(Buffer.from('hello world'))} first hello world`);
  assert.match(await get2({ http: { origins: '*' } }, apiAuthority, '/nowhere'), /^status 404 bytes 0 /);
});

test('0.2: a 16 MiB response body streams into the input-stream (every byte, in order)', async () => {
  const n = 16 << 20;
  const r = await get2({ http: { origins: '*' } }, apiAuthority, `/big?n=${n}`);
  assert.equal(r, `status 200 bytes ${n} fnv ${fnv(pattern(n))} first ${pattern(32).toString('latin1')}`);
});

test('0.2: a request body written to the outgoing-body reaches the server', async () => {
  const body = [...pattern(30000)];
  const r = await get2({ http: { origins: '*' } }, apiAuthority, '/echo', { body });
  assert.equal(r.replace(/ first [\s\S]*$/, ''), `status 200 bytes 30000 fnv ${fnv(Buffer.from(body))}`);
});

test('0.2: refused connections and bad ports become error-codes', async () => {
  const closed = createNetServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const any = { http: { origins: '*' } };
  assert.equal(await get2(any, `127.0.0.1:${port}`, '/'), 'error send 6'); // connection-refused
  assert.equal(await get2(any, '127.0.0.1:6000', '/'), DENIED); // a port fetch() refuses
});

test('0.2: a first-byte timeout in request-options aborts the request: HTTP-response-timeout', async () => {
  const t0 = Date.now();
  assert.equal(await get2({ http: { origins: '*' } }, apiAuthority, '/slow', { firstByteMs: 300 }), 'error send 33');
  assert.ok(Date.now() - t0 < 2900, 'the request was not aborted at the timeout');
});

test('0.2: handle.fetch serves an exported incoming-handler; a 16 MiB body streams through it both ways', async () => {
  const total = 16 << 20;
  const r = await echoBothWays('http-p2-echo', total);
  assert.deepEqual(r.got, { status: 200, method: 'GET', body: '' });
  assert.equal(r.status, 200);
  assert.equal(r.method, 'POST');
  assert.equal(r.n, total);
  assert.equal(r.sum, r.want);
  assert.ok(r.sentAtFirst < total, `the response began only after the whole request body (${r.sentAtFirst} bytes) was made`);
});

test('0.2: wasip3-web serve answers HTTP with an exported incoming-handler, the body both ways', { timeout: 120000 }, async () => {
  const bin = fileURLToPath(new URL('../../bin/wasip3-web.mjs', import.meta.url));
  const wasm = fileURLToPath(new URL('../fixtures/build/http-p2-echo.wasm', import.meta.url));
  const proc = spawn(process.execPath, [bin, 'serve', '--addr', '127.0.0.1:0', wasm], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let err = '';
    const at = await new Promise((resolve, reject) => {
      proc.stderr.on('data', (c) => { err += c; const m = /Serving HTTP on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]); });
      proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const body = pattern(3 << 20);
    const res = await fetch(new URL('/post', at), { method: 'PUT', body });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-echo-method'), 'PUT');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(body), 'the body came back as sent');
  } finally {
    proc.kill('SIGTERM');
  }
});

test('a response body cut off midway: 0.3 sees its trailers fail, 0.2 its stream fail (last-operation-failed), both with HTTP-response-incomplete', async () => {
  const any = { http: { origins: '*' } };
  const want = `error body 25 status 200 bytes 1000 fnv ${fnv(pattern(1000))} first ${pattern(32).toString('latin1')}`;
  assert.equal(await get(any, apiAuthority, '/broken'), want);
  assert.equal(await get2(any, apiAuthority, '/broken'), want);
});

test('the middleware world: an imported handler wired to another component\'s export; bodies stream worker to worker; a gone handler is an error-code', async () => {
  const r = await page.evaluate(async (bothWaysSrc) => {
    const lib = await import('/src/index.ts');
    const echo = await lib.loadComponent('/test/fixtures/build/http-echo.wasm');
    const mw = await lib.loadComponent('/test/fixtures/build/http-middleware.wasm', { http: { handler: echo } });
    try {
      const post = await new Function(`return (${bothWaysSrc})`)()(mw, 16 << 20);
      const got = { ...post.got, middleware: (await mw.fetch(new Request('http://component.test/anything'))).headers.get('x-middleware') };
      // The wired handler's worker ends: the next request's handler import gets an error-code.
      echo.terminate();
      await new Promise((res) => setTimeout(res, 300)); // terminate() gives the worker 250 ms to dispose
      const t0 = performance.now();
      const after = await mw.fetch(new Request('http://component.test/after'));
      const gone = { status: after.status, text: await after.text(), ms: performance.now() - t0 };
      // Nothing wired and nothing granted: the import sends on as the client does, and is denied.
      const lone = await lib.loadComponent('/test/fixtures/build/http-middleware.wasm');
      const unwired = await (await lone.fetch(new Request('http://component.test/'))).text();
      lone.terminate();
      const notHandle = await lib.loadComponent('/test/fixtures/build/http-middleware.wasm', { http: { handler: { fetch: () => null } } }).then(() => 'loaded', (e) => `${e.name}: ${e.message}`);
      return { got, post, gone, unwired, notHandle };
    } finally {
      mw.terminate();
      echo.terminate();
    }
  }, bothWays.toString());
  assert.deepEqual(r.got, { status: 200, middleware: 'seen', method: 'GET', body: '' });
  assert.equal(r.post.status, 200);
  assert.equal(r.post.middleware, 'seen');
  assert.equal(r.post.method, 'POST');
  assert.equal(r.post.n, 16 << 20);
  assert.equal(r.post.sum, r.post.want);
  assert.ok(r.post.sentAtFirst < 16 << 20, `the response began only after the whole request body (${r.post.sentAtFirst} bytes) was made`);
  assert.equal(r.gone.status, 500);
  assert.match(r.gone.text, /internal-error: next handler: error 7\b/); // connection-terminated
  assert.match(r.unwired, /internal-error: next handler: error 15\b/); // HTTP-request-denied
  assert.match(r.notHandle, /^GrantError: http\.handler must be a component handle from loadComponent/);
});

test('a 0.3 middleware in front of a 0.2 incoming-handler: the handler port serves either generation', async () => {
  const r = await page.evaluate(async () => {
    const lib = await import('/src/index.ts');
    const echo = await lib.loadComponent('/test/fixtures/build/http-p2-echo.wasm');
    const mw = await lib.loadComponent('/test/fixtures/build/http-middleware.wasm', { http: { handler: echo } });
    try {
      const body = new Uint8Array(300000).map((_, i) => i % 251);
      const res = await mw.fetch(new Request('http://component.test/echo', { method: 'PUT', body }));
      const back = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, middleware: res.headers.get('x-middleware'), method: res.headers.get('x-echo-method'), same: back.length === body.length && back.every((b, i) => b === body[i]) };
    } finally {
      mw.terminate();
      echo.terminate();
    }
  });
  assert.deepEqual(r, { status: 200, middleware: 'seen', method: 'PUT', same: true });
});

test('a wired handler that traps: the middleware gets its error-code, and the trapped component is ended as for a trap in its own call', async () => {
  const r = await page.evaluate(async () => {
    const lib = await import('/src/index.ts');
    const events = [];
    const trapper = await lib.loadComponent('/test/fixtures/build/http-trap.wasm', { onEvent: (e) => events.push(e.type) });
    const mw = await lib.loadComponent('/test/fixtures/build/http-middleware.wasm', { http: { handler: trapper } });
    try {
      const res = await mw.fetch(new Request('http://component.test/'));
      const first = { status: res.status, text: await res.text() };
      const after = await trapper.fetch(new Request('http://component.test/')).then(() => 'answered', (e) => `${e.kind}: ${e.message}`);
      return { first, events, after };
    } finally {
      mw.terminate();
      trapper.terminate();
    }
  });
  assert.equal(r.first.status, 500);
  assert.match(r.first.text, /internal-error: next handler: error 38\b/); // the trap, as internal-error
  assert.deepEqual(r.events, ['handler-trap']);
  assert.match(r.after, /^(trap|terminated): /);
});

test('a handler that traps after its response went out (0.3: writing the body after handle returned; 0.2: after set): the body fails, the page is told, and the component is ended', { timeout: 30000 }, async () => {
  const r = await page.evaluate(async () => {
    const lib = await import('/src/index.ts');
    const trapAfter = async (fixture, req, next, answered = () => {}) => {
      const events = [];
      const h = await lib.loadComponent(`/test/fixtures/build/${fixture}.wasm`, { onEvent: (e) => events.push(`${e.type} ${e.export}`) });
      try {
        const res = await h.fetch(req);
        answered();
        const reader = res.body.getReader();
        let n = 0;
        const body = await (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return `ended after ${n}`;
            n += value.byteLength;
          }
        })().catch((e) => `failed after ${n}: ${e.message}`);
        const after = await h.fetch(next).then(() => 'answered', (e) => `${e.kind}: ${e.message}`);
        return { status: res.status, body, events, after };
      } finally {
        h.terminate();
      }
    };
    return [
      await trapAfter('http-bytes', new Request('http://component.test/1t'), new Request('http://component.test/1')),
      // The request body ends (and so the echo, and the trap) only once the response is here.
      await (async () => {
        let answered;
        const here = new Promise((r) => { answered = r; });
        const body = new ReadableStream({
          start(c) { c.enqueue(new Uint8Array(1000).fill(120)); },
          async pull(c) { await here; c.close(); },
        });
        const req = new Request('http://component.test/', { method: 'PATCH', body, duplex: 'half' });
        return trapAfter('http-p2-echo', req, new Request('http://component.test/'), answered);
      })(),
    ];
  });
  const exports = ['wasi:http/handler@0.3.0#handle', 'wasi:http/incoming-handler@0.2.12#handle'];
  r.forEach((x, i) => {
    assert.equal(x.status, 200);
    assert.match(x.body, /^failed after \d+: /);
    assert.deepEqual(x.events, [`handler-trap ${exports[i]}`]);
    assert.match(x.after, /^(trap|terminated): /);
  });
});

/** In `p`: serve http-echo from a Service Worker under /served/ (kept as globalThis.served). */
const serveEcho = (p) => p.evaluate(async () => {
  const lib = await import('/src/index.ts');
  globalThis.served = await lib.serveFromServiceWorker('/test/fixtures/build/http-echo.wasm', { scope: '/served/' });
  return globalThis.served.registration.scope;
});
/** In `p`: fetch a URL, giving status, x-echo-method and text. */
const fetchIn = (p, path, init) => p.evaluate(async ({ path, init }) => {
  const r = await fetch(path, init);
  return { status: r.status, method: r.headers.get('x-echo-method'), text: await r.text() };
}, { path, init });

test('serveFromServiceWorker: a navigation under the scope and a POST get the component\'s answers, after the Service Worker restarts too; its worker ended or no page open is a 503; close() unregisters', async () => {
  // A context of its own: its pages share the Service Worker, and no other page is open.
  const context = await browser.newContext();
  const holder = await context.newPage();
  await holder.goto(`${url}/test/pages/blank.html`);
  assert.equal(await serveEcho(holder), `${url}/served/`);
  let tab = await context.newPage();
  const nav = await tab.goto(`${url}/served/hello?x=1`);
  assert.equal(nav.status(), 200);
  assert.equal(nav.headers()['x-echo-method'], 'GET');
  assert.equal(await tab.evaluate(() => location.pathname + location.search), '/served/hello?x=1');
  // The navigated tab is controlled: its fetches under the scope go to the component too.
  const post = await tab.evaluate(async () => {
    const body = new Uint8Array(4 << 20);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const res = await fetch('/served/echo', { method: 'POST', body });
    const back = new Uint8Array(await res.arrayBuffer());
    let same = back.length === body.length;
    for (let i = 0; same && i < back.length; i++) same = back[i] === body[i];
    return { status: res.status, method: res.headers.get('x-echo-method'), n: back.length, same };
  });
  assert.deepEqual(post, { status: 200, method: 'POST', n: 4 << 20, same: true });
  // The browser stops the Service Worker (as it does an idle one): started again for the next
  // fetch, it has no port, asks the open pages, and the holder hands it a new one.
  const cdp = await context.newCDPSession(holder);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  assert.deepEqual(await fetchIn(tab, '/served/t', { method: 'PUT', body: 'hello from the page' }), { status: 200, method: 'PUT', text: 'hello from the page' });
  // The component's worker ends: no open page holds the component, and the answer says why.
  await holder.evaluate(() => globalThis.served.handle.terminate());
  const down = await fetchIn(tab, '/served/again');
  assert.equal(down.status, 503);
  assert.match(down.text, /none of the 2 open page\(s\) holds the component/);
  // No page of the origin open at all: a navigation gets the 503 that says so.
  await tab.close();
  await holder.close();
  tab = await context.newPage();
  const none = await tab.goto(`${url}/served/hello`);
  assert.equal(none.status(), 503);
  assert.match(await none.text(), /no page holding the component is open/);
  await tab.close();
  // Served again, then closed: the registration is gone, and the network answers.
  const again = await context.newPage();
  await again.goto(`${url}/test/pages/blank.html`);
  await serveEcho(again);
  assert.deepEqual(await fetchIn(again, '/served/x'), { status: 404, method: null, text: '' }); // not controlled: not its scope
  tab = await context.newPage();
  assert.equal((await tab.goto(`${url}/served/y`)).headers()['x-echo-method'], 'GET');
  await tab.close();
  await again.evaluate(() => globalThis.served.close());
  const fresh = await context.newPage();
  await fresh.goto(`${url}/test/pages/blank.html`);
  const later = await fresh.evaluate(async () => ({ registrations: (await navigator.serviceWorker.getRegistrations()).length }));
  assert.deepEqual(later, { registrations: 0 });
  assert.deepEqual(await fetchIn(fresh, '/served/hello'), { status: 404, method: null, text: '' });
  await context.close();
});
