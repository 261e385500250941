// The message bus under wasi:messaging: endpoints (a component's host in its worker, or the
// page) that find each other and exchange messages over BroadcastChannel, in any worker or tab
// of the origin. Knows nothing of components.
//
// - Directory: every endpoint holds a Web Lock named after its id while it lives, and announces
//   its subscription patterns on one control channel (`wasip3-web:messaging`). A newcomer asks
//   navigator.locks.query() who is alive, announces itself, and is ready once each of them has
//   answered with its own patterns (or 1 s passed): from then on every live endpoint routes to
//   it and it routes to them. An endpoint that ends says so; one that dies (a terminated worker,
//   a closed tab) releases its lock, which every peer is waiting to take: it is dropped at once.
// - Data: each endpoint reads one inbox channel (`wasip3-web:messaging:<id>`). A sender posts a
//   message for topic T once to the inbox of each endpoint with a pattern covering T. So each
//   receiver gets a sender's messages in the order sent, across topics, exactly once.
// - Credit ('block'): an endpoint whose queue holds its senders announces a window w. A sender
//   keeps at most w messages unhandled at that receiver (it numbers its messages to each receiver
//   and the receiver acks, cumulatively, every w/4 handled and 50 ms after the last); a send
//   beyond that waits, and later sends to that receiver wait behind it, so order holds.
// - Request-reply: a request carries a number; a reply goes straight to the requester's inbox.
import { PatternSet } from './topics.js';

/** The control channel every endpoint listens to. */
export const CONTROL_CHANNEL = 'wasip3-web:messaging';
const PREFIX = 'wasip3-web:messaging:';
/** How long a newcomer waits for live peers to answer before it goes on without them. */
const READY_MS = 1000;
/** Credit not yet returned goes back this long (ms) after the last handled message. Senders
 * never need it to go on (a full window is acked every window/4 handled): it only tidies up, so
 * it is long, and a request-reply loop does not pay a post for an ack every few messages. */
const ACK_MS = 50;
/** A burst of sends to one peer (sends in one task, the guest not yielding between them) goes
 * out in posts of at most this many messages or bytes: a BroadcastChannel post costs ~40 µs
 * of the sender's time and as much again in the browser, whatever its size. */
const BATCH_MESSAGES = 256;
const BATCH_BYTES = 1 << 20;

/** A message as it travels: topic, bytes, optional content type and metadata. */
export interface WireMessage {
  topic: string;
  data: Uint8Array;
  contentType?: string;
  metadata?: [string, string][];
}

/** A message as an endpoint receives it. */
export interface Received extends WireMessage {
  /** The sending endpoint. */
  readonly from: string;
  /** The sender's number for it, to this receiver (0: not counted against credit). */
  readonly seq: number;
  /** Set on a request: the number its replies carry. */
  readonly rq?: number;
}

type ControlMessage =
  | { t: 'hello'; id: string; patterns: string[]; window: number }
  | { t: 'bye'; id: string };

type InboxMessage =
  | { t: 'peer'; id: string; patterns: string[]; window: number }
  | { t: 'msg'; from: string; seq: number; m: WireMessage; rq?: number }
  | { t: 'reply'; from: string; rq: number; m: WireMessage }
  | { t: 'ack'; from: string; seq: number }
  | { t: 'batch'; ms: InboxMessage[] };

interface Backlogged { m: WireMessage; rq: number | undefined; done: () => void }

class Peer {
  patterns: PatternSet;
  window: number;
  out: BroadcastChannel | null = null;
  /** Messages numbered to this peer, and the highest it acked. */
  seq = 0;
  acked = 0;
  /** Sends waiting for credit, in order. */
  readonly backlog: Backlogged[] = [];
  /** The burst under way: messages not yet posted (null: no burst, the next send goes at
   * once), and their bytes. */
  batch: InboxMessage[] | null = null;
  batchBytes = 0;
  constructor(readonly id: string, patterns: string[], window: number) {
    this.patterns = new PatternSet(patterns);
    this.window = window;
  }
}

interface PendingRequest { replies: Received[]; expected: number; finish: () => void }

/** What an endpoint does with what it receives. */
export interface EndpointHooks {
  /** A message for one of its patterns (from another endpoint, or itself). */
  onMessage?(m: Received): void;
  /** A send to `topic` had to wait for a receiver's room ('block'). */
  onWaited?(topic: string): void;
}

