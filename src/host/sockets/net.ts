// A component's end of the page's loopback network (src/page/network.ts): requests with
// replies (bind, listen, connect), and the news the network brings its sockets (an accepted
// connection, a datagram), by socket id. One per component, made from its state's port.
// `host`: the component was granted the host's network (`sockets: 'host'`, the CLI's
// --inherit-network), where any address may be bound or reached and names resolve.
import type { NetAddress, NetMessage, NetRequest } from '../../channel/protocol.js';
import type { ComponentState } from '../state.js';
import type { IpAddress, SocketAddress } from './address.js';

/** A wasi:sockets error-code, as its JS value ({ tag }). */
export type ErrorCode =
  | 'access-denied' | 'not-supported' | 'invalid-argument' | 'out-of-memory' | 'timeout'
  | 'invalid-state' | 'address-not-bindable' | 'address-in-use' | 'remote-unreachable'
  | 'connection-refused' | 'connection-broken' | 'connection-reset' | 'connection-aborted'
  | 'datagram-too-large';
export type Result<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: { tag: ErrorCode } };
export const ok = <T>(val: T): Result<T> => ({ tag: 'ok', val });
export const err = <T = never>(code: ErrorCode): Result<T> => ({ tag: 'err', val: { tag: code } });

/** What a socket hears from the network. */
export interface NetListener {
  accept?(conn: number, local: SocketAddress, remote: SocketAddress, port: MessagePort): void;
  datagram?(from: SocketAddress, data: Uint8Array): void;
}

type RequestBody = NetRequest extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never;

export class Net {
  private nextId = 1;
  private nextSid = 1;
  private readonly pending = new Map<number, (m: Extract<NetMessage, { type: 'reply' }>) => void>();
  private readonly sockets = new Map<number, NetListener>();
  /** What to do when the worker at the other end of a connection ends, by connection id. */
  private readonly conns = new Map<number, () => void>();

  constructor(private readonly port: MessagePort, readonly host = false) {
    port.onmessage = (e: MessageEvent<NetMessage>) => {
      const m = e.data;
      if (m.type === 'reply') {
        const f = this.pending.get(m.id);
        this.pending.delete(m.id);
        f?.(m);
      } else if (m.type === 'accept') {
        const s = this.sockets.get(m.sid);
        if (s?.accept) s.accept(m.conn, m.local as SocketAddress, m.remote as SocketAddress, m.port);
        else this.refuse(m.conn, m.port); // the listener is gone
      } else if (m.type === 'peer-gone') {
        const f = this.conns.get(m.conn);
        this.conns.delete(m.conn);
        f?.();
      } else if (m.type === 'datagram') {
        this.sockets.get(m.sid)?.datagram?.(m.from as SocketAddress, new Uint8Array(m.data, 0, m.length));
      }
    };
  }

  /** A new socket id, whose news goes to `listener`. */
  register(listener: NetListener): number {
    const sid = this.nextSid++;
    this.sockets.set(sid, listener);
    return sid;
  }

  unregister(sid: number): void { this.sockets.delete(sid); }

  /** A request and its reply: the address it gave (or null), or the error-code. */
  request(body: RequestBody, transfer: Transferable[] = []): Promise<{ ok: SocketAddress | null; conn?: number } | { err: ErrorCode }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (m) => resolve(m.err ? { err: m.err as ErrorCode } : { ok: (m.ok ?? null) as SocketAddress | null, conn: m.conn }));
      this.port.postMessage({ ...body, id } as NetRequest, transfer);
    });
  }

  /** Resolve a name on the host's network: its addresses, or ip-name-lookup's error-code. */
  lookup(name: string): Promise<{ ok: IpAddress[] } | { err: string }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (m) => resolve(m.err ? { err: m.err } : { ok: (m.addresses ?? []) as IpAddress[] }));
      this.port.postMessage({ op: 'lookup', id, name } satisfies NetRequest);
    });
  }

  /** Watch connection `conn`: `gone` runs if the worker at its other end ends. */
  watch(conn: number, gone: () => void): void { this.conns.set(conn, gone); }

  /** This end of connection `conn` is dropped: the network forgets it, and the address the
   * socket held (`unbind`, if any) with it. */
  forget(conn: number, unbind: NetAddress | null = null): void {
    if (!this.conns.delete(conn)) {
      if (unbind) this.post({ op: 'unbind', proto: 'tcp', address: unbind });
      return;
    }
    this.post(unbind ? { op: 'closed', conn, unbind } : { op: 'closed', conn });
  }

  /** Connection `conn` reached a listener that does not take it: its port closes, and the
   * network resets the other end (which would otherwise wait on a port nobody reads). */
  refuse(conn: number, port: MessagePort): void {
    port.close();
    this.post({ op: 'closed', conn, refused: true });
  }

  /** A message without a reply (unbind, datagram, closed). */
  post(m: Extract<NetRequest, { op: 'unbind' | 'datagram' | 'closed' }>, transfer: Transferable[] = []): void {
    this.port.postMessage(m, transfer);
  }

  close(): void {
    this.sockets.clear();
    this.port.close();
  }
}

const NETS = new WeakMap<ComponentState, Net | null>();

/** The component's end of the network: null unless it was granted sockets (and given a port). */
export function netOf(state: ComponentState): Net | null {
  let n = NETS.get(state);
  if (n === undefined) {
    const g = state.grants.sockets;
    n = g && state.network ? new Net(state.network, g === 'host') : null;
    NETS.set(state, n);
  }
  return n;
}

/** As it crosses to the network. */
export const wire = (a: SocketAddress): NetAddress => a as NetAddress;
