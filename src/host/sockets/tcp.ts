// wasi:sockets/types@0.3.0, tcp-socket, on the page's loopback network (src/page/network.ts):
// bind and listen register there (address-in-use, ephemeral ports); connect asks it for the
// listener, and the connection's bytes then flow over a port of its own (connection.ts).
import type { PushSource, StreamReader } from '../../runtime/index.js';
import {
  bindProblem, isSocketAddress, isUnspecified, ipOf, loopbackOf, remoteProblem, socketAddress,
  unspecifiedOf, withPort, type Family, type SocketAddress,
} from './address.js';
import { connection, type Inbound, type Outbound } from './connection.js';
import { err, ok, wire, type Net, type Result } from './net.js';

const SECOND = 1_000_000_000n;
const U64_MAX = (1n << 64n) - 1n;

type State = 'unbound' | 'bound' | 'listening' | 'connecting' | 'connected' | 'closed';

/** The options a socket stores and reports, and an accepted socket inherits (Linux's defaults). */
interface Options {
  keepAlive: boolean;
  keepAliveIdle: bigint;
  keepAliveInterval: bigint;
  keepAliveCount: number;
  hopLimit: number;
  receiveBuffer: bigint;
  sendBuffer: bigint;
  backlog: bigint;
}
const defaults = (): Options => ({
  keepAlive: false, keepAliveIdle: 7200n * SECOND, keepAliveInterval: 75n * SECOND, keepAliveCount: 9,
  hopLimit: 64, receiveBuffer: 131072n, sendBuffer: 16384n, backlog: 128n,
});

const emptyStream = (): Uint8Array => new Uint8Array(0);

/** A family from its WIT enum value (anything else is the host's bug to refuse). */
function family(f: unknown): Family {
  if (f !== 'ipv4' && f !== 'ipv6') throw new TypeError(`not an ip-address-family: ${String(f)}`);
  return f;
}

