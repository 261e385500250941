// wasi:sockets/types@0.3.0, udp-socket, on the page's loopback network: a bound socket is
// registered there; a datagram goes to the network as one message (its buffer transferred)
// and on to whichever socket is bound at its destination, boundaries kept. A datagram to an
// address nobody is bound at is lost, as UDP's are.
import {
  bindProblem, isSocketAddress, isUnspecified, ipOf, loopbackOf, maxDatagram, remoteProblem,
  socketAddress, formatSocketAddress, unspecifiedOf, withPort, type Family, type SocketAddress,
} from './address.js';
import { err, ok, wire, type Net, type Result } from './net.js';

/** Datagrams a socket holds for its guest before it drops new ones (a full receive buffer). */
const QUEUE = 1024;
const U64_MAX = (1n << 64n) - 1n;

export function udpSocketClass(net: Net | null) {
  class UdpSocket {
    private local: SocketAddress | null = null;
    private remote: SocketAddress | null = null;
    private readonly sid: number;
    private readonly queue: [Uint8Array, SocketAddress][] = [];
    private readonly waiting: (() => void)[] = [];
    private closed = false;
    private busy = false;
    private hopLimit = 64;
    private receiveBuffer = 212992n;
    private sendBuffer = 212992n;

    private constructor(private readonly family: Family) {
      this.sid = net ? net.register({ datagram: (from, data) => this.arrived(from, data) }) : 0;
    }

    static create(f: unknown): Result<UdpSocket> {
      if (f !== 'ipv4' && f !== 'ipv6') throw new TypeError(`not an ip-address-family: ${String(f)}`);
      return ok(new UdpSocket(f));
    }

    private arrived(from: SocketAddress, data: Uint8Array): void {
      // A connected socket hears its peer only, as connect(2) filters.
      if (this.remote && formatSocketAddress(from) !== formatSocketAddress(this.remote)) return;
      if (this.queue.length >= QUEUE) return;
      this.queue.push([data, from]);
      this.waiting.shift()?.();
    }

    private async take(a: SocketAddress): Promise<Result<undefined>> {
      const r = await net!.request({ op: 'bind', proto: 'udp', address: wire(a), sid: this.sid });
      if ('err' in r) return err(r.err);
      this.local = r.ok;
      return ok(undefined);
    }

    /** Bound, implicitly to an ephemeral port if not yet: on loopback, or on the host's
     * network the unspecified address (so it can reach any host, as an OS binds it). */
    private async bound(): Promise<Result<undefined>> {
      if (this.local) return ok(undefined);
      return this.take(socketAddress(net!.host ? unspecifiedOf(this.family) : loopbackOf(this.family), 0));
    }

    bind(a: SocketAddress): Result<undefined> | Promise<Result<undefined>> {
      if (this.local || this.busy) return err('invalid-state');
      if (!isSocketAddress(a)) return err('invalid-argument');
      const p = bindProblem(this.family, a, net?.host);
      if (p) return err(p);
      if (!net) return err('access-denied');
      this.busy = true;
      return this.take(a).finally(() => { this.busy = false; });
    }

    connect(to: SocketAddress): Result<undefined> | Promise<Result<undefined>> {
      if (!isSocketAddress(to)) return err('invalid-argument');
      const p = remoteProblem(this.family, to, net?.host);
      if (p) return err(p);
      if (!net) return err('access-denied');
      const set = (): Result<undefined> => {
        this.remote = socketAddress(ipOf(to), to.val.port);
        // Datagrams from others that wait are no longer this socket's to read.
        const mine = this.queue.filter(([, f]) => formatSocketAddress(f) === formatSocketAddress(this.remote!));
        this.queue.splice(0, this.queue.length, ...mine);
        return ok(undefined);
      };
      if (this.local) return set();
      return this.bound().then((r) => (r.tag === 'ok' ? set() : r));
    }

    disconnect(): Result<undefined> {
      if (!this.remote) return err('invalid-state');
      this.remote = null;
      return ok(undefined);
    }

    async send(data: Uint8Array, to: SocketAddress | undefined): Promise<Result<undefined>> {
      if (this.closed) return err('invalid-state');
      if (data.byteLength > maxDatagram(this.family)) return err('datagram-too-large');
      let dest: SocketAddress;
      if (to === undefined || to === null) {
        if (!this.remote) return err('invalid-argument');
        dest = this.remote;
      } else {
        if (!isSocketAddress(to)) return err('invalid-argument');
        const p = remoteProblem(this.family, to, net?.host);
        if (p) return err(p);
        if (this.remote && formatSocketAddress(to) !== formatSocketAddress(this.remote)) return err('invalid-argument');
        dest = to;
      }
      if (!net) return err('access-denied');
      const b = await this.bound();
      if (b.tag === 'err') return b;
      let from = this.local!;
      if (isUnspecified(ipOf(from))) from = socketAddress(loopbackOf(this.family), from.val.port);
      const own = data.byteOffset === 0 && data.buffer instanceof ArrayBuffer && data.byteLength === data.buffer.byteLength
        ? data.buffer : data.slice().buffer;
      net!.post({ op: 'datagram', from: wire(from), to: wire(dest), data: own, length: data.byteLength }, [own]);
      return ok(undefined);
    }

    async receive(): Promise<Result<[Uint8Array, SocketAddress]>> {
      if (!this.local) return err('invalid-state');
      while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => this.waiting.push(r));
      const d = this.queue.shift();
      if (!d) return err('invalid-state');
      return ok(d);
    }

    // For WASI 0.2's udp streams (../p2/sockets.ts), which wrap this socket.
    p2Take(max: number): [Uint8Array, SocketAddress][] { return this.queue.splice(0, max); }
    async p2Receivable(): Promise<void> {
      while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => this.waiting.push(r));
    }
    get p2Bound(): boolean { return this.local !== null; }

    getLocalAddress(): Result<SocketAddress> {
      return this.local ? ok(withPort(this.local, this.local.val.port)) : err('invalid-state');
    }
    getRemoteAddress(): Result<SocketAddress> {
      return this.remote ? ok(withPort(this.remote, this.remote.val.port)) : err('invalid-state');
    }
    getAddressFamily(): Family { return this.family; }

    getUnicastHopLimit(): Result<number> { return ok(this.hopLimit); }
    setUnicastHopLimit(v: number): Result<undefined> {
      if (v === 0) return err('invalid-argument');
      this.hopLimit = v;
      return ok(undefined);
    }
    getReceiveBufferSize(): Result<bigint> { return ok(this.receiveBuffer); }
    setReceiveBufferSize(v: bigint): Result<undefined> {
      if (v === 0n) return err('invalid-argument');
      this.receiveBuffer = v > U64_MAX ? U64_MAX : v;
      return ok(undefined);
    }
    getSendBufferSize(): Result<bigint> { return ok(this.sendBuffer); }
    setSendBufferSize(v: bigint): Result<undefined> {
      if (v === 0n) return err('invalid-argument');
      this.sendBuffer = v > U64_MAX ? U64_MAX : v;
      return ok(undefined);
    }

    [Symbol.dispose](): void {
      if (this.closed) return;
      this.closed = true;
      net?.unregister(this.sid);
      if (this.local) net!.post({ op: 'unbind', proto: 'udp', address: wire(this.local) });
      for (const w of this.waiting.splice(0)) w();
    }
  }
  return UdpSocket;
}
