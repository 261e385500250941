// The page's network when it is the host's (LoopbackNetwork.inherit: the CLI's
// --inherit-network): every bind, listen, connect, datagram and lookup goes to a bridge that
// holds real sockets (Node's, bin/sockets.mjs), so a component listening on 127.0.0.1:PORT is
// reachable from the host there and a component reaches the host's servers. A TCP connection's
// port ends here, at the page: what the component sends is read off it and handed to the host a
// chunk at a time (the next once the host has taken the last), and what the host receives is
// written into it (the host sends more once the write is taken, and the
// port's window holds it while the component does not read).
import type {
  HostAddress, HostNetBridge, HostNetEvent, NetAddress, NetIp, NetMessage, NetRequest,
} from '../channel/protocol.js';
import { bindingKey, formatIp, ipOf, parseIp, socketAddress, type SocketAddress } from '../host/sockets/address.js';
import { connection, type Inbound, type Outbound } from '../host/sockets/connection.js';

/** One component worker's end of the network. */
export interface Link { port: MessagePort }

/** The most bytes handed to the host at once. */
const CHUNK = 1 << 20;

interface Bound { proto: 'tcp' | 'udp'; link: Link; sid: number; address: SocketAddress; sock: number }

/** A connection between a component and the host: the page reads `inb` (what the component
 * sends) and writes `out` (what the host received). */
interface Conn {
  link: Link; sock: number; conn: number; inb: Inbound; out: Outbound; port: MessagePort;
  /** The component's socket was dropped; its sending side has ended (FIN, or failed). */
  dropped: boolean; sent: boolean;
}

const toHost = (a: SocketAddress | NetAddress): HostAddress => ({ address: formatIp(ipOf(a as SocketAddress)), port: a.val.port });

/** A host address as a wasi:sockets one (a scope such as %eth0 is dropped); null if it is not an IP literal. */
function fromHost(h: HostAddress | undefined): SocketAddress | null {
  const ip = h && parseIp(h.address.replace(/%.*$/, ''));
  return ip ? socketAddress(ip, h.port) : null;
}

export class HostNetwork {
  private readonly bound = new Map<string, Bound>();
  private readonly bySock = new Map<number, Bound>();
  private readonly conns = new Map<number, Conn>();
  private readonly byConn = new Map<number, Conn>();

  constructor(private readonly bridge: HostNetBridge, private readonly newConn: () => number) {}

  private reply(link: Link, id: number, r: { ok?: NetAddress | null; err?: string; conn?: number; addresses?: NetIp[] }): void {
    const m: NetMessage = { type: 'reply', id, ...r };
    link.port.postMessage(m);
  }

  /** A worker's request, carried out on the host. */
  async handle(link: Link, m: NetRequest): Promise<void> {
    switch (m.op) {
      case 'bind': {
        const r = await this.bridge.request({ op: 'bind', proto: m.proto, local: toHost(m.address) });
        const address = r.ok ? fromHost(r.local) : null;
        if (!r.ok || !address || r.sock === undefined) { this.reply(link, m.id, { err: r.ok ? 'address-not-bindable' : r.err }); break; }
        const b: Bound = { proto: m.proto, link, sid: m.sid, address, sock: r.sock };
        this.bound.set(bindingKey(m.proto, address), b);
        this.bySock.set(r.sock, b);
        this.reply(link, m.id, { ok: address as NetAddress });
        break;
      }
      case 'unbind': {
        const k = bindingKey(m.proto, m.address as SocketAddress);
        const b = this.bound.get(k);
        if (b?.link !== link) break;
        this.forget(b);
        break;
      }
      case 'listen': {
        const b = this.bound.get(bindingKey('tcp', m.address as SocketAddress));
        if (!b || b.link !== link) { this.reply(link, m.id, { err: 'invalid-state' }); break; }
        const r = await this.bridge.request({ op: 'listen', sock: b.sock });
        this.reply(link, m.id, r.ok ? { ok: null } : { err: r.err });
        break;
      }
      case 'connect': {
        const b = m.from ? this.bound.get(bindingKey('tcp', m.from as SocketAddress)) : undefined;
        if (m.from && b?.link !== link) { m.port.close(); this.reply(link, m.id, { err: 'invalid-state' }); break; }
        const r = await this.bridge.request({ op: 'connect', sock: b?.sock ?? 0, remote: toHost(m.to) });
        const local = r.ok ? fromHost(r.local) : null;
        if (!r.ok || r.sock === undefined || !local) {
          m.port.close();
          this.reply(link, m.id, { err: r.ok ? 'connection-refused' : r.err });
          break;
        }
        const conn = this.newConn();
        this.start(link, r.sock, conn, m.port);
        this.reply(link, m.id, { ok: local as NetAddress, conn });
        break;
      }
      case 'closed': {
        const c = this.byConn.get(m.conn);
        if (c && c.link === link) {
          // Refused by the component: reset at once, as a kernel resets what a listener refuses.
          if (m.refused) { c.inb.stop(); this.drop(c, true); } else { c.dropped = true; this.settle(c); }
        }
        // Then the address, as the unbind that used to follow this message.
        if (m.unbind) await this.handle(link, { op: 'unbind', proto: 'tcp', address: m.unbind });
        break;
      }
      case 'datagram': {
        const from = m.from as SocketAddress;
        const b = this.bound.get(bindingKey('udp', from)) ?? this.wildcard(from);
        if (!b || b.link !== link) break; // not bound: lost, as UDP's are
        void this.bridge.request({ op: 'datagram', sock: b.sock, remote: toHost(m.to), data: new Uint8Array(m.data, 0, m.length) });
        break;
      }
      case 'lookup': {
        const r = await this.bridge.request({ op: 'lookup', name: m.name });
        if (!r.ok) { this.reply(link, m.id, { err: r.err }); break; }
        const addresses = (r.addresses ?? []).map((a) => parseIp(a.replace(/%.*$/, ''))).filter((a) => a !== null);
        this.reply(link, m.id, { addresses: addresses as NetIp[] });
        break;
      }
    }
  }

