// The page's loopback network: one per page, shared by every component granted
// `sockets: 'loopback'`. It knows which addresses are bound (TCP and UDP, IPv4 and IPv6, by
// address and port) and which TCP sockets listen, and introduces connections: the connecting
// worker makes a connection's MessageChannel and this hands the listener's worker its other
// end, so bytes then flow worker to worker (or within one worker) and never through here.
// UDP datagrams pass through here as transferred buffers (never copied), one message each.
// Inherited (`inherit(bridge)`, the CLI's --inherit-network), it is the host's network instead:
// everything goes to the host (host-network.ts).
import type { HostNetBridge, HostNetEvent, NetAddress, NetMessage, NetRequest } from '../channel/protocol.js';
import { HostNetwork, type Link } from './host-network.js';
import {
  EPHEMERAL_FIRST, EPHEMERAL_LAST, bindingKey, ipOf, isUnspecified, loopbackOf, parseIp, socketAddress,
  unspecifiedOf, withPort, type SocketAddress,
} from '../host/sockets/address.js';
import { connection } from '../host/sockets/connection.js';
import { Net, wire } from '../host/sockets/net.js';

/** A TCP connection the page made to a component's listener (LoopbackNetwork.connect). */
export interface PageConnection {
  /** Send bytes; resolves once they may be followed by more (false if the component stopped reading). */
  write(bytes: Uint8Array): Promise<boolean>;
  /** Shut the sending side down (a FIN). */
  end(): void;
  /** The next bytes the component sent (at most max), or null at its FIN; rejects with the
   * error-code (connection-reset) if the component refused the connection or its worker ended. */
  read(max?: number): Promise<Uint8Array | null>;
  /** Close both sides and give the page's port back. */
  close(): void;
}

interface Binding { proto: 'tcp' | 'udp'; link: Link; sid: number; address: SocketAddress; listening: boolean }

export class LoopbackNetwork {
  private readonly bound = new Map<string, Binding>();
  /** Connections, by id, with the workers at their two ends (a worker that ends is felt at
   * the other end: its ports can say nothing once its thread is gone). */
  private readonly conns = new Map<number, [Link, Link]>();
  private nextConn = 1;
  private host: HostNetwork | null = null;

  /** Make this the host's network: from now on every bind, listen, connect, datagram and name
   * lookup goes through `bridge` to the host's sockets (what bound before stays on loopback).
   * Returns what the host calls with its events (accepted connections, bytes, datagrams). */
  inherit(bridge: HostNetBridge): (e: HostNetEvent) => Promise<boolean> {
    const host = new HostNetwork(bridge, () => this.nextConn++);
    this.host = host;
    return (e) => host.deliver(e);
  }

  /** Whether this is the host's network (inherit). */
  get inherited(): boolean { return this.host !== null; }

  /** Resolves once the host has every byte components sent before their FIN (the CLI waits for
   * this before it ends, as a kernel sends what a closed socket held). */
  flushed(): Promise<void> { return this.host?.flushed() ?? Promise.resolve(); }

  /** Serve one worker on `port`; returns what releases everything it bound. */
  attach(port: MessagePort): () => void {
    const link: Link = { port };
    port.onmessage = (e: MessageEvent<NetRequest>) => this.handle(link, e.data);
    return () => {
      this.host?.detach(link);
      for (const [k, b] of this.bound) if (b.link === link) this.bound.delete(k);
      for (const [id, ends] of this.conns) {
        if (!ends.includes(link)) continue;
        this.conns.delete(id);
        this.resetPeer(id, ends, link);
      }
      port.close();
    };
  }

  /** Tell the other end of connection `id` (the one that is not `link`) that it is reset. */
  private resetPeer(id: number, ends: [Link, Link], link: Link): void {
    const other = ends[0] === link ? ends[1] : ends[0];
    if (other !== link) other.port.postMessage({ type: 'peer-gone', conn: id } satisfies NetMessage);
  }

  /** The page's own end of the network (LoopbackNetwork.connect), made at its first
   * connection: a worker's end (host/sockets/net.ts) on a port attached as a worker's is. */
  private pageNet: Net | null = null;

  /** Connect from the page to a component listening at host:port (an IP literal on loopback,
   * or `localhost`); rejects with the wasi:sockets error-code as its message
   * (connection-refused). The page reads and writes the bytes itself. */
  async connect(host: string, port: number): Promise<PageConnection> {
    const ip = host === 'localhost' ? loopbackOf('ipv4') : parseIp(host);
    if (!ip || !Number.isInteger(port) || port <= 0 || port > 0xffff) throw new TypeError(`not an address on the loopback network: ${host}:${port}`);
    const net = this.pageNet ??= this.pageEnd();
    const ch = new MessageChannel();
    const r = await net.request({ op: 'connect', from: null, to: wire(socketAddress(ip, port)), port: ch.port2, sid: 0 }, [ch.port2]);
    if ('err' in r) throw new Error(r.err);
    const from = r.ok as NetAddress;
    const { outbound: out, inbound: inb } = connection(ch.port1);
    const conn = r.conn ?? 0;
    // Reset (the component refused it, or its worker ended): reads reject, writes fail.
    net.watch(conn, () => { inb.fail(); out.fail(); });
    return {
      write: async (bytes) => out.write(bytes.slice()),
      end: () => out.shutdown(),
      read: async (max = 1 << 16) => {
        await inb.readable();
        const b = inb.readNow(max);
        if (b === null && inb.error) throw new Error(inb.error);
        return b;
      },
      close: () => { out.shutdown(); inb.stop(); net.forget(conn, from); },
    };
  }

