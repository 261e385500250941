// The messages that cross threads. Byte streams travel on a MessagePort of their own, as
// transferred ArrayBuffers with credit-based flow control; calls travel through Comlink.
import type { Grants } from '../host/grants.js';

/** On a byte port: writer to reader. A chunk is the first `length` bytes of `chunk`. */
export type ByteMessage =
  | { type: 'chunk'; chunk: ArrayBuffer; length: number }
  /** A batch of a stream's elements that are not bytes (jco's JS values; one message per batch). */
  | { type: 'values'; values: unknown[] }
  | { type: 'end' }
  | { type: 'error'; message: string }
  /** The sender holds this Web Lock while its end lives: once the lock is free and the stream
   * has not ended, the sender's thread is gone (a terminated worker releases its locks). */
  | { type: 'watch'; lock: string };

/** On a byte port: reader to writer. Credit may bring chunks' buffers back for the writer to
 * fill again: reused memory is what lets bytes cross at memory speed (DESIGN.md). */
export type CreditMessage =
  | { type: 'credit'; bytes: number; buffers?: ArrayBuffer[] }
  | { type: 'cancel' }
  | { type: 'watch'; lock: string };

/** On a future's port: writer to reader (the value once, or an error) and reader to writer
 * ('cancel': the reader dropped its end). Each side may send 'watch' (see ByteMessage). */
export type FutureMessage =
  | { type: 'value'; value: unknown }
  | { type: 'error'; message: string }
  | { type: 'cancel' }
  | { type: 'watch'; lock: string };

/** A stream or future end crossing threads (a Comlink transfer handler, 'wasip3-ends', puts these
 * where the ends were in a call's arguments or result, and the port in the transfer list).
 * A stream's port speaks ByteMessage one way and CreditMessage the other: `bytes` streams
 * (stream<u8>) send chunks, others batches of values; `window` is the most units (bytes, or
 * elements) in flight. A future's port speaks FutureMessage. With `ring` (a crossOriginIsolated
 * page, LoadOptions.transport), a stream<u8>'s bytes go through that SharedArrayBuffer ring
 * (sab-ring.ts) instead of 'chunk' and 'credit' messages; the port carries the rest. */
export type EndWire =
  | { wasip3End: 'stream'; port: MessagePort; bytes: boolean; window: number; ring?: SharedArrayBuffer }
  | { wasip3End: 'future'; port: MessagePort };

/** A stream writer's counters, kept for tests and benchmarks (ComponentHandle.streamStats):
 * `written` bytes (or elements) the writer took from its source, `read` those the reader has
 * taken, `peakUnread` the most of written - read seen (at most window + one chunk), `messages`
 * the chunks or batches sent, `finishedAt` when it ended (ms since the epoch) or null, `ring`
 * whether its bytes went through a shared-memory ring (LoadOptions.transport). */
export interface StreamStats {
  written: number; read: number; peakUnread: number; messages: number; window: number; chunk: number; ring: boolean;
  done: boolean; finishedAt: number | null;
}

export type LoadPhase = 'fetch' | 'compile' | 'instantiate';
export interface Progress { phase: LoadPhase; loaded: number; total: number }

/** What the page asks a component worker to load. */
export interface LoadRequest {
  /** The component binary (fetched on the page while the worker started). */
  bytes: ArrayBuffer;
  /** Its core modules, compiled on the page meanwhile (compileComponent's `precompiled`). */
  modules: WebAssembly.Module[] | null;
  args: string[];
  env: [string, string][];
  cwd: string | null;
  stdout: MessagePort;
  stderr: MessagePort;
  stdin: MessagePort | null;
  /** What the page granted, checked on the page (checkGrants). */
  grants: Grants;
  /** The page's loopback network (NetRequest/NetMessage), when sockets are granted. */
  network?: MessagePort | null;
  /** Bytes a stream handed out of this worker may have in flight (LoadOptions.streamWindow). */
  streamWindow?: number;
  /** Another component's exported wasi:http handler (HandlerCall/HandlerReply), wired to this
   * component's imported handler (HttpGrant.handler). */
  httpHandler?: MessagePort | null;
  /** Whether this worker's stream<u8> ends go through shared-memory rings (LoadOptions.transport,
   * resolved on the page); the worker still falls back to ports if it is not crossOriginIsolated. */
  sharedMemory?: boolean;
}