/** The TcpSocket class of one component, over its network (null: sockets not granted). */
export function tcpSocketClass(net: Net | null) {
  class TcpSocket {
    private state: State = 'unbound';
    /** The address the network holds for this socket (given back on drop). */
    private registered: SocketAddress | null = null;
    private local: SocketAddress | null = null;
    private remote: SocketAddress | null = null;
    private opts: Options;
    private inbound: Inbound | null = null;
    private outbound: Outbound | null = null;
    private readonly sid: number;
    /** Connections accepted and not yet taken by the guest. */
    private backlog: TcpSocket[] = [];
    /** The network's id of this socket's connection (0: none). */
    private conn = 0;
    private acceptWake: (() => void) | null = null;
    private acceptDropped = false;
    private busy = false;

    private constructor(private readonly family: Family, opts: Options) {
      this.opts = opts;
      this.sid = net ? net.register({ accept: (c, l, r, p) => this.accepted(c, l, r, p) }) : 0;
    }

    static create(f: unknown): Result<TcpSocket> {
      const fam = family(f);
      return ok(new TcpSocket(fam, defaults()));
    }

    /** Take an address on the network (port 0: an ephemeral one). */
    private async take(a: SocketAddress): Promise<Result<undefined>> {
      const r = await net!.request({ op: 'bind', proto: 'tcp', address: wire(a), sid: this.sid });
      if ('err' in r) return err(r.err);
      this.registered = r.ok;
      this.local = r.ok;
      return ok(undefined);
    }

    private release(): void {
      if (this.registered) net!.post({ op: 'unbind', proto: 'tcp', address: wire(this.registered) });
      this.registered = null;
    }

    bind(a: SocketAddress): Result<undefined> | Promise<Result<undefined>> {
      if (this.state !== 'unbound' || this.busy) return err('invalid-state');
      if (!isSocketAddress(a)) return err('invalid-argument');
      const p = bindProblem(this.family, a, net?.host);
      if (p) return err(p);
      if (!net) return err('access-denied');
      this.busy = true;
      return this.take(a).then((r) => {
        this.busy = false;
        if (r.tag === 'ok') this.state = 'bound';
        return r;
      });
    }

    async connect(to: SocketAddress): Promise<Result<undefined>> {
      if (this.state !== 'unbound' && this.state !== 'bound') return err('invalid-state');
      if (this.busy) return err('invalid-state');
      if (!isSocketAddress(to)) return err('invalid-argument');
      const p = remoteProblem(this.family, to, net?.host);
      if (p) return err(p);
      if (!net) return err('access-denied');
      this.state = 'connecting';
      // An unbound socket lets the network pick its local address (on loopback an ephemeral
      // port, bound in the same request); one bound to the unspecified address connects from
      // loopback.
      let from: SocketAddress | null = null;
      if (this.registered) {
        from = this.local!;
        if (!net.host && isUnspecified(ipOf(from))) from = socketAddress(loopbackOf(this.family), from.val.port);
      }
      const ch = new MessageChannel();
      const r = await net!.request({ op: 'connect', from: from && wire(from), to: wire(to), port: ch.port2, sid: this.sid }, [ch.port2]);
      if ('err' in r) {
        // A failed attempt leaves the socket closed, its address free again.
        this.state = 'closed';
        this.release();
        ch.port1.close();
        return err(r.err);
      }
      // The loopback network bound the address it picked: it is given back on drop.
      if (!from && !net.host) this.registered = r.ok;
      this.local = r.ok ?? from;
      this.remote = socketAddress(ipOf(to), to.val.port);
      ({ inbound: this.inbound, outbound: this.outbound } = connection(ch.port1));
      this.state = 'connected';
      this.watch(r.conn ?? 0);
      return ok(undefined);
    }

    listen(): Result<ReadableStream<TcpSocket[]>> | Promise<Result<ReadableStream<TcpSocket[]>>> {
      if (this.state !== 'unbound' && this.state !== 'bound') return err('invalid-state');
      if (this.busy) return err('invalid-state');
      if (!net) return err('access-denied');
      this.busy = true;
      return (async (): Promise<Result<ReadableStream<TcpSocket[]>>> => {
        try {
          if (!this.registered) {
            // An implicit bind, to the unspecified address, as listen(2) does.
            const b = await this.take(socketAddress(unspecifiedOf(this.family), 0));
            if (b.tag === 'err') return b;
            this.state = 'bound';
          }
          const r = await net!.request({ op: 'listen', address: wire(this.registered!) });
          if ('err' in r) return err(r.err);
          this.state = 'listening';
          return ok(this.acceptStream());
        } finally {
          this.busy = false;
        }
      })();
    }

    /** The perpetual stream of accepted sockets. */
    private acceptStream(): ReadableStream<TcpSocket[]> {
      return new ReadableStream<TcpSocket[]>({
        pull: async (ctrl) => {
          while (this.backlog.length === 0 && this.state === 'listening') {
            await new Promise<void>((r) => { this.acceptWake = r; });
            this.acceptWake = null;
          }
          if (this.backlog.length === 0) { ctrl.close(); return; }
          ctrl.enqueue(this.backlog.splice(0));
        },
        // The guest stopped accepting: connections that arrive now are refused (reset).
        cancel: () => { this.acceptDropped = true; this.refuseBacklog(); },
      }, { highWaterMark: 0 });
    }

    private refuseBacklog(): void {
      for (const s of this.backlog.splice(0)) s[Symbol.dispose]();
    }

    /** A connection for this listener, from the network. */
    /** Feel the end of the peer's worker on connection `conn`. */
    private watch(conn: number): void {
      if (!conn) return;
      this.conn = conn;
      net!.watch(conn, () => { this.inbound?.fail(); this.outbound?.fail(); });
    }

    private accepted(conn: number, local: SocketAddress, remote: SocketAddress, port: MessagePort): void {
      if (this.state !== 'listening' || this.acceptDropped || BigInt(this.backlog.length) >= this.opts.backlog) {
        net!.refuse(conn, port);
        return;
      }
      const s = new TcpSocket(this.family, { ...this.opts });
      s.state = 'connected';
      s.local = local;
      s.remote = remote;
      ({ inbound: s.inbound, outbound: s.outbound } = connection(port));
      s.watch(conn);
      this.backlog.push(s);
      this.acceptWake?.();
    }

    // For WASI 0.2's tcp-socket (../p2/sockets.ts), which wraps this one.
    p2Streams(): { inbound: Inbound; outbound: Outbound } | null {
      return this.inbound && this.outbound ? { inbound: this.inbound, outbound: this.outbound } : null;
    }
    p2Accept(): TcpSocket | null { return this.backlog.shift() ?? null; }
    async p2Acceptable(): Promise<void> {
      while (this.backlog.length === 0 && this.state === 'listening') {
        await new Promise<void>((r) => { this.acceptWake = r; });
        this.acceptWake = null;
      }
    }

    send(data: StreamReader): Promise<Result<undefined>> {
      if (this.state !== 'connected' || !this.outbound || this.outbound.used) {
        data.cancel();
        return Promise.resolve(err('invalid-state'));
      }
      return this.outbound.send(data);
    }

    receive(): [PushSource | Uint8Array, Promise<Result<undefined>>] {
      if (this.state !== 'connected' || !this.inbound || this.inbound.used) {
        return [emptyStream(), Promise.resolve(err('invalid-state'))];
      }
      return this.inbound.receive();
    }

    getLocalAddress(): Result<SocketAddress> {
      return this.local ? ok(withPort(this.local, this.local.val.port)) : err('invalid-state');
    }

    getRemoteAddress(): Result<SocketAddress> {
      return this.remote && this.state === 'connected' ? ok(withPort(this.remote, this.remote.val.port)) : err('invalid-state');
    }

    getIsListening(): boolean { return this.state === 'listening'; }
    getAddressFamily(): Family { return this.family; }

    setListenBacklogSize(v: bigint): Result<undefined> {
      if (v === 0n) return err('invalid-argument');
      if (this.state === 'connecting' || this.state === 'connected') return err('invalid-state');
      this.opts.backlog = v;
      return ok(undefined);
    }

    getKeepAliveEnabled(): Result<boolean> { return ok(this.opts.keepAlive); }
    setKeepAliveEnabled(v: boolean): Result<undefined> { this.opts.keepAlive = v; return ok(undefined); }
    getKeepAliveIdleTime(): Result<bigint> { return ok(this.opts.keepAliveIdle); }
    setKeepAliveIdleTime(v: bigint): Result<undefined> { return this.setPositive('keepAliveIdle', v); }
    getKeepAliveInterval(): Result<bigint> { return ok(this.opts.keepAliveInterval); }
    setKeepAliveInterval(v: bigint): Result<undefined> { return this.setPositive('keepAliveInterval', v); }
    getKeepAliveCount(): Result<number> { return ok(this.opts.keepAliveCount); }
    setKeepAliveCount(v: number): Result<undefined> {
      if (v === 0) return err('invalid-argument');
      this.opts.keepAliveCount = v;
      return ok(undefined);
    }
    getHopLimit(): Result<number> { return ok(this.opts.hopLimit); }
    setHopLimit(v: number): Result<undefined> {
      if (v === 0) return err('invalid-argument');
      this.opts.hopLimit = v;
      return ok(undefined);
    }
    getReceiveBufferSize(): Result<bigint> { return ok(this.opts.receiveBuffer); }
    setReceiveBufferSize(v: bigint): Result<undefined> { return this.setPositive('receiveBuffer', v); }
    getSendBufferSize(): Result<bigint> { return ok(this.opts.sendBuffer); }
    setSendBufferSize(v: bigint): Result<undefined> { return this.setPositive('sendBuffer', v); }

    private setPositive(k: 'keepAliveIdle' | 'keepAliveInterval' | 'receiveBuffer' | 'sendBuffer', v: bigint): Result<undefined> {
      if (v === 0n) return err('invalid-argument');
      this.opts[k] = v > U64_MAX ? U64_MAX : v;
      return ok(undefined);
    }

    [Symbol.dispose](): void {
      if (this.state === 'closed') return;
      const wasListening = this.state === 'listening';
      this.state = 'closed';
      net?.unregister(this.sid);
      if (this.conn) {
        net!.forget(this.conn, this.registered && wire(this.registered));
        this.registered = null;
      } else this.release();
      if (wasListening) { this.refuseBacklog(); this.acceptWake?.(); }
      // Directions the guest never used end now: the peer reads to a FIN, and its writes fail.
      if (this.outbound && !this.outbound.used) this.outbound.close();
      if (this.inbound && !this.inbound.used) this.inbound.stop();
    }
  }
  return TcpSocket;
}
