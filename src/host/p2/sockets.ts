// wasi:sockets@0.2 on the page's loopback network, the one wasi:sockets@0.3.0 uses
// (../sockets/): each 0.2 socket wraps a 0.3 one, so a 0.2 component and a 0.3 component
// connect to each other. 0.2's start/finish pairs run the 0.3 call and keep its result for
// finish (would-block until it settles; subscribe is a pollable on it); a connection's
// input and output streams are preview2-shim's, on the 0.3 connection's byte ports. Without
// `sockets: 'loopback'`, creating a socket and resolving a name answer access-denied. The
// shim's classes hold their methods as instance fields, where a host resource's methods must
// be on the prototype, so these are written here.
import { neverSuspends, throwsErrors } from '../../runtime/index.js';
import type { ComponentState } from '../state.js';
import { netOf, type Result } from '../sockets/net.js';
import { tcpSocketClass } from '../sockets/tcp.js';
import { udpSocketClass } from '../sockets/udp.js';
import { resolveLoopback, type IpAddress, type SocketAddress } from '../sockets/address.js';
import { resolveName } from '../sockets/ip-name-lookup.js';
import type { Inbound, Outbound } from '../sockets/connection.js';
import { inputStream, outputStream, pollable } from './io.js';

/** What check-write permits at once. */
const PERMIT = 1n << 20n;

class Network {}
const theNetwork = new Network();

/** A 0.3 result's value, or its error thrown as 0.2's error-code (0.2 has no connection-broken). */
function unwrap<T>(r: Result<T>): T {
  if (r.tag === 'ok') return r.val;
  throw r.val.tag === 'connection-broken' ? 'connection-reset' : r.val.tag;
}

/** A 0.2 input and output stream on a connection's two directions. */
function connectionStreams(inbound: Inbound, outbound: Outbound): [unknown, unknown] {
  const input = inputStream({
    read(len: bigint): Uint8Array {
      const b = inbound.readNow(Number(len > 1n << 30n ? 1n << 30n : len));
      if (b === null) throw { tag: 'closed' };
      return b;
    },
    async blockingRead(len: bigint): Promise<Uint8Array> {
      await inbound.readable();
      const b = inbound.readNow(Number(len > 1n << 30n ? 1n << 30n : len));
      if (b === null) throw { tag: 'closed' };
      return b;
    },
    subscribe: () => pollable(inbound.readable()),
  });
  let pending: Promise<boolean> | null = null;
  let broken = false;
  const check = () => { if (broken) throw { tag: 'closed' }; };
  const write = (buf: Uint8Array): void => {
    check();
    const r = outbound.write(buf.slice());
    if (r === false) { broken = true; return; }
    if (r instanceof Promise) {
      const p: Promise<boolean> = r.then((ok) => { if (!ok) broken = true; if (pending === p) pending = null; return ok; });
      pending = p;
    }
  };
  const flush = async (): Promise<void> => { while (pending) await pending; check(); };
  const output = outputStream({
    checkWrite: () => { check(); return pending ? 0n : PERMIT; },
    write,
    flush: () => check(),
    blockingFlush: flush,
    async blockingWriteAndFlush(buf: Uint8Array): Promise<void> { await flush(); write(buf); await flush(); },
    subscribe: () => pollable(pending ?? undefined),
  });
  return [input, output];
}

type Tcp3 = Extract<ReturnType<ReturnType<typeof tcpSocketClass>['create']>, { tag: 'ok' }>['val'];
type Udp3 = Extract<ReturnType<ReturnType<typeof udpSocketClass>['create']>, { tag: 'ok' }>['val'];

/** An operation started and not yet finished, and its settled result once it is. */
interface Op<T> { kind: string; done: Promise<void>; result: Result<T> | null }

function start<T>(kind: string, r: Result<T> | Promise<Result<T>>): Op<T> {
  const op: Op<T> = { kind, done: Promise.resolve(), result: null };
  if (r instanceof Promise) op.done = r.then((x) => { op.result = x; });
  else op.result = r;
  return op;
}