/** A component export as the page sees it: a function, or an instance of functions; `future`
 * (`futures`) marks those whose result is a future. */
export type ExportInfo =
  | { kind: 'func'; name: string; future?: boolean }
  | { kind: 'instance'; name: string; funcs: string[]; futures?: string[] };

/** What went wrong in a worker, as it crosses to the page (thrown through Comlink as a plain
 * value): the page tells errors apart by kind, never by their message.
 * - trap: the component did what the Component Model forbids, or a host call failed; it is gone.
 * - link: an import is missing or mistyped. - invalid: the component fails validation.
 * - malformed: not a component binary. - denied: a capability that was not granted.
 * - error: anything else (a failed fetch, a bug). */
export type ErrorKind = 'trap' | 'link' | 'invalid' | 'malformed' | 'denied' | 'error';
export interface WireError { wasip3WebError: ErrorKind; name: string; message: string; stack?: string }

/** What a host package tells the page, beside calls' results (worker to page).
 * - messaging-overflow: counts since the last such event for that topic (at most one per topic
 *   per 100 ms, and the rest when the component ends). On the receiving component, `dropped`
 *   messages its full handler queue (`capacity` messages) dropped ('drop-oldest' or
 *   'drop-newest'); on a sending component, `waited`: sends that waited for room at a receiver
 *   whose setting is 'block' (capacity null: the receiver's).
 * - handler-trap: a handler the host called (an incoming message) trapped, or the component
 *   trapped in code that ran on after its call returned (an HTTP body written after the
 *   response; `export` is then the one called last): the component is gone (the page handle
 *   ends its worker on this event). For a message, `topic` and `preview` (its first 64 bytes
 *   as UTF-8) say which.
 * - handler-error: a handler returned an error for a message (the message is not retried). */
export type HostEvent =
  | { type: 'messaging-overflow'; topic: string; overflow: 'drop-oldest' | 'drop-newest' | 'block'; capacity: number | null; dropped: number; waited: number }
  | { type: 'handler-trap'; export: string; message: string; topic?: string; preview?: string }
  | { type: 'handler-error'; export: string; topic: string; error: string }
  /** A stream or future that came from another thread failed (its writer's worker ended):
   * the component saw its end close early. */
  | { type: 'stream-error'; message: string };

/** The worker's API, called from the page through Comlink. */
export interface ComponentWorkerApi {
  load(req: LoadRequest, onProgress?: (p: Progress) => void, onEvent?: (e: HostEvent) => void): Promise<ExportInfo[]>;
  run(): Promise<{ exitCode: number }>;
  /** Call an export. A function whose result is a future (ExportInfo's `future`) is given
   * `future`, a port where the future goes (FutureMessage), and resolves with nothing: the
   * page holds the other end from the start, so it can pass the future on unread. */
  call(path: string[], args: unknown[], future?: MessagePort): Promise<unknown>;
  /** The counters of the streams this worker has sent out (StreamStats). */
  streamStats(): Promise<StreamStats[]>;
  /** Tell the host packages the component is ending (terminate()). */
  dispose(): Promise<void>;
  /** Serve the page's HTTP requests (ComponentHandle.fetch) with the component's exported
   * wasi:http handler on a port of their own (HandlerCall; an 'error' reply carries its
   * WireError): a request is then one message each way, not a Comlink call's. */
  httpPort(port: MessagePort): Promise<void>;
  /** Serve the component's exported wasi:http handler on a port of its own (HandlerCall), for
   * a caller the page introduces it to: another component's worker or a Service Worker. */
  serveHandler(port: MessagePort): Promise<void>;
}

/** An HTTP body (byte-port.ts sendBody): none, all of it (one that ended at once within 64 KiB,
 * transferred in the message), or a byte port it streams on. */
export type BodyWire = MessagePort | ArrayBuffer | null;
/** An HTTP request for the component's handler. */
export interface HttpRequestWire { method: string; url: string; headers: [string, string][]; body: BodyWire }
/** The handler's response; a body that does not end at once streams as the component writes it. */
export interface HttpResponseWire { status: number; headers: [string, string][]; body: BodyWire }

