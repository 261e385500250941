// The CLI's HTTP: `wasip3-web serve` (a Node server on the host whose requests go into the page's
// handle.fetch, and whose responses come back as the component writes them) and
// --inherit-network (the component's outgoing requests, sent by Node rather than the page's
// fetch(): any origin, no CORS, request and response trailers).
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Where the page sends outgoing requests under --inherit-network (the grant's proxy). */
export const PROXY_PATH = '/__wasip3/http';
const BODY_PATH = '/__wasip3/body/';

/** Requests being served: id -> { req, res, head }. */
const inflight = new Map();
let nextId = 1;

/** Handle the CLI's own routes on its page server; false for others. */
export function httpRoutes(req, res, network) {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === PROXY_PATH && req.method === 'POST') {
    if (!network) { res.writeHead(403).end('--inherit-network was not given'); return true; }
    void proxy(req, res);
    return true;
  }
  if (path.startsWith(BODY_PATH)) {
    // A served request's body, streamed to the page as it arrives.
    const r = inflight.get(Number(path.slice(BODY_PATH.length)));
    if (!r) { res.writeHead(404).end(); return true; }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    r.req.pipe(res);
    return true;
  }
  return false;
}

// The proxy's answer is a stream of frames, [kind u8][length u32 BE][payload]: 1 the head (JSON:
// status, headers), 2 body bytes, 3 trailers (JSON pairs), 4 an error (JSON: code, message).
// See src/host/http/client.ts.
function framer(res) {
  return (kind, payload) => {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const h = Buffer.alloc(5);
    h[0] = kind;
    h.writeUInt32BE(data.length, 1);
    res.write(h);
    return res.write(data);
  };
}

const pairsOf = (raw) => {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
};

async function proxy(req, res) {
  let head;
  try {
    head = JSON.parse(Buffer.from(req.headers['x-wasip3-http'] ?? '', 'base64').toString('utf8'));
  } catch {
    res.writeHead(400).end('bad x-wasip3-http');
    return;
  }
  const parts = [];
  for await (const c of req) parts.push(c);
  const body = Buffer.concat(parts);
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const frame = framer(res);
  let done = false;
  const fail = (code, message) => {
    if (done) return;
    done = true;
    frame(4, JSON.stringify({ code: code ?? 'EUNKNOWN', message: String(message) }));
    res.end();
  };
  let url;
  try { url = new URL(head.url); } catch (e) { fail('ERR_INVALID_URL', e.message); return; }
  const headers = {};
  for (const [k, v] of head.headers) (headers[k] ??= []).push(v);
  if (head.trailers) {
    // Trailers need chunked framing, which excludes a content-length.
    delete headers['content-length'];
    headers['transfer-encoding'] = ['chunked'];
  }
  let out;
  const timers = [];
  const timer = (ms, code) => {
    if (ms === undefined || ms === null) return null;
    const t = setTimeout(() => { out?.destroy(Object.assign(new Error(code), { code })); }, ms);
    timers.push(t);
    return t;
  };
  try {
    out = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: head.method, headers, agent: false });
  } catch (e) {
    fail(e.code ?? 'ERR_INVALID_URL', e.message);
    return;
  }
  const connect = timer(head.connectMs, 'ECONNECT_TIMEOUT');
  out.on('socket', (s) => s.once('connect', () => clearTimeout(connect)));
  out.on('error', (e) => fail(e.code, e.message));
  out.on('response', (r) => {
    timers.forEach(clearTimeout);
    frame(1, JSON.stringify({ status: r.statusCode, headers: pairsOf(r.rawHeaders) }));
    let between = null;
    const arm = () => { clearTimeout(between); between = head.betweenMs != null ? setTimeout(() => r.destroy(Object.assign(new Error('between-bytes timeout'), { code: 'EBETWEEN_BYTES_TIMEOUT' })), head.betweenMs) : null; };
    arm();
    r.on('data', (c) => {
      arm();
      if (!frame(2, c)) { r.pause(); res.once('drain', () => r.resume()); }
    });
    r.on('end', () => {
      clearTimeout(between);
      if (done) return;
      done = true;
      frame(3, JSON.stringify(pairsOf(r.rawTrailers)));
      res.end();
    });
    r.on('error', (e) => { clearTimeout(between); fail(e.code ?? 'ECONNRESET', e.message); });
    r.on('aborted', () => fail('ECONNRESET', 'the response broke off'));
  });
  // The page went away: so does the request.
  res.on('close', () => { if (!done) out.destroy(); });
  out.once('finish', () => timer(head.firstByteMs, 'EFIRST_BYTE_TIMEOUT'));
  if (body.length) out.write(body);
  if (head.trailers?.length) out.addTrailers(head.trailers);
  out.end();
}

