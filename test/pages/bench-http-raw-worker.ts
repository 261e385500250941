// Raw baseline of http-handle: a plain JS handler (Request in, Response out) in a worker,
// answering the page's requests over postMessage, as a worker-hosted fetch handler would.
export interface RawRequest { id: number; method: string; url: string; headers: [string, string][] }
export interface RawResponse { id: number; status: number; headers: [string, string][] }

const handler = (req: Request): Response => new Response(null, { status: 200, headers: { 'x-echo-method': req.method } });

onmessage = (e: MessageEvent<RawRequest>) => {
  const { id, method, url, headers } = e.data;
  const res = handler(new Request(url, { method, headers }));
  postMessage({ id, status: res.status, headers: [...res.headers] } satisfies RawResponse);
};