// A component's exported wasi:http handler on a MessagePort of its own (src/channel/handler-port.ts),
// which the page hands to its caller: another component's worker (the middleware world) or a
// Service Worker (serveFromServiceWorker). Bodies travel on byte ports of their own, directly
// between the two threads.

/** Caller to handler: one request. */
export type HandlerCall = { type: 'request'; id: number; request: HttpRequestWire };
/** Handler to caller: a request's response or why it has none (a trap: the handler's component
 * is gone), and, first, the Web Lock the serving thread holds while it lives ('watch'): once it
 * is free, the handler is gone, and what is pending or streaming fails. */
export type HandlerReply =
  | { type: 'response'; id: number; response: HttpResponseWire }
  | { type: 'error'; id: number; message: string; error?: WireError }
  | { type: 'watch'; lock: string };
/** Between a page and the Service Worker of serveFromServiceWorker: the page hands it a handler
 * port (at registration, and whenever asked); the Service Worker asks every window for one when
 * it has none that lives (it was stopped and started again, or the handler's worker ended). */
export type ServiceWorkerMessage =
  | { type: 'wasip3-http-handler'; port: MessagePort }
  | { type: 'wasip3-http-connect'; scope: string };

// The loopback network of a page (src/page/network.ts) and a component's sockets
// (src/host/sockets/net.ts), on the MessagePort a load request carries (LoadRequest.network).
// Addresses are wasi:sockets `ip-socket-address` values (jco's mapping). Only introductions
// and datagrams cross here: a TCP connection's bytes flow over its own port, worker to worker,
// a byte port each way (ByteMessage for the bytes a side sends, CreditMessage and SocketAck for
// its answers to the other's: host/sockets/connection.ts).

/** A wasi:sockets ip-socket-address as it crosses. */
export type NetAddress =
  | { tag: 'ipv4'; val: { port: number; address: number[] } }
  | { tag: 'ipv6'; val: { port: number; flowInfo: number; address: number[]; scopeId: number } };

/** A wasi:sockets ip-address as it crosses. */
export type NetIp = { tag: 'ipv4'; val: number[] } | { tag: 'ipv6'; val: number[] };

/** Worker to network. Requests with an id get one NetReply; the others get none.
 * - bind: take `address` (port 0: an ephemeral one) for socket `sid`; replies the bound address.
 * - unbind: give a bound address back (the socket was dropped or failed to connect).
 * - listen: the socket bound at `address` accepts connections (its worker hears `accept`).
 * - connect: from the bound `from` to `to`; `port` is the connection's other end (both
 *   directions), handed to the listener's worker. `from` is null for an unbound socket: the
 *   network picks the local address (on loopback an ephemeral port, bound for socket `sid` as
 *   a bind would, in the same request; on the host's network the host's). The reply's `ok` is
 *   the local address the connection has.
 * - datagram: a UDP payload from the bound `from` to `to` (dropped if nobody is bound there).
 * - closed: a socket of connection `conn` was dropped (the network forgets the connection);
 *   `refused`: the listener's worker never took it (it stopped accepting, or its listener is
 *   gone), and the other end is reset, as a TCP RST would. `unbind`: the socket's address
 *   is given back too, as an unbind would (one message where a dropped connection needed two).
 * - lookup: resolve a name on the host's network (ip-name-lookup); the reply's `addresses`. */
export type NetRequest =
  | { op: 'bind'; id: number; proto: 'tcp' | 'udp'; address: NetAddress; sid: number }
  | { op: 'unbind'; proto: 'tcp' | 'udp'; address: NetAddress }
  | { op: 'listen'; id: number; address: NetAddress }
  | { op: 'connect'; id: number; from: NetAddress | null; to: NetAddress; port: MessagePort; sid: number }
  | { op: 'datagram'; from: NetAddress; to: NetAddress; data: ArrayBuffer; length: number }
  | { op: 'closed'; conn: number; refused?: true; unbind?: NetAddress }
  | { op: 'lookup'; id: number; name: string };