/** --inherit-network: every component this page loads sends its outgoing HTTP through Node. */
export async function inheritNetwork(page) {
  await page.evaluate((proxy) => {
    const load = WasiP3Web.loadComponent;
    WasiP3Web.loadComponent = (src, o = {}) => load(src, { http: { origins: '*', proxy }, ...o });
  }, PROXY_PATH);
}

/** serve: load the component in the page, answer HTTP on addr with its handler; resolves with
 * the exit code once a signal has stopped it (0) or it failed to load (1). */
export async function serveHttp(page, addr, load) {
  await page.exposeFunction('__wasip3Head', (id, status, headers) => {
    const r = inflight.get(id);
    if (!r) return;
    r.head = true;
    const h = {};
    for (const [k, v] of headers) (h[k] ??= []).push(v);
    r.res.writeHead(status, h);
  });
  await page.exposeFunction('__wasip3Chunk', (id, b64) => new Promise((resolve) => {
    const r = inflight.get(id);
    if (!r || r.res.destroyed) { resolve(false); return; }
    if (r.res.write(Buffer.from(b64, 'base64'))) resolve(true); else r.res.once('drain', () => resolve(true));
  }));
  await page.exposeFunction('__wasip3End', (id, error) => {
    const r = inflight.get(id);
    if (!r) return;
    inflight.delete(id);
    if (error) {
      process.stderr.write(`wasip3-web: ${error}\n`);
      if (!r.head) r.res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error}\n`);
      else r.res.destroy();
    } else r.res.end();
    r.settled();
  });
  const loaded = await page.evaluate(async (opts) => {
    try {
      const b64 = (c) => { let s = ''; for (let i = 0; i < c.length; i += 8192) s += String.fromCharCode(...c.subarray(i, i + 8192)); return btoa(s); };
      const sink = (f) => WasiP3Web.borrow((c) => f(b64(c)));
      globalThis.__handle = await WasiP3Web.loadComponent('/component.wasm', { ...opts, stdout: sink(globalThis.__wasip3Stdout), stderr: sink(globalThis.__wasip3Stderr) });
      globalThis.__serve = async (id, method, url, headers, hasBody) => {
        try {
          const body = hasBody ? (await fetch(`/__wasip3/body/${id}`)).body : null;
          const res = await globalThis.__handle.fetch(new Request(url, { method, headers, body, duplex: 'half' }));
          await globalThis.__wasip3Head(id, res.status, [...res.headers]);
          if (res.body) {
            const reader = res.body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              if (!(await globalThis.__wasip3Chunk(id, b64(value)))) { await reader.cancel(); break; }
            }
          }
          await globalThis.__wasip3End(id, null);
        } catch (e) {
          await globalThis.__wasip3End(id, `${e.name}: ${e.message}`);
        }
      };
      return null;
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  }, load);
  if (loaded) { process.stderr.write(`wasip3-web: ${loaded}\n`); return 1; }

  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const server = createServer((req, res) => {
    const id = nextId++;
    let settled;
    const done = new Promise((r) => { settled = r; });
    inflight.set(id, { req, res, head: false, settled });
    pending.add(done);
    void done.then(() => pending.delete(done));
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && (req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined);
    const url = `http://${req.headers.host ?? `${host}:${port}`}${req.url}`;
    const headers = pairsOf(req.rawHeaders);
    page.evaluate(([id, m, u, h, b]) => { void globalThis.__serve(id, m, u, h, b); }, [id, req.method, url, headers, hasBody]).catch((e) => {
      if (!res.headersSent) res.writeHead(502).end(String(e));
      inflight.delete(id);
      settled();
    });
  });
  const pending = new Set();
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const a = server.address();
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  process.stderr.write(`Serving HTTP on http://${shown}:${a.port}/\n`);
  await new Promise((resolve) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // Stop accepting; answer what is in flight; then end.
  server.close();
  server.closeIdleConnections?.();
  await Promise.all([...pending]);
  await page.evaluate(() => globalThis.__handle?.terminate()).catch(() => {});
  return 0;
}
