// The CLI's --inherit-network for wasi:sockets: the page's network (src/page/network.ts and
// host-network.ts) becomes the host's, and this process holds its sockets (node:net, node:dgram,
// node:dns). So a component listening on 127.0.0.1:PORT is reachable from the host at that
// address, and a component connects to the host's servers. The page calls __wasip3Net(request)
// (an exposed function) and hears events through __wasip3NetEvent(event) (page.evaluate);
// HostNetRequest, HostNetReply and HostNetEvent in src/channel/protocol.ts, with bytes as base64.
// Bytes move in chunks: what a socket receives is gathered while the page takes the last chunk
// (at most HIGH bytes, then the socket pauses: backpressure to the peer), and a send is answered
// once Node's write has drained (backpressure to the component).
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';

/** Bytes gathered from a socket before it pauses until the page has taken them. */
const HIGH = 1 << 20;

/** Node's error codes as wasi:sockets error-codes. */
const CODES = {
  ECONNREFUSED: 'connection-refused', EADDRINUSE: 'address-in-use', EADDRNOTAVAIL: 'address-not-bindable',
  EACCES: 'access-denied', EPERM: 'access-denied', ECONNRESET: 'connection-reset', EPIPE: 'connection-broken',
  ECONNABORTED: 'connection-aborted', ETIMEDOUT: 'timeout', EHOSTUNREACH: 'remote-unreachable',
  ENETUNREACH: 'remote-unreachable', EHOSTDOWN: 'remote-unreachable', ENETDOWN: 'remote-unreachable',
  EAFNOSUPPORT: 'not-supported', EINVAL: 'invalid-argument', EMSGSIZE: 'datagram-too-large',
  ENOMEM: 'out-of-memory', ENOBUFS: 'out-of-memory',
};
/** dns.lookup's error codes as ip-name-lookup's. */
const LOOKUP_CODES = {
  ENOTFOUND: 'name-unresolvable', ENODATA: 'name-unresolvable', EAI_NONAME: 'name-unresolvable',
  EAI_AGAIN: 'temporary-resolver-failure', ETIMEOUT: 'temporary-resolver-failure',
  EAI_FAIL: 'permanent-resolver-failure', ESERVFAIL: 'permanent-resolver-failure', EINVAL: 'invalid-argument',
};
export const errorCode = (e, fallback) => CODES[e?.code] ?? fallback;

const addr = (address, port) => ({ address, port });

/** Connections the page closed whose bytes are still going out. */
const closing = new Set();