export function sockets(state: ComponentState): Record<string, object> {
  const net = netOf(state);
  const Tcp3 = tcpSocketClass(net);
  const Udp3 = udpSocketClass(net);

  class TcpSocket {
    private op: Op<unknown> | null = null;
    private streams: [unknown, unknown] | null = null;
    constructor(readonly inner: Tcp3) {}

    private begin(kind: string, r: Result<unknown> | Promise<Result<unknown>>): void {
      if (this.op) throw 'concurrency-conflict';
      const op = start(kind, r);
      // Errors a start can tell at once are its own.
      if (op.result?.tag === 'err') unwrap(op.result);
      this.op = op;
    }

    private finish(kind: string): unknown {
      const op = this.op;
      if (!op || op.kind !== kind) throw 'not-in-progress';
      if (!op.result) throw 'would-block';
      this.op = null;
      return unwrap(op.result);
    }

    startBind(_n: Network, a: SocketAddress): void { this.begin('bind', this.inner.bind(a)); }
    finishBind(): void { this.finish('bind'); }
    startConnect(_n: Network, a: SocketAddress): void { this.begin('connect', this.inner.connect(a)); }
    finishConnect(): [unknown, unknown] {
      this.finish('connect');
      const s = this.inner.p2Streams()!;
      return this.streams = connectionStreams(s.inbound, s.outbound);
    }
    startListen(): void { this.begin('listen', this.inner.listen()); }
    finishListen(): void {
      const stream = this.finish('listen') as ReadableStream;
      void stream; // 0.2 accepts through accept(), not the 0.3 stream
    }
    accept(): [TcpSocket, unknown, unknown] {
      if (!this.inner.getIsListening()) throw 'invalid-state';
      const s = this.inner.p2Accept();
      if (!s) throw 'would-block';
      const sock = new TcpSocket(s);
      const d = s.p2Streams()!;
      sock.streams = connectionStreams(d.inbound, d.outbound);
      return [sock, ...sock.streams];
    }
    localAddress(): SocketAddress { return unwrap(this.inner.getLocalAddress()); }
    remoteAddress(): SocketAddress { return unwrap(this.inner.getRemoteAddress()); }
    isListening(): boolean { return this.inner.getIsListening(); }
    addressFamily(): string { return this.inner.getAddressFamily(); }
    setListenBacklogSize(v: bigint): void { unwrap(this.inner.setListenBacklogSize(v)); }
    keepAliveEnabled(): boolean { return unwrap(this.inner.getKeepAliveEnabled()); }
    setKeepAliveEnabled(v: boolean): void { unwrap(this.inner.setKeepAliveEnabled(v)); }
    keepAliveIdleTime(): bigint { return unwrap(this.inner.getKeepAliveIdleTime()); }
    setKeepAliveIdleTime(v: bigint): void { unwrap(this.inner.setKeepAliveIdleTime(v)); }
    keepAliveInterval(): bigint { return unwrap(this.inner.getKeepAliveInterval()); }
    setKeepAliveInterval(v: bigint): void { unwrap(this.inner.setKeepAliveInterval(v)); }
    keepAliveCount(): number { return unwrap(this.inner.getKeepAliveCount()); }
    setKeepAliveCount(v: number): void { unwrap(this.inner.setKeepAliveCount(v)); }
    hopLimit(): number { return unwrap(this.inner.getHopLimit()); }
    setHopLimit(v: number): void { unwrap(this.inner.setHopLimit(v)); }
    receiveBufferSize(): bigint { return unwrap(this.inner.getReceiveBufferSize()); }
    setReceiveBufferSize(v: bigint): void { unwrap(this.inner.setReceiveBufferSize(v)); }
    sendBufferSize(): bigint { return unwrap(this.inner.getSendBufferSize()); }
    setSendBufferSize(v: bigint): void { unwrap(this.inner.setSendBufferSize(v)); }
    subscribe(): unknown {
      if (this.op && !this.op.result) return pollable(this.op.done);
      if (this.inner.getIsListening()) return pollable(this.inner.p2Acceptable());
      return pollable();
    }
    shutdown(how: 'receive' | 'send' | 'both'): void {
      const s = this.inner.p2Streams();
      if (!s) throw 'invalid-state';
      if (how !== 'send') s.inbound.stop();
      if (how !== 'receive') s.outbound.shutdown();
    }
    [Symbol.dispose](): void { this.inner[Symbol.dispose](); }
  }

  class IncomingDatagramStream {
    constructor(private readonly inner: Udp3) {}
    receive(max: bigint): { data: Uint8Array; remoteAddress: SocketAddress }[] {
      return this.inner.p2Take(Number(max > 65536n ? 65536n : max)).map(([data, remoteAddress]) => ({ data, remoteAddress }));
    }
    subscribe(): unknown { return pollable(this.inner.p2Receivable()); }
  }

  class OutgoingDatagramStream {
    constructor(private readonly inner: Udp3) {}
    checkSend(): bigint { return 64n; }
    async send(datagrams: { data: Uint8Array; remoteAddress?: SocketAddress }[]): Promise<bigint> {
      let n = 0;
      for (const d of datagrams) {
        const r = await this.inner.send(d.data, d.remoteAddress);
        if (r.tag === 'err') { if (n === 0) unwrap(r); break; }
        n++;
      }
      return BigInt(n);
    }
    subscribe(): unknown { return pollable(); }
  }

  class UdpSocket {
    private op: Op<unknown> | null = null;
    constructor(private readonly inner: Udp3) {}
    startBind(_n: Network, a: SocketAddress): void {
      if (this.op) throw 'concurrency-conflict';
      const op = start('bind', this.inner.bind(a));
      if (op.result?.tag === 'err') unwrap(op.result);
      this.op = op;
    }
    finishBind(): void {
      const op = this.op;
      if (!op) throw 'not-in-progress';
      if (!op.result) throw 'would-block';
      this.op = null;
      unwrap(op.result);
    }
    async stream(remote: SocketAddress | undefined): Promise<[IncomingDatagramStream, OutgoingDatagramStream]> {
      if (!this.inner.p2Bound) throw 'invalid-state';
      if (remote) unwrap(await this.inner.connect(remote));
      else if (this.inner.getRemoteAddress().tag === 'ok') unwrap(this.inner.disconnect());
      return [new IncomingDatagramStream(this.inner), new OutgoingDatagramStream(this.inner)];
    }
    localAddress(): SocketAddress { return unwrap(this.inner.getLocalAddress()); }
    remoteAddress(): SocketAddress { return unwrap(this.inner.getRemoteAddress()); }
    addressFamily(): string { return this.inner.getAddressFamily(); }
    unicastHopLimit(): number { return unwrap(this.inner.getUnicastHopLimit()); }
    setUnicastHopLimit(v: number): void { unwrap(this.inner.setUnicastHopLimit(v)); }
    receiveBufferSize(): bigint { return unwrap(this.inner.getReceiveBufferSize()); }
    setReceiveBufferSize(v: bigint): void { unwrap(this.inner.setReceiveBufferSize(v)); }
    sendBufferSize(): bigint { return unwrap(this.inner.getSendBufferSize()); }
    setSendBufferSize(v: bigint): void { unwrap(this.inner.setSendBufferSize(v)); }
    subscribe(): unknown { return this.op && !this.op.result ? pollable(this.op.done) : pollable(); }
    [Symbol.dispose](): void { this.inner[Symbol.dispose](); }
  }

  /** The addresses once resolved (on the host's network the name goes to the host: until
   * then, would-block, and the pollable waits for the answer). */
  class ResolveAddressStream {
    private left: IpAddress[] | null = null;
    private err: string | null = null;
    private readonly done: Promise<void>;
    constructor(answer: Promise<{ ok: IpAddress[] } | { err: string }>, now?: IpAddress[]) {
      if (now) this.left = now;
      this.done = answer.then((r) => { if ('ok' in r) this.left = r.ok; else this.err = r.err; });
    }
    resolveNextAddress(): IpAddress | undefined {
      if (this.err) throw this.err;
      if (!this.left) throw 'would-block';
      return this.left.shift();
    }
    subscribe(): unknown { return pollable(this.left || this.err ? undefined : this.done); }
  }

  return {
    network: neverSuspends({ Network, networkErrorCode: (): undefined => undefined }),
    'instance-network': neverSuspends({ instanceNetwork: () => theNetwork }),
    'ip-name-lookup': throwsErrors({
      ResolveAddressStream,
      resolveAddresses(_n: Network, name: string): ResolveAddressStream {
        if (!net) throw 'access-denied';
        // An invalid name is refused here; on the host's network the rest is the stream's to tell.
        const r = resolveLoopback(name);
        if (!net.host || ('err' in r && r.err === 'invalid-argument')) {
          if ('err' in r) throw r.err;
          return new ResolveAddressStream(Promise.resolve(r), r.ok);
        }
        return new ResolveAddressStream(resolveName(net, name));
      },
    }),
    tcp: throwsErrors({ TcpSocket }),
    'tcp-create-socket': throwsErrors({
      createTcpSocket(family: 'ipv4' | 'ipv6'): TcpSocket {
        if (!net) throw 'access-denied';
        return new TcpSocket(unwrap(Tcp3.create(family)));
      },
    }),
    udp: throwsErrors({ UdpSocket, IncomingDatagramStream, OutgoingDatagramStream }),
    'udp-create-socket': throwsErrors({
      createUdpSocket(family: 'ipv4' | 'ipv6'): UdpSocket {
        if (!net) throw 'access-denied';
        return new UdpSocket(unwrap(Udp3.create(family)));
      },
    }),
  };
}