/** Network to worker: a request's answer (`ok`, or a wasi:sockets error-code name), or news
 * for one of its sockets: an inbound connection for listener `sid` (its local and remote
 * addresses, and its port), or a datagram for UDP socket `sid`, or
 * the end of the worker at the other end of connection `conn` (connect's reply names it). */
export type NetMessage =
  | { type: 'reply'; id: number; ok?: NetAddress | null; err?: string; conn?: number; addresses?: NetIp[] }
  | { type: 'accept'; sid: number; conn: number; local: NetAddress; remote: NetAddress; port: MessagePort }
  | { type: 'peer-gone'; conn: number }
  | { type: 'datagram'; sid: number; from: NetAddress; data: ArrayBuffer; length: number };

/** On a TCP connection's byte port, reader to writer, after the writer's 'end': the reading
 * socket had it ('fin-ack': every byte arrived), or had stopped reading ('cancel'). */
export type SocketAck = { type: 'fin-ack' };

// The host's network (the CLI's --inherit-network): the page's network (src/page/network.ts)
// defers every bind, listen, connect, datagram and lookup to a bridge in Node (bin/sockets.mjs)
// that holds real sockets. Addresses cross as text, in Node's form; `sock` is the host's number
// for one of its sockets. Bytes cross in chunks, each side waiting for the other's answer before
// the next: that answer is the backpressure, both ways.

/** An address on the host's network: an IP literal (127.0.0.1, ::1) and a port. */
export interface HostAddress { address: string; port: number }

/** Page to host, each answered by a HostNetReply.
 * - bind: take `local` (port 0: the host picks) for a TCP socket (held, refusing connections
 *   until it listens) or a UDP one (receiving: 'datagram' events).
 * - listen: bound TCP socket `sock` accepts connections ('accept' events).
 * - connect: TCP to `remote`, from bound socket `sock` (0: unbound, the host picks); the
 *   reply's `sock` is the connection.
 * - read: the page is ready for connection `sock`'s bytes (the host reads none before: its
 *   'data' cannot overtake the reply or accept that names the connection).
 * - send: bytes on connection `sock`, answered once the host has taken them (its write drained).
 * - end: a FIN on connection `sock`, after its bytes.
 * - close: the page is done with `sock` (a connection closes once its bytes are out; with
 *   `reset`, at once, with a RST: the component refused it).
 * - datagram: a UDP payload from bound socket `sock` to `remote`.
 * - lookup: a name through the host's resolver (`addresses`). */
export type HostNetRequest =
  | { op: 'bind'; proto: 'tcp' | 'udp'; local: HostAddress }
  | { op: 'listen'; sock: number }
  | { op: 'connect'; sock: number; remote: HostAddress }
  | { op: 'read'; sock: number }
  | { op: 'send'; sock: number; data: Uint8Array }
  | { op: 'end'; sock: number }
  | { op: 'close'; sock: number; reset?: true }
  | { op: 'datagram'; sock: number; remote: HostAddress; data: Uint8Array }
  | { op: 'lookup'; name: string };

/** The host's answer: done (with the socket it made, its local address, or the addresses a
 * name resolved to), or a wasi:sockets error-code name (a lookup's: ip-name-lookup's). */
export type HostNetReply =
  | { ok: true; sock?: number; local?: HostAddress; addresses?: string[] }
  | { ok: false; err: string };

/** Host to page; the page's answer (a Promise of whether it still reads) paces a connection's
 * 'data': the host sends its next bytes once the last have been taken.
 * - accept: listener `listener` has a new connection `sock`.
 * - data: bytes from the peer of `sock`; end: its FIN; error: the connection failed (an
 *   error-code name).
 * - datagram: a UDP payload for bound socket `sock` from `remote`. */
export type HostNetEvent =
  | { type: 'accept'; listener: number; sock: number; local: HostAddress; remote: HostAddress }
  | { type: 'data'; sock: number; data: Uint8Array }
  | { type: 'end'; sock: number }
  | { type: 'error'; sock: number; err: string }
  | { type: 'datagram'; sock: number; remote: HostAddress; data: Uint8Array };

/** What the page's network sends host requests through (LoopbackNetwork.inherit). */
export interface HostNetBridge { request(r: HostNetRequest): Promise<HostNetReply> }
