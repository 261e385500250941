// One component's view of wasi:messaging: its endpoint on the bus, what it may publish, its
// handler queue's settings, and the overflow counts it owes the page. Shared by the interfaces.
import type { ComponentState } from '../state.js';
import type { MessagingGrant } from '../grants.js';
import { Endpoint } from './bus.js';
import { PatternSet, topicProblem } from './topics.js';
import { connectionProblem, type Client, type MessagingError } from './types.js';

/** What a full handler queue does (MessagingGrant.overflow). */
export type Overflow = NonNullable<MessagingGrant['overflow']>;

/** Messages waiting for a slow handler, by default. */
export const DEFAULT_QUEUE = 1024;
/** The default on overflow: nothing is lost, senders wait. */
export const DEFAULT_OVERFLOW: Overflow = 'block';
/** Overflow counts reach the page at most this often (ms), per topic; never left unsaid. */
const REPORT_MS = 100;

export class MessagingContext {
  readonly endpoint: Endpoint;
  readonly publish: PatternSet;
  readonly subscribe: readonly string[];
  readonly capacity: number;
  readonly overflow: Overflow;
  private readonly counts = new Map<string, { dropped: number; waited: number }>();
  private reportTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly state: ComponentState) {
    const g = state.grants.messaging ?? {};
    this.publish = new PatternSet(g.publish ?? []);
    this.subscribe = g.subscribe ?? [];
    this.capacity = g.queue ?? DEFAULT_QUEUE;
    this.overflow = g.overflow ?? DEFAULT_OVERFLOW;
    this.endpoint = new Endpoint({ onWaited: (topic) => this.count(topic, 'waited') });
  }

  /** Why this component may not send to topic through client (null: it may). */
  sendProblem(client: Client, topic: string): MessagingError | null {
    const gone = connectionProblem(client);
    if (gone) return gone;
    let p = this.topicChecks.get(topic);
    if (p === undefined) {
      const bad = topicProblem(topic);
      if (bad) p = { tag: 'other', val: `invalid topic ${JSON.stringify(topic)}: ${bad}` };
      else if (!this.publish.match(topic)) {
        p = { tag: 'permission-denied', val: `publishing to "${topic}" was not granted (messaging.publish: ${JSON.stringify(this.publish.sources)})` };
      } else p = null;
      if (this.topicChecks.size >= 1024) this.topicChecks.clear();
      this.topicChecks.set(topic, p);
    }
    return p;
  }
  /** The answer for each topic sent to lately (grants do not change). */
  private readonly topicChecks = new Map<string, MessagingError | null>();

  /** Count a dropped message (receiver) or a send that waited (sender); reported soon. */
  count(topic: string, what: 'dropped' | 'waited'): void {
    let c = this.counts.get(topic);
    if (!c) this.counts.set(topic, c = { dropped: 0, waited: 0 });
    c[what]++;
    this.reportTimer ??= setTimeout(() => this.report(), REPORT_MS);
  }

  /** Tell the page every count not yet told. */
  report(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    for (const [topic, c] of this.counts) {
      // Drops happen here (this component's queue, its overflow setting); waits happen to
      // this component's sends, held by a receiver whose setting is 'block'.
      if (c.dropped) this.state.emit({ type: 'messaging-overflow', topic, overflow: this.overflow, capacity: this.capacity, dropped: c.dropped, waited: 0 });
      if (c.waited) this.state.emit({ type: 'messaging-overflow', topic, overflow: 'block', capacity: null, dropped: 0, waited: c.waited });
    }
    this.counts.clear();
  }

  dispose(): void {
    this.report();
    this.endpoint.close();
  }
}
