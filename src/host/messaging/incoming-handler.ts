// wasi:messaging/incoming-handler@0.2.0-draft, exported by the component: the host calls its
// `handle` with each message on a topic the page granted it (messaging.subscribe), one call at
// a time, in the order messages arrived (so each sender's order holds). Messages wait in a
// bounded queue (messaging.queue, default 1,024); when it is full, messaging.overflow says what
// happens: 'block' (the default: senders wait for room, nothing is lost), 'drop-oldest' or
// 'drop-newest' (counted and reported to the page as messaging-overflow events).
// `handle` is sync-typed: it may print (a stdout write completes at once) and may send or
// request (the host call suspends it through JSPI), but may not wait on a stream or future.
// A handler that traps ends the component: the page is told which message (handler-trap).
import type { Instance } from '../../runtime/index.js';
import type { Received } from './bus.js';
import type { MessagingContext } from './context.js';
import { Message } from './types.js';

/** The export's name in a component, if it has one. */
export function handlerExport(instance: Instance): string | null {
  for (const name of instance.exports.keys()) if (/^wasi:messaging\/incoming-handler@/.test(name)) return name;
  return null;
}

const preview = (data: Uint8Array) => new TextDecoder().decode(data.subarray(0, 64));

/** The queue in front of one component's handler. */
export class IncomingHandler {
  private queue: (Received | undefined)[] = [];
  private head = 0;
  private running = false;
  private dead = false;
  private readonly path: [string, string];

  constructor(private readonly cx: MessagingContext, private readonly instance: Instance, exportName: string) {
    this.path = [exportName, 'handle'];
  }

  get length(): number { return this.queue.length - this.head; }

  /** A message arrived for the component. */
  push(m: Received): void {
    if (this.dead) return;
    // 'block': senders keep within this receiver's window, so the queue stays bounded
    // (by the window per sender); nothing is dropped.
    if (this.length >= this.cx.capacity && this.cx.overflow !== 'block') {
      if (this.cx.overflow === 'drop-newest') {
        this.cx.count(m.topic, 'dropped');
        return;
      }
      const old = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      this.cx.count(old.topic, 'dropped');
    }
    this.queue.push(m);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.length && !this.dead) {
        const m = this.queue[this.head]!;
        this.queue[this.head++] = undefined;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        let r: { tag: 'ok' | 'err'; val?: unknown };
        try {
          r = (await this.instance.call(this.path, new Message(m.data, m))) as typeof r;
        } catch (e) {
          this.trapped(m, e);
          return;
        }
        this.cx.endpoint.handled(m);
        if (r.tag === 'err') {
          this.cx.state.emit({ type: 'handler-error', export: this.path.join('#'), topic: m.topic, error: describeError(r.val) });
        }
      }
    } finally {
      this.running = false;
    }
  }

  private trapped(m: Received, e: unknown): void {
    this.dead = true;
    this.queue = [];
    this.head = 0;
    // Leave the bus at once: peers stop routing here, and nothing more is handled.
    this.cx.dispose();
    this.cx.state.emit({
      type: 'handler-trap', export: this.path.join('#'), message: e instanceof Error ? e.message : String(e),
      topic: m.topic, preview: preview(m.data),
    });
  }
}

function describeError(v: unknown): string {
  const e = v as { tag?: string; val?: unknown } | undefined;
  if (!e?.tag) return String(v);
  return e.val === undefined ? e.tag : `${e.tag}: ${String(e.val)}`;
}