  /** The UDP binding on the unspecified address of `a`'s family and port. */
  private wildcard(a: SocketAddress): Bound | undefined {
    for (const b of this.bound.values()) {
      if (b.proto === 'udp' && b.address.tag === a.tag && b.address.val.port === a.val.port && ipOf(b.address).val.every((x) => x === 0)) return b;
    }
    return undefined;
  }

  private forget(b: Bound): void {
    this.bound.delete(bindingKey(b.proto, b.address));
    this.bySock.delete(b.sock);
    void this.bridge.request({ op: 'close', sock: b.sock });
  }

  /** A connection's port: the page reads what the component sends (inb) and writes what it
   * receives (out). */
  private start(link: Link, sock: number, conn: number, port: MessagePort): void {
    const { inbound: inb, outbound: out } = connection(port);
    const c: Conn = { link, sock, conn, inb, out, port, dropped: false, sent: false };
    this.conns.set(sock, c);
    this.byConn.set(conn, c);
    void this.pump(c);
    void this.bridge.request({ op: 'read', sock });
  }

  /** What the component sends, to the host: a chunk at a time, then its FIN. */
  private async pump(c: Conn): Promise<void> {
    for (;;) {
      await c.inb.readable();
      if (!this.conns.has(c.sock)) return;
      const b = c.inb.readNow(CHUNK);
      if (b === null) break;
      if (b.byteLength === 0) continue;
      const r = await this.bridge.request({ op: 'send', sock: c.sock, data: b });
      // The host's side broke: the component's writes fail from now on.
      if (!r.ok) { c.inb.stop(); break; }
    }
    if (this.conns.has(c.sock)) await this.bridge.request({ op: 'end', sock: c.sock });
    c.sent = true;
    this.settle(c);
  }

  /** A dropped socket whose bytes are all out is closed on the host. */
  private settle(c: Conn): void {
    if (!c.dropped || !c.sent) return;
    this.drop(c);
  }

  private drop(c: Conn, reset = false): void {
    if (!this.conns.delete(c.sock)) return;
    this.byConn.delete(c.conn);
    void this.bridge.request(reset ? { op: 'close', sock: c.sock, reset } : { op: 'close', sock: c.sock });
  }

  /** An event from the host; resolves when the host may send that connection more (false:
   * the component no longer reads it). */
  async deliver(e: HostNetEvent): Promise<boolean> {
    switch (e.type) {
      case 'accept': {
        const b = this.bySock.get(e.listener);
        const local = fromHost(e.local);
        const remote = fromHost(e.remote);
        if (!b || !local || !remote) { void this.bridge.request({ op: 'close', sock: e.sock }); return false; }
        const ch = new MessageChannel();
        const conn = this.newConn();
        this.start(b.link, e.sock, conn, ch.port1);
        const m: NetMessage = { type: 'accept', sid: b.sid, conn, local: local as NetAddress, remote: remote as NetAddress, port: ch.port2 };
        b.link.port.postMessage(m, [ch.port2]);
        return true;
      }
      case 'data': {
        const c = this.conns.get(e.sock);
        if (!c) return false;
        return c.out.write(e.data);
      }
      case 'end':
        this.conns.get(e.sock)?.out.shutdown();
        return true;
      case 'error': {
        const c = this.conns.get(e.sock);
        if (!c) return false;
        // The component's receive ends in an error and its sends fail.
        c.port.postMessage({ type: 'error', message: e.err });
        c.inb.stop();
        this.conns.delete(c.sock);
        this.byConn.delete(c.conn);
        return false;
      }
      case 'datagram': {
        const b = this.bySock.get(e.sock);
        const from = fromHost(e.remote);
        if (!b || !from) return false;
        const data = e.data.byteOffset === 0 && e.data.byteLength === e.data.buffer.byteLength ? e.data.buffer as ArrayBuffer : e.data.slice().buffer;
        const m: NetMessage = { type: 'datagram', sid: b.sid, from: from as NetAddress, data, length: e.data.byteLength };
        b.link.port.postMessage(m, [data]);
        return true;
      }
    }
  }

  /** A worker ended: what it bound closes on the host, and so do its connections, once
   * what they sent before their FIN is out (a process's close(2) sends what the kernel holds);
   * one that had not finished sending is cut off. */
  detach(link: Link): void {
    for (const b of [...this.bound.values()]) if (b.link === link) this.forget(b);
    for (const c of [...this.conns.values()]) {
      if (c.link !== link) continue;
      c.dropped = true;
      if (c.inb.finished) this.settle(c); else this.drop(c);
    }
  }

  /** Resolves once every connection has handed the host what its component sent. */
  async flushed(): Promise<void> {
    while ([...this.conns.values()].some((c) => c.inb.finished && !c.sent)) await new Promise((r) => setTimeout(r, 20));
  }
}