/** Outcome of a request: the replies, or a timeout with none. */
export type RequestOutcome = { tag: 'ok'; val: Received[] } | { tag: 'timeout' };

/** One party on the bus. */
export class Endpoint {
  readonly id: string = crypto.randomUUID();
  /** Resolves once live peers know this endpoint (see the directory, above). */
  readonly ready: Promise<void>;
  private isReady = false;
  private closed = false;
  private patterns = new PatternSet([]);
  private window = 0;
  private control: BroadcastChannel | null = null;
  private inbox: BroadcastChannel | null = null;
  private readonly peers = new Map<string, Peer>();
  private routes = new Map<string, Peer[]>();
  /** Peers whose answer an announcement still waits for, and whom to tell when all have. */
  private awaiting: { ids: Set<string>; done: () => void } | null = null;
  private readonly stop = new AbortController();
  private releaseLock: () => void = () => {};
  private readonly requests = new Map<number, PendingRequest>();
  private nextRq = 1;
  /** Per sender: the highest number handled, and the highest acked. */
  private readonly handledFrom = new Map<string, { seq: number; acked: number }>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly hooks: EndpointHooks = {}) {
    this.ready = this.start();
    this.ready.catch(() => {});
  }

  private async start(): Promise<void> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (locks) {
      await new Promise<void>((granted, failed) => {
        locks.request(PREFIX + this.id, () => {
          granted();
          return new Promise<void>((r) => { this.releaseLock = r; });
        }).catch(failed);
      });
    }
    if (this.closed) { this.releaseLock(); return; }
    this.control = new BroadcastChannel(CONTROL_CHANNEL);
    this.control.onmessage = (e: MessageEvent<ControlMessage>) => this.onControl(e.data);
    this.inbox = new BroadcastChannel(PREFIX + this.id);
    this.inbox.onmessage = (e: MessageEvent<InboxMessage>) => this.onInbox(e.data);
    await this.announce();
    this.isReady = true;
  }

  /** Announce this endpoint's patterns; resolves once every live peer answered (or 1 s). */
  private async announce(): Promise<void> {
    const live = await this.livePeers();
    if (this.closed) return;
    const answered = new Promise<void>((done) => {
      const ids = new Set(live);
      this.awaiting = { ids, done };
      if (!ids.size) done();
    });
    this.control!.postMessage({ t: 'hello', id: this.id, patterns: [...this.patterns.sources], window: this.window } satisfies ControlMessage);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([answered, new Promise<void>((r) => { timer = setTimeout(r, READY_MS); })]);
    clearTimeout(timer);
    this.awaiting = null;
  }

  /** Ids of the other endpoints alive now (by their locks). */
  private async livePeers(): Promise<string[]> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return [];
    const { held = [] } = await locks.query();
    return held.flatMap((l) => (l.name?.startsWith(PREFIX) && l.name !== PREFIX + this.id ? [l.name.slice(PREFIX.length)] : []));
  }

  /** Change what this endpoint hears: `patterns` (checked), and its window (0: senders never
   * wait; else the most unhandled messages a sender may have here). Resolves once live peers
   * route by the new patterns. */
  async subscribe(patterns: readonly string[], window = this.window): Promise<void> {
    await this.ready;
    if (this.closed) return;
    this.patterns = new PatternSet([...patterns]);
    this.window = window;
    await this.announce();
  }

  /** Whether this endpoint hears topic. */
  hears(topic: string): boolean { return this.patterns.match(topic); }

  private onControl(c: ControlMessage): void {
    if (this.closed || c.id === this.id) return;
    if (c.t === 'bye') { this.gone(c.id); return; }
    this.learn(c.id, c.patterns, c.window);
    this.to(c.id).postMessage({ t: 'peer', id: this.id, patterns: [...this.patterns.sources], window: this.window } satisfies InboxMessage);
  }

  private onInbox(m: InboxMessage): void {
    if (this.closed) return;
    switch (m.t) {
      case 'batch':
        for (const x of m.ms) this.onInbox(x);
        return;
      case 'msg':
        this.hooks.onMessage?.({ ...m.m, from: m.from, seq: m.seq, ...(m.rq !== undefined ? { rq: m.rq } : {}) });
        return;
      case 'ack': {
        const p = this.peers.get(m.from);
        if (p && m.seq > p.acked) { p.acked = m.seq; this.drain(p); }
        return;
      }
      case 'reply': {
        this.replyArrived(m.rq, { ...m.m, from: m.from, seq: 0 });
        return;
      }
      case 'peer':
        this.learn(m.id, m.patterns, m.window);
        if (this.awaiting?.ids.delete(m.id) && !this.awaiting.ids.size) this.awaiting.done();
    }
  }

  /** Record a peer's patterns and window; watch its lock to hear when it dies. */
  private learn(id: string, patterns: string[], window: number): void {
    let p = this.peers.get(id);
    if (!p) {
      p = new Peer(id, patterns, window);
      this.peers.set(id, p);
      const locks = (globalThis.navigator as Navigator | undefined)?.locks;
      // Granted only once the peer's own hold ends: it is gone.
      locks?.request(PREFIX + id, { signal: this.stop.signal }, () => { this.gone(id); }).catch(() => {});
    } else {
      p.patterns = new PatternSet(patterns);
      p.window = window;
      this.drain(p);
    }
    this.routes.clear();
  }

  private gone(id: string): void {
    const p = this.peers.get(id);
    if (this.awaiting?.ids.delete(id) && !this.awaiting.ids.size) this.awaiting.done();
    this.handledFrom.delete(id);
    if (!p) return;
    this.peers.delete(id);
    this.routes.clear();
    p.out?.close();
    // Sends waiting for its room go on: it will never take them.
    for (const b of p.backlog.splice(0)) b.done();
  }

  private to(id: string): BroadcastChannel {
    const p = this.peers.get(id);
    if (p) return p.out ??= new BroadcastChannel(PREFIX + id);
    return new BroadcastChannel(PREFIX + id);
  }

  private route(topic: string): Peer[] {
    let r = this.routes.get(topic);
    if (!r) {
      r = [];
      for (const p of this.peers.values()) if (p.patterns.match(topic)) r.push(p);
      this.routes.set(topic, r);
    }
    return r;
  }

  /** Send a message to every endpoint that hears its topic (this one too). Returns a Promise
   * only when a receiver's window is full (the send waits for its room); resolves once posted. */
  send(m: WireMessage, rq?: number): void | Promise<void> {
    if (this.closed) return;
    if (!this.isReady) return this.ready.then(() => this.send(m, rq));
    let waits: Promise<void>[] | null = null;
    for (const p of this.route(m.topic)) {
      if (p.backlog.length || (p.window > 0 && p.seq - p.acked >= p.window)) {
        (waits ??= []).push(new Promise<void>((done) => p.backlog.push({ m, rq, done })));
      } else {
        this.post(p, m, rq);
      }
    }
    if (this.patterns.match(m.topic)) {
      const local: Received = { ...m, from: this.id, seq: 0, ...(rq !== undefined ? { rq } : {}) };
      queueMicrotask(() => { if (!this.closed) this.hooks.onMessage?.(local); });
    }
    if (!waits) return;
    this.hooks.onWaited?.(m.topic);
    return Promise.all(waits).then(() => {});
  }

  /** Post a message to a peer. The first of a burst goes at once (a lone message waits for
   * nothing); the rest of the burst is batched, and the batch goes when it is full or when the
   * sender yields to the event loop (a task: microtasks run between a JSPI guest's host calls,
   * so a microtask would end every burst at its first message). */
  private post(p: Peer, m: WireMessage, rq: number | undefined): void {
    const msg: InboxMessage = rq === undefined ? { t: 'msg', from: this.id, seq: ++p.seq, m } : { t: 'msg', from: this.id, seq: ++p.seq, m, rq };
    if (p.batch === null) {
      (p.out ??= new BroadcastChannel(PREFIX + p.id)).postMessage(msg);
      p.batch = [];
      p.batchBytes = 0;
      setTimeout(() => { this.postBatch(p); p.batch = null; }, 0);
      return;
    }
    p.batch.push(msg);
    p.batchBytes += m.data.byteLength;
    if (p.batch.length >= BATCH_MESSAGES || p.batchBytes >= BATCH_BYTES) this.postBatch(p);
  }

  /** Post the burst's messages so far as one. */
  private postBatch(p: Peer): void {
    const b = p.batch;
    if (!b?.length || this.closed || !this.peers.has(p.id)) return;
    p.batch = [];
    p.batchBytes = 0;
    (p.out ??= new BroadcastChannel(PREFIX + p.id)).postMessage(b.length === 1 ? b[0]! : { t: 'batch', ms: b } satisfies InboxMessage);
  }

  /** Post what waits for a peer's room, as far as its window allows. */
  private drain(p: Peer): void {
    while (p.backlog.length && (p.window === 0 || p.seq - p.acked < p.window)) {
      const b = p.backlog.shift()!;
      this.post(p, b.m, b.rq);
      b.done();
    }
  }

  /** A received message was handled: its sender's credit comes back. Acks are cumulative and
   * travel on the same channels as messages, so they are few: one per window/4 messages from a
   * sender, and the rest ACK_MS after the last. (An ack per message, sent whenever the queue
   * ran dry, doubled the traffic and held throughput at a fifth of raw BroadcastChannel.) */
  handled(m: Received): void {
    if (m.seq === 0 || this.window === 0 || this.closed) return;
    let h = this.handledFrom.get(m.from);
    if (!h) this.handledFrom.set(m.from, h = { seq: 0, acked: 0 });
    if (m.seq > h.seq) h.seq = m.seq;
    if (h.seq - h.acked >= Math.max(1, this.window >> 2)) this.ack(m.from, h);
    else this.ackTimer ??= setTimeout(() => this.flushAcks(), ACK_MS);
  }

  /** Send every ack still owed. */
  flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    for (const [from, h] of this.handledFrom) if (h.seq > h.acked) this.ack(from, h);
  }

  private ack(from: string, h: { seq: number; acked: number }): void {
    h.acked = h.seq;
    const ch = this.to(from);
    ch.postMessage({ t: 'ack', from: this.id, seq: h.seq } satisfies InboxMessage);
    if (!this.peers.has(from)) ch.close();
  }

  /** Send a request and collect replies: until `expected` (default 1) arrived, or until
   * timeoutMs (if given) passed: then the replies so far, or a timeout if none. */
  async request(m: WireMessage, opts: { timeoutMs?: number; expected?: number } = {}): Promise<RequestOutcome> {
    const rq = this.nextRq++;
    const expected = opts.expected && opts.expected > 0 ? opts.expected : 1;
    const pending: PendingRequest = { replies: [], expected, finish: () => {} };
    const finished = new Promise<void>((r) => { pending.finish = r; });
    this.requests.set(rq, pending);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => pending.finish(), opts.timeoutMs);
    try {
      await this.send(m, rq);
      await finished;
    } finally {
      clearTimeout(timer);
      this.requests.delete(rq);
    }
    return pending.replies.length ? { tag: 'ok', val: pending.replies } : { tag: 'timeout' };
  }

  private replyArrived(rq: number, r: Received): void {
    const p = this.requests.get(rq);
    if (!p) return; // late: the request is over
    p.replies.push(r);
    if (p.replies.length >= p.expected) p.finish();
  }

  /** Reply to a request received by this endpoint (false if it was not a request). */
  reply(to: Received, m: WireMessage): boolean {
    if (to.rq === undefined) return false;
    if (this.closed) return true;
    if (to.from === this.id) {
      const r: Received = { ...m, from: this.id, seq: 0 };
      queueMicrotask(() => this.replyArrived(to.rq!, r));
      return true;
    }
    const ch = this.to(to.from);
    ch.postMessage({ t: 'reply', from: this.id, rq: to.rq, m } satisfies InboxMessage);
    if (!this.peers.has(to.from)) ch.close();
    return true;
  }

  /** Leave the bus: peers stop routing here; pending requests end with what they have. */
  close(): void {
    if (this.closed) return;
    for (const p of this.peers.values()) this.postBatch(p);
    this.closed = true;
    this.flushAcksQuietly();
    this.control?.postMessage({ t: 'bye', id: this.id } satisfies ControlMessage);
    this.control?.close();
    this.inbox?.close();
    for (const p of this.peers.values()) {
      p.out?.close();
      for (const b of p.backlog.splice(0)) b.done();
    }
    this.peers.clear();
    for (const r of this.requests.values()) r.finish();
    this.awaiting?.done();
    this.stop.abort();
    this.releaseLock();
  }

  private flushAcksQuietly(): void {
    try { this.flushAcks(); } catch { /* closing anyway */ }
  }
}