  private pageEnd(): Net {
    const ch = new MessageChannel();
    this.attach(ch.port1);
    return new Net(ch.port2);
  }

  private reply(link: Link, id: number, r: { ok?: NetAddress | null; err?: string; conn?: number }): void {
    const m: NetMessage = { type: 'reply', id, ...r };
    link.port.postMessage(m);
  }

  private handle(link: Link, m: NetRequest): void {
    if (this.host) { void this.host.handle(link, m); return; }
    switch (m.op) {
      case 'bind': {
        const r = this.bind(link, m.proto, m.address as SocketAddress, m.sid);
        this.reply(link, m.id, typeof r === 'string' ? { err: r } : { ok: r as NetAddress });
        break;
      }
      case 'unbind': {
        const k = bindingKey(m.proto, m.address as SocketAddress);
        if (this.bound.get(k)?.link === link) this.bound.delete(k);
        break;
      }
      case 'listen': {
        const b = this.bound.get(bindingKey('tcp', m.address as SocketAddress));
        if (!b || b.link !== link) { this.reply(link, m.id, { err: 'invalid-state' }); break; }
        b.listening = true;
        this.reply(link, m.id, { ok: null });
        break;
      }
      case 'connect': {
        const to = m.to as SocketAddress;
        const b = this.find('tcp', to);
        if (!b || !b.listening) {
          m.port.close();
          this.reply(link, m.id, { err: 'connection-refused' });
          break;
        }
        // An unbound socket takes an ephemeral port here, as its bind would have: one round
        // trip to the page a connection, not two.
        const from = m.from ?? this.bind(link, 'tcp', socketAddress(loopbackOf(to.tag), 0), m.sid);
        if (typeof from === 'string') { m.port.close(); this.reply(link, m.id, { err: from }); break; }
        // An accepted socket's local address is the one connected to (a listener on the
        // unspecified address accepts on whichever loopback address was asked for).
        const conn = this.nextConn++;
        this.conns.set(conn, [link, b.link]);
        const accept: NetMessage = { type: 'accept', sid: b.sid, conn, local: m.to, remote: from as NetAddress, port: m.port };
        b.link.port.postMessage(accept, [m.port]);
        this.reply(link, m.id, { ok: from as NetAddress, conn });
        break;
      }
      case 'closed': {
        const ends = this.conns.get(m.conn);
        this.conns.delete(m.conn);
        // Refused: the connector is reset (it would wait on a port nobody reads).
        if (m.refused && ends) this.resetPeer(m.conn, ends, link);
        if (m.unbind) this.handle(link, { op: 'unbind', proto: 'tcp', address: m.unbind });
        break;
      }
      case 'lookup': // only the host's network resolves names
        this.reply(link, m.id, { err: 'name-unresolvable' });
        break;
      case 'datagram': {
        const b = this.find('udp', m.to as SocketAddress);
        if (!b) break; // nobody is bound there: the datagram is lost, as UDP's are
        const d: NetMessage = { type: 'datagram', sid: b.sid, from: m.from, data: m.data, length: m.length };
        b.link.port.postMessage(d, [m.data]);
        break;
      }
    }
  }

  /** Who is bound at `a`: that address, or the unspecified address of its family on its port. */
  private find(proto: 'tcp' | 'udp', a: SocketAddress): Binding | undefined {
    return this.bound.get(bindingKey(proto, a)) ?? this.bound.get(bindingKey(proto, this.wildcard(a)));
  }

  private wildcard(a: SocketAddress): SocketAddress {
    const u = unspecifiedOf(a.tag);
    return u.tag === 'ipv4'
      ? { tag: 'ipv4', val: { port: a.val.port, address: u.val } }
      : { tag: 'ipv6', val: { port: a.val.port, flowInfo: 0, address: u.val, scopeId: 0 } };
  }

  /** Whether `a` conflicts with a binding: the same address and port, or either of them the
   * unspecified address on that port (SO_REUSEADDR does not let two sockets share a port). */
  private taken(proto: 'tcp' | 'udp', a: SocketAddress): boolean {
    if (this.bound.has(bindingKey(proto, a))) return true;
    if (isUnspecified(ipOf(a))) {
      for (const b of this.bound.values()) if (b.proto === proto && b.address.tag === a.tag && b.address.val.port === a.val.port) return true;
      return false;
    }
    return this.bound.has(bindingKey(proto, this.wildcard(a)));
  }

  private bind(link: Link, proto: 'tcp' | 'udp', address: SocketAddress, sid: number): SocketAddress | string {
    let a = address;
    if (a.val.port === 0) {
      // A random free ephemeral port, as an operating system picks one.
      const span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
      const start = Math.floor(Math.random() * span);
      let found: SocketAddress | null = null;
      for (let i = 0; i < span && !found; i++) {
        const c = withPort(address, EPHEMERAL_FIRST + ((start + i) % span));
        if (!this.taken(proto, c)) found = c;
      }
      if (!found) return 'address-in-use';
      a = found;
    } else if (this.taken(proto, a)) {
      return 'address-in-use';
    }
    this.bound.set(bindingKey(proto, a), { proto, link, sid, address: a, listening: false });
    return a;
  }
}

/** The page's network (one per page: every component loaded with sockets granted joins it). */
export const network = new LoopbackNetwork();
