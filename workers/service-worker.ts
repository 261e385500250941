// wasip3-web's Service Worker (serveFromServiceWorker in src/index.ts): answers every fetch
// under its scope, navigations too, with a component's exported wasi:http/handler. A Service
// Worker cannot start a dedicated worker (Chromium), and one that ran the component itself
// would lose its state whenever the browser stops it (DESIGN.md), so the component runs in a
// page's worker: the page hands this Service Worker a port on which that worker serves its
// handler (src/channel/handler-port.ts), and requests and their bodies go straight there.
// Having no live port (this worker was stopped and started again, or the component's worker
// ended), it asks every open window; the page that holds the component answers with a new one.
import { HandlerClient, HandlerGone, type HandlerResponse } from '../src/channel/handler-port.js';
import type { ServiceWorkerMessage } from '../src/channel/protocol.js';

// The Service Worker's globals (the project's lib is DOM's; these are what is used here).
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { readonly request: Request; respondWith(r: Promise<Response>): void }
interface WindowClient { postMessage(m: ServiceWorkerMessage): void }
interface ServiceWorkerScope {
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void>; matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', f: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', f: (e: FetchEvent) => void): void;
  addEventListener(type: 'message', f: (e: MessageEvent<ServiceWorkerMessage>) => void): void;
}
const sw = globalThis as unknown as ServiceWorkerScope;

/** How long the open windows have to answer with a port. */
const ASK_MS = 3000;
/** Statuses whose response has no body. */
const NO_BODY = new Set([101, 204, 205, 304]);

let handler: HandlerClient | null = null;
let waiting: ((h: HandlerClient | null) => void)[] = [];

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));
sw.addEventListener('message', (e) => {
  if (e.data?.type !== 'wasip3-http-handler') return;
  const h: HandlerClient = new HandlerClient(e.data.port, () => { if (handler === h) handler = null; });
  handler = h;
  for (const w of waiting) w(h);
  waiting = [];
});

/** Why there is no handler to ask (as a 503 says it). */
class NoHandler extends Error {}

/** A live handler: the one held, or one an open window hands over when asked. */
async function live(): Promise<HandlerClient> {
  if (handler && !handler.gone) return handler;
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (!windows.length) {
    throw new NoHandler('no page holding the component is open. wasip3-web runs the component in the worker of the page that called serveFromServiceWorker, and this Service Worker forwards requests to it: open that page.');
  }
  const got = new Promise<HandlerClient | null>((r) => { waiting.push(r); setTimeout(() => r(null), ASK_MS); });
  for (const c of windows) c.postMessage({ type: 'wasip3-http-connect', scope: sw.registration.scope });
  const h = await got;
  if (!h) throw new NoHandler(`none of the ${windows.length} open page(s) holds the component (its worker ended, or the page that started it was closed or navigated away).`);
  return h;
}

const text = (status: number, message: string) =>
  new Response(`${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-wasip3-web': 'service-worker' } });

async function answer(e: FetchEvent): Promise<Response> {
  const req = e.request;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  // Read before anything waits: the request's body is the Service Worker's to stream now.
  const body = hasBody ? (req.body ?? (await req.blob()).stream()) : null;
  const sreq = { method: req.method, url: req.url, headers: [...req.headers] as [string, string][], body };
  let r: HandlerResponse;
  try {
    try {
      r = await (await live()).fetch(sreq);
    } catch (err) {
      // The component's worker ended before this was found out: once more, with a new port
      // (unless the body was already sent to the one that ended).
      if (!(err instanceof HandlerGone) || body) throw err;
      r = await (await live()).fetch(sreq);
    }
  } catch (err) {
    if (err instanceof NoHandler) return text(503, `wasip3-web: ${err.message}`);
    if (err instanceof HandlerGone) return text(503, `wasip3-web: ${err.message}`);
    return text(500, `wasip3-web: the component's handler failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  let out = NO_BODY.has(r.status) ? null : r.body;
  if (!out) void r.body?.cancel().catch(() => {});
  let done = () => {};
  // This worker lives while the body streams (the browser may stop an idle one).
  if (out) {
    const reader = out.getReader();
    e.waitUntil(new Promise<void>((res) => { done = res; }));
    out = new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          const { done: end, value } = await reader.read();
          if (end) { c.close(); done(); } else c.enqueue(value);
        } catch (err) { c.error(err); done(); }
      },
      cancel(reason) { done(); return reader.cancel(reason); },
    }, { highWaterMark: 0 });
  }
  try {
    return new Response(out, { status: r.status, headers: r.headers });
  } catch (err) {
    done();
    void out?.cancel().catch(() => {});
    return text(502, `wasip3-web: the component's response is not one a browser can give: ${err instanceof Error ? err.message : String(err)}`);
  }
}

sw.addEventListener('fetch', (e) => {
  // Only what is under the scope; anything else a controlled page fetches goes to the network.
  if (!e.request.url.startsWith(sw.registration.scope)) return;
  e.respondWith(answer(e));
});
