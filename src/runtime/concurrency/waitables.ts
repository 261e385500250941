// Waitable State and Subtask State (CanonicalABI.md).
import { trapIf } from '../errors.js';
import type { ResourceHandle } from '../abi/resources.js';
import type { OnCancel, Store, Thread } from './store.js';

export const enum EventCode {
  NONE = 0,
  SUBTASK = 1,
  STREAM_READ = 2,
  STREAM_WRITE = 3,
  FUTURE_READ = 4,
  FUTURE_WRITE = 5,
  TASK_CANCELLED = 6,
}

export type EventTuple = [code: number, p1: number, p2: number];

export class Waitable {
  pendingEvent: (() => EventTuple) | null = null;
  wset: WaitableSet | null = null;
  hasSyncWaiter = false;

  constructor(readonly store: Store) {}

  setPendingEvent(e: () => EventTuple): void {
    this.pendingEvent = e;
    // The event may make a waiting thread ready; let the event loop look.
    this.store.kick();
  }

  hasPendingEvent(): boolean { return this.pendingEvent !== null; }
  inWaitableSet(): boolean { return this.wset !== null; }

  async waitForPendingEvent(thread: Thread): Promise<void> {
    this.hasSyncWaiter = true;
    await thread.waitUntil(() => this.hasPendingEvent(), false);
    this.hasSyncWaiter = false;
  }

  getPendingEvent(): EventTuple {
    const e = this.pendingEvent!;
    this.pendingEvent = null;
    return e();
  }

  join(wset: WaitableSet | null): void {
    if (this.wset) this.wset.elems.delete(this);
    this.wset = wset;
    if (wset) {
      wset.elems.add(this);
    }
  }

  drop(): void {
    this.join(null);
  }
}

export class WaitableSet {
  readonly elems = new Set<Waitable>();
  numWaiting = 0;

  hasPendingEvent(): boolean {
    for (const w of this.elems) if (w.hasPendingEvent()) return true;
    return false;
  }

  getPendingEvent(): EventTuple {
    for (const w of this.elems) {
      if (w.hasPendingEvent()) {
        // Rotate to the back so one busy waitable cannot starve the others.
        this.elems.delete(w);
        this.elems.add(w);
        return w.getPendingEvent();
      }
    }
    throw new Error('no pending event');
  }

  async waitForEventAnd(thread: Thread, ready: () => boolean, cancellable: boolean): Promise<EventTuple> {
    this.numWaiting++;
    try {
      const cancelled = await thread.waitUntil(() => ready() && this.hasPendingEvent(), cancellable);
      return cancelled ? [EventCode.TASK_CANCELLED, 0, 0] : this.getPendingEvent();
    } finally {
      this.numWaiting--;
    }
  }

  poll(thread: Thread, cancellable: boolean): EventTuple {
    if (thread.task.deliverPendingCancel(cancellable)) return [EventCode.TASK_CANCELLED, 0, 0];
    if (!this.hasPendingEvent()) return [EventCode.NONE, 0, 0];
    return this.getPendingEvent();
  }

  drop(): void {
    trapIf(this.elems.size > 0, 'cannot drop a waitable set with waitables in it');
    trapIf(this.numWaiting > 0, 'cannot drop waitable set with waiters');
  }
}

export const enum SubtaskState {
  STARTING = 0,
  STARTED = 1,
  RETURNED = 2,
  CANCELLED_BEFORE_STARTED = 3,
  CANCELLED_BEFORE_RETURNED = 4,
}

export class Subtask extends Waitable {
  state: SubtaskState = SubtaskState.STARTING;
  onCancel: OnCancel | null = null;
  lenders: ResourceHandle[] | null = [];
  cancellationRequested = false;
  flatResults: unknown[] = [];

  resolved(): boolean {
    return this.state >= SubtaskState.RETURNED;
  }

  addLender(h: ResourceHandle): void {
    h.numLends++;
    this.lenders!.push(h);
  }

  resolve(state: SubtaskState, flatResults: unknown[]): void {
    this.state = state;
    this.flatResults = flatResults;
  }

  deliverResolve(): void {
    for (const h of this.lenders!) h.numLends--;
    this.lenders = null;
  }

  resolveDelivered(): boolean {
    return this.lenders === null;
  }

  override drop(): void {
    trapIf(!this.resolveDelivered(), 'cannot drop a subtask which has not yet resolved');
    super.drop();
  }
}