/** Resolves once every closed connection's bytes are out (or after ms): call before exiting. */
export async function socketsSettled(ms = 5000) {
  const until = Date.now() + ms;
  while (closing.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}
const isV6 = (a) => a.includes(':');

/** Serve the page's network requests from this process (call after page.goto). */
export async function inheritSockets(page) {
  /** The host's sockets by number: { kind: 'server', server, local, listening } | { kind: 'conn',
   * socket } | { kind: 'udp', socket }. */
  const socks = new Map();
  let next = 1;
  const debug = process.env.WASIP3WEB_DEBUG_NET ? (...a) => process.stderr.write(`[net] ${a.join(' ')}\n`) : () => {};
  const event = (e) => page.evaluate((x) => globalThis.__wasip3NetEvent(x), e.data ? { ...e, data: e.data.toString('base64') } : e)
    .then((r) => { debug('event', e.type, e.sock, e.data?.length ?? '', '->', r); return r; })
    .catch((err) => { debug('event', e.type, 'failed:', err.message); return false; });

  const fail = (err) => ({ ok: false, err });

  /** A connection's bytes to the page, a gathered chunk at a time, then its FIN or error. */
  function read(id, s) {
    let parts = [];
    let size = 0;
    let busy = false;
    let ended = false;
    let discard = false;
    const flush = async () => {
      if (busy) return;
      busy = true;
      while (size > 0 || ended) {
        if (size > 0) {
          const data = Buffer.concat(parts, size);
          parts = [];
          size = 0;
          if (s.isPaused()) s.resume();
          // false: the component no longer reads this connection; what comes is dropped.
          if (!(await event({ type: 'data', sock: id, data }))) discard = true;
        } else {
          ended = false;
          await event({ type: 'end', sock: id });
          break;
        }
      }
      busy = false;
    };
    s.on('data', (c) => {
      if (discard) return;
      parts.push(c);
      size += c.length;
      if (size >= HIGH) s.pause();
      void flush();
    });
    s.on('end', () => { ended = true; void flush(); });
    s.resume();
  }

  function watch(id, s) {
    s.on('error', (e) => {
      if (!socks.has(id)) return;
      socks.delete(id);
      void event({ type: 'error', sock: id, err: errorCode(e, 'connection-reset') });
    });
  }

  function until(emitter, ok) {
    return new Promise((resolve, reject) => {
      const onErr = (e) => { emitter.off(ok, onOk); reject(e); };
      const onOk = (...a) => { emitter.off('error', onErr); resolve(a); };
      emitter.once('error', onErr);
      emitter.once(ok, onOk);
    });
  }

  const ops = {
    async bind({ proto, local }) {
      const id = next++;
      if (proto === 'udp') {
        const socket = createSocket(isV6(local.address) ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
        try {
          socket.bind({ address: local.address, port: local.port, exclusive: true });
          await until(socket, 'listening');
        } catch (e) {
          socket.close();
          return fail(errorCode(e, 'address-not-bindable'));
        }
        socket.on('error', () => {});
        socket.on('message', (data, r) => { void event({ type: 'datagram', sock: id, remote: addr(r.address, r.port), data }); });
        socks.set(id, { kind: 'udp', socket });
        const a = socket.address();
        return { ok: true, sock: id, local: addr(a.address, a.port) };
      }
      // Node binds a TCP socket only by listening: the server holds the address, and until the
      // component listens, a connection is reset at once, as to a socket that does not listen.
      // Half-open, as TCP is: the peer's FIN does not end this side.
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
      const entry = { kind: 'server', server, local: null, listening: false };
      server.on('connection', (s) => {
        if (!entry.listening) { s.resetAndDestroy(); return; }
        const cid = next++;
        socks.set(cid, { kind: 'conn', socket: s });
        watch(cid, s);
        void event({ type: 'accept', listener: id, sock: cid, local: addr(s.localAddress, s.localPort), remote: addr(s.remoteAddress, s.remotePort) })
          .then((ok) => { if (!ok) { socks.delete(cid); s.destroy(); } });
      });
      try {
        server.listen({ host: local.address, port: local.port, ipv6Only: isV6(local.address), exclusive: true });
        await until(server, 'listening');
      } catch (e) {
        server.close();
        return fail(errorCode(e, 'address-not-bindable'));
      }
      server.on('error', () => {});
      const a = server.address();
      entry.local = addr(a.address, a.port);
      socks.set(id, entry);
      return { ok: true, sock: id, local: entry.local };
    },
    async listen({ sock }) {
      const e = socks.get(sock);
      if (e?.kind !== 'server') return fail('invalid-state');
      e.listening = true;
      return { ok: true };
    },
    async connect({ sock, remote }) {
      const opts = { host: remote.address, port: remote.port, allowHalfOpen: true };
      const from = sock ? socks.get(sock) : null;
      if (sock && from?.kind !== 'server') return fail('invalid-state');
      if (from) {
        // The bound socket connects from its address: the server that held it lets it go.
        socks.delete(sock);
        await new Promise((r) => from.server.close(r));
        opts.localAddress = from.local.address;
        opts.localPort = from.local.port;
      }
      const s = connect(opts);
      try {
        await until(s, 'connect');
      } catch (e) {
        s.destroy();
        return fail(errorCode(e, 'connection-refused'));
      }
      s.pause();
      const id = next++;
      socks.set(id, { kind: 'conn', socket: s });
      watch(id, s);
      return { ok: true, sock: id, local: addr(s.localAddress, s.localPort) };
    },
    async read({ sock }) {
      const e = socks.get(sock);
      if (e?.kind !== 'conn') return fail('invalid-state');
      read(sock, e.socket);
      return { ok: true };
    },
    async send({ sock, data }) {
      const e = socks.get(sock);
      if (e?.kind !== 'conn' || e.socket.destroyed || e.socket.writableEnded) return fail('connection-broken');
      const s = e.socket;
      if (s.write(Buffer.from(data, 'base64'))) return { ok: true };
      return new Promise((resolve) => {
        const done = (r) => { s.off('drain', onDrain); s.off('close', onClose); resolve(r); };
        const onDrain = () => done({ ok: true });
        const onClose = () => done(fail('connection-broken'));
        s.once('drain', onDrain);
        s.once('close', onClose);
      });
    },
    async end({ sock }) {
      const e = socks.get(sock);
      if (e?.kind !== 'conn') return fail('invalid-state');
      e.socket.end();
      return { ok: true };
    },
    async close({ sock, reset }) {
      const e = socks.get(sock);
      socks.delete(sock);
      if (e?.kind === 'server') e.server.close();
      else if (e?.kind === 'udp') e.socket.close();
      // A connection closes once its bytes are out (its FIN, if not sent yet, goes with them).
      else if (e?.kind === 'conn' && reset) e.socket.resetAndDestroy();
      else if (e?.kind === 'conn') {
        const s = e.socket;
        closing.add(s);
        s.once('close', () => closing.delete(s));
        s.end(() => s.destroy());
      }
      return { ok: true };
    },
    async datagram({ sock, remote, data }) {
      const e = socks.get(sock);
      if (e?.kind !== 'udp') return fail('invalid-state');
      return new Promise((resolve) => {
        e.socket.send(Buffer.from(data, 'base64'), remote.port, remote.address, (err) => resolve(err ? fail(errorCode(err, 'remote-unreachable')) : { ok: true }));
      });
    },
    async lookup({ name }) {
      try {
        const all = await lookup(name, { all: true, verbatim: true });
        return { ok: true, addresses: [...new Set(all.map((a) => a.address))] };
      } catch (e) {
        return fail(LOOKUP_CODES[e?.code] ?? 'permanent-resolver-failure');
      }
    },
  };

  await page.exposeFunction('__wasip3Net', async (req) => {
    const op = ops[req?.op];
    debug('request', req?.op, req?.sock ?? '', req?.data?.length ?? '');
    if (!op) return fail('not-supported');
    try { return await op(req); } catch (e) { return fail(errorCode(e, 'invalid-argument')); }
  });
  await page.evaluate(() => {
    const b64 = (c) => { let s = ''; for (let i = 0; i < c.length; i += 8192) s += String.fromCharCode(...c.subarray(i, i + 8192)); return btoa(s); };
    const bytes = (s) => Uint8Array.from(atob(s), (x) => x.charCodeAt(0));
    const deliver = WasiP3Web.network.inherit({ request: (r) => globalThis.__wasip3Net(r.data ? { ...r, data: b64(r.data) } : r) });
    globalThis.__wasip3NetEvent = (e) => deliver(e.data ? { ...e, data: bytes(e.data) } : e);
  });
}
