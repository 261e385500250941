// The page on the wasi:messaging bus (src/host/messaging/bus.ts): it publishes to, subscribes
// to and requests from the same topics as components, in any worker or tab of the origin, so
// apps and the demo talk to components. The page owns its origin: no grant is needed here.
import { Endpoint, type Received, type WireMessage } from '../host/messaging/bus.js';
import { PatternSet, checkPattern, checkTopic } from '../host/messaging/topics.js';

/** A message as the page receives it. */
export interface PageMessage {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly contentType?: string;
  readonly metadata?: [string, string][];
  /** The data as UTF-8 text. */
  text(): string;
  /** Present on a request (a component's request-reply.request, or messaging.request):
   * answer it; may be called more than once. */
  reply?(data: Uint8Array | string, options?: PublishOptions): void;
}

/** What a message carries beside its bytes. */
export interface PublishOptions {
  contentType?: string;
  /** Metadata, as pairs or an object of strings. */
  metadata?: [string, string][] | Record<string, string>;
}

/** Options of messaging.request. */
export interface RequestOptions extends PublishOptions {
  /** Give up after this long: the replies so far, or a TimeoutError if none (default: wait). */
  timeoutMs?: number;
  /** Return once this many replies came (default 1). */
  expectedReplies?: number;
}

/** A page subscription (messaging.subscribe). */
export interface Subscription {
  /** The pattern subscribed to. */
  readonly pattern: string;
  /** Stop hearing it; resolves once components no longer route its messages here. */
  unsubscribe(): Promise<void>;
}

interface Sub { readonly patterns: PatternSet; readonly callback: (m: PageMessage) => void }

let endpoint: Endpoint | null = null;
const subs = new Set<Sub>();

function bus(): Endpoint {
  return endpoint ??= new Endpoint({
    onMessage(r) {
      const m = pageMessage(r);
      for (const s of [...subs]) {
        if (!s.patterns.match(r.topic)) continue;
        try {
          s.callback(m);
        } catch (e) {
          console.error(`wasip3-web: a messaging.subscribe callback for "${r.topic}" threw`, e);
        }
      }
    },
  });
}

function pageMessage(r: Received): PageMessage {
  const m: PageMessage = {
    topic: r.topic,
    data: r.data,
    ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
    ...(r.metadata !== undefined ? { metadata: r.metadata } : {}),
    text: () => new TextDecoder().decode(r.data),
  };
  if (r.rq !== undefined) {
    (m as { reply?: PageMessage['reply'] }).reply = (data, options = {}) => { bus().reply(r, wire(r.topic, data, options)); };
  }
  return m;
}

function wire(topic: string, data: Uint8Array | string, options: PublishOptions): WireMessage {
  let bytes: Uint8Array;
  if (typeof data === 'string') bytes = new TextEncoder().encode(data);
  else if (data instanceof Uint8Array) bytes = data.slice();
  else throw new TypeError('message data must be a Uint8Array or a string');
  const w: WireMessage = { topic, data: bytes };
  if (options.contentType !== undefined) {
    if (typeof options.contentType !== 'string') throw new TypeError('contentType must be a string');
    w.contentType = options.contentType;
  }
  if (options.metadata !== undefined) {
    const md = Array.isArray(options.metadata) ? options.metadata : Object.entries(options.metadata);
    if (!md.every((kv) => Array.isArray(kv) && kv.length === 2 && typeof kv[0] === 'string' && typeof kv[1] === 'string')) {
      throw new TypeError('metadata must be [key, value] string pairs or an object of strings');
    }
    w.metadata = md.map(([k, v]) => [k, v]);
  }
  return w;
}

function resubscribe(): Promise<void> {
  return bus().subscribe([...new Set([...subs].flatMap((s) => s.patterns.sources))], 0);
}

/** The page's side of wasi:messaging: the same topics as components (any worker or tab of this
 * origin). Topics are dot-separated segments (`orders.eu`); patterns may use `*` for one
 * segment and `>` for the rest (`orders.*`, `orders.>`). Invalid topics throw a TypeError. */
export const messaging = {
  /** Send `data` (bytes, or a string as UTF-8) to every component and page subscribed to
   * `topic`. Resolves once sent (after waiting, if a receiver's queue holds its senders). */
  async publish(topic: string, data: Uint8Array | string, options: PublishOptions = {}): Promise<void> {
    await bus().send(wire(checkTopic(topic), data, options));
  },

  /** Hear every message on topics matching `pattern`: `callback` is called with each, in the
   * order they arrive (it is not awaited, and never holds senders). Resolves once components
   * and pages route such messages here. */
  async subscribe(pattern: string, callback: (message: PageMessage) => void): Promise<Subscription> {
    if (typeof callback !== 'function') throw new TypeError('subscribe needs a callback');
    const sub: Sub = { patterns: new PatternSet([checkPattern(pattern)]), callback };
    subs.add(sub);
    await resubscribe();
    return {
      pattern,
      async unsubscribe() {
        if (subs.delete(sub)) await resubscribe();
      },
    };
  },

  /** Send a request to `topic` and collect replies (components answer with request-reply.reply,
   * pages with message.reply): resolves with them once `expectedReplies` (default 1) came, or
   * at `timeoutMs` with those so far; rejects with a TimeoutError if none came by then. */
  async request(topic: string, data: Uint8Array | string, options: RequestOptions = {}): Promise<PageMessage[]> {
    const { timeoutMs, expectedReplies } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) throw new TypeError('timeoutMs must be a number of milliseconds');
    if (expectedReplies !== undefined && !(Number.isInteger(expectedReplies) && expectedReplies > 0)) throw new TypeError('expectedReplies must be a positive integer');
    const r = await bus().request(wire(checkTopic(topic), data, options), {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(expectedReplies !== undefined ? { expected: expectedReplies } : {}),
    });
    if (r.tag === 'timeout') throw new DOMException(`no reply to a request on "${topic}" within ${timeoutMs} ms`, 'TimeoutError');
    return r.val.map(pageMessage);
  },
};
