// Component Instances, Threads, Tasks and the Store's event loop (CanonicalABI.md, "Component
// Instances" through "Embedding API"), mapped onto one JS event loop:
// - A Thread is a chain of async JS (and JSPI-suspended wasm) that runs only while it holds
//   control. resume() hands it control and resolves when it hands control back, by blocking
//   or by ending; so exactly one thread runs at a time, as in the spec. A callback-lifted
//   task waits between callbacks by parking instead (no stack to keep): resuming it calls its
//   next callback on the resumer's stack, with no promise per switch.
// - The Store's pump plays the spec's tick(): it runs queued host calls and ready threads, one
//   at a time. Host events (timers, I/O) mark waitables and kick the pump.
import { Table } from '../abi/table.js';
import { Trap, asTrap, trapIf } from '../errors.js';
import { prim, type FuncType } from '../types.js';
import type { Boundary } from '../abi/context.js';
import type { ResourceHandle } from '../abi/resources.js';
import type { Waitable, WaitableSet } from './waitables.js';
import type { ErrorContextValue } from '../abi/values.js';

export type Handle = ResourceHandle | Waitable | WaitableSet | ErrorContextValue;

/** Lift/lower options after resolution to live memory and functions. */
export interface Options {
  stringEncoding: 'utf8' | 'utf16' | 'latin1+utf16';
  memory: WebAssembly.Memory | null;
  realloc: ((...a: number[]) => unknown) | null;
  postReturn: ((...a: unknown[]) => unknown) | null;
  async: boolean;
  callback: ((...a: number[]) => unknown) | null;
}

export class ComponentInstance {
  readonly handles = new Table<Handle>();
  mayEnter = true;
  mayLeave = true;
  backpressure = 0;
  numWaitingToEnter = 0;
  exclusiveThread: Thread | null = null;
  /** Set when any of its core instances imports a JSPI-suspending function: its core code
   * must then be entered through WebAssembly.promising. */
  needsJSPI = false;

  constructor(readonly store: Store, readonly parent: ComponentInstance | null, readonly name = 'component') {}

  mayEnterFrom(caller: ComponentInstance | null): boolean {
    if (!caller) {
      for (let i: ComponentInstance | null = this; i; i = i.parent) if (!i.mayEnter) return false;
      return true;
    }
    for (const inst of this.enteringSet(caller)) if (!inst.mayEnter) return false;
    return true;
  }
  enterFrom(caller: ComponentInstance | null): void {
    if (!caller) { for (let i: ComponentInstance | null = this; i; i = i.parent) i.mayEnter = false; return; }
    for (const inst of this.enteringSet(caller)) inst.mayEnter = false;
  }
  leaveTo(caller: ComponentInstance | null): void {
    if (!caller) { for (let i: ComponentInstance | null = this; i; i = i.parent) i.mayEnter = true; return; }
    for (const inst of this.enteringSet(caller)) inst.mayEnter = true;
  }
  private enteringSet(caller: ComponentInstance | null): ComponentInstance[] {
    const mine = this.selfAndAncestors();
    if (!caller) return mine;
    const theirs = caller.selfAndAncestors();
    return mine.filter((i) => !theirs.includes(i));
  }
  selfAndAncestors(): ComponentInstance[] {
    const out: ComponentInstance[] = [];
    for (let i: ComponentInstance | null = this; i; i = i.parent) out.push(i);
    return out;
  }
}

/** A call from the host into a component, waiting for its result. */
interface PendingCall { reject: (e: unknown) => void }

// Bytes a guest wrote that the host holds back for more (a coalescing pipe's open chunk,
// host-ends.ts) go out once the guest stops running: when it blocks, suspends in a host call,
// or its call returns (every place that gives control away calls yielded()). A timer would do
// it too, but arming one costs more than a chunk's copy, and a burst of writes arms one each.
const heldBack = new Set<() => void>();
let drainQueued = false;
const drain = (): void => {
  drainQueued = false;
  const fs = [...heldBack];
  heldBack.clear();
  for (const f of fs) f();
};

/** Run `flush` once the running guest next stops running (see yielded()). */
export function holdUntilYield(flush: () => void): void { heldBack.add(flush); }
/** `flush` is no longer needed (what it would send went out). */
export function releaseHold(flush: () => void): void { heldBack.delete(flush); }
/** The running guest stops here: what it held back goes out once its stack has unwound (in a
 * microtask, never inside the builtin or host call that it is in). */
export function yielded(): void {
  if (heldBack.size === 0 || drainQueued) return;
  drainQueued = true;
  queueMicrotask(drain);
}

const u32 = prim('u32');
const REALLOC_FT: FuncType = { k: 'func', async: false, params: ['old', 'old-size', 'align', 'new-size'].map((name) => ({ name, t: u32 })), result: u32 };
const REALLOC_OPTS: Options = { stringEncoding: 'utf8', memory: null, realloc: null, postReturn: null, async: false, callback: null };
const NO_ARGS = (): unknown[] => [];
const IGNORE = (): void => {};

export class Store {
  /** How stream and future handles cross in this store (src/runtime/boundary.ts). */
  constructor(readonly boundary: Boundary) {}

  readonly waiting = new Set<Thread>();
  /** The thread holding control, if any. */
  current: Thread | null = null;
  /** The trap that poisoned this store; every later entry fails with it. */
  trapped: Trap | null = null;
  /** Trap on a deadlock (no ready thread, a host call pending, no host work in flight). */
  detectDeadlock = false;
  /** Host operations in flight that may yet wake a thread. */
  hostPending = 0;
  private readonly jobs: (() => Promise<void>)[] = [];
  private readonly calls = new Set<PendingCall>();
  private pumping = false;
  private syncTurns = 0;

  /** Call the guest's realloc as definitions.py's reallocate does: a sync task of its own in
   * inst (canon_lift of `(u32 u32 u32 u32) -> u32`) that may not leave the instance, so
   * built-ins it calls (libc's malloc reading context.get) act for that task: a fresh thread,
   * context slots 0, not the thread that happens to be lowering. */
  callRealloc(inst: ComponentInstance, realloc: () => number): number {
    const prev = this.current;
    const task = new Task(REALLOC_FT, REALLOC_OPTS, inst, NO_ARGS, IGNORE);
    task.state = 'started';
    inst.mayLeave = false;
    this.current = Thread.inline(task);
    try {
      return realloc();
    } finally {
      this.current = prev;
      inst.mayLeave = true;
    }
  }

  /** True when no thread holds control and nothing is queued: a call may run inline. */
  idle(): boolean {
    return !this.pumping && this.current === null && this.jobs.length === 0 && !this.trapped;
  }

  kick(): void {
    if (this.pumping || this.trapped) return;
    this.pumping = true;
    queueMicrotask(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      while (!this.trapped) {
        const job = this.jobs.shift();
        if (job) {
          await job();
          continue;
        }
        const next = this.nextReady();
        if (!next) break;
        const inst = next.task.inst;
        inst.enterFrom(null);
        const r = next.resume();
        if (r) await r;
        // Parked threads switch without promises; a turn of the microtask queue now and then
        // lets host work (a resolved read, a port's message) interleave with them as before.
        else if (++this.syncTurns % 64 === 0) await undefined;
        inst.leaveTo(null);
      }
    } catch (e) {
      this.fail(asTrap(e));
    } finally {
      this.pumping = false;
      yielded(); // every thread waits, or the store trapped
    }
    if (this.detectDeadlock && !this.trapped && this.calls.size > 0 && this.hostPending === 0 && !this.nextReady()) {
      this.fail(new Trap('wasm trap: deadlock detected: event loop cannot make further progress'));
    }
  }

  private nextReady(): Thread | null {
    for (const t of this.waiting) if (t.ready()) return t;
    return null;
  }

  /** Queue a host call into the store; it starts when no thread holds control. */
  enter<T>(start: (resolve: (v: T) => void, reject: (e: unknown) => void) => Promise<void>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.trapped) { reject(this.poisoned()); return; }
      const call: PendingCall = { reject };
      this.calls.add(call);
      const done = (v: T) => { this.calls.delete(call); resolve(v); };
      const fail = (e: unknown) => { this.calls.delete(call); reject(e); };
      this.jobs.push(() => start(done, fail));
      this.kick();
    });
  }

  /** Track a host operation that may wake a thread when it settles. */
  hostWork<T>(p: Promise<T>): Promise<T> {
    this.hostPending++;
    const settle = () => { this.hostPending--; this.kick(); };
    p.then(settle, settle);
    return p;
  }

  /** Told of a trap no pending call hears: one in guest code that ran on after its call
   * returned (a body it went on writing), which would otherwise surface only at the next call. */
  onLateTrap: ((t: Trap) => void) | null = null;

  fail(t: Trap): void {
    if (this.trapped) return;
    this.trapped = t;
    if (this.calls.size === 0) this.onLateTrap?.(t);
    for (const c of this.calls) c.reject(t);
    this.calls.clear();
    this.jobs.length = 0;
  }

  /** The error for a call into a store that trapped earlier. */
  poisoned(): Trap {
    return new Trap(`cannot enter component instance (it trapped earlier: ${this.trapped?.message})`);
  }
}

export type Cancelled = boolean;
/** A parked thread's continuation (Thread.park). */
export type Step = (cancelled: Cancelled) => Promise<void> | undefined;

export class Thread {
  readyFunc: (() => boolean) | null = null;
  cancellable = false;
  readonly storage: [number, number] = [0, 0];
  done = false;
  private wake: ((c: Cancelled) => void) | null = null;
  private handBack: (() => void) | null = null;
  private started = false;
  /** Where a parked thread goes on (see park): run synchronously by whoever resumes it. */
  private step: Step | null = null;
  /** A step that blocks before its resume has a promise hands back through this instead. */
  private handedBack = false;
  private readonly noteHandBack = (): void => { this.handedBack = true; };

  constructor(readonly task: Task, private readonly body: (thread: Thread) => Promise<void>) {}

  /** A thread that runs inline on the caller's stack (a call that cannot block). */
  static inline(task: Task): Thread {
    const t = new Thread(task, async () => {});
    t.started = true;
    return t;
  }

  get store(): Store { return this.task.inst.store; }

  waiting(): boolean { return this.readyFunc !== null; }
  ready(): boolean { return this.readyFunc !== null && this.readyFunc(); }
  suspended(): boolean { return !this.done && this.wake !== null && this.readyFunc === null; }

  private startWaiting(ready: () => boolean): void {
    this.readyFunc = ready;
    this.store.waiting.add(this);
  }
  private stopWaiting(): void {
    this.readyFunc = null;
    this.store.waiting.delete(this);
  }

  /** Run this thread until it blocks, parks or ends (the spec's resume). A parked thread runs
   * on the caller's stack and returns undefined when it parks again or ends there; otherwise
   * the promise settles when the thread next blocks, parks or ends. */
  resume(cancelled: Cancelled = false): Promise<void> | undefined {
    if (this.readyFunc) this.stopWaiting();
    const store = this.store;
    const prev = store.current;
    const step = this.step;
    let stepped: Promise<void> | undefined;
    if (step !== null) {
      this.step = null;
      store.current = this;
      this.handedBack = false;
      this.handBack = this.noteHandBack;
      try {
        stepped = step(cancelled);
      } catch (e) {
        this.handBack = null;
        store.current = prev;
        this.exit(e);
        return undefined;
      }
      // A step that suspended in core wasm (JSPI) goes on as a promise-driven thread; its turn
      // ends through whichever resume's handBack is current then.
      if (stepped !== undefined) stepped.then(() => this.endTurn(), (e: unknown) => this.exit(e));
      if (stepped === undefined || this.handedBack) {
        // Parked again, ended, or blocked and so handed control back already.
        this.handBack = null;
        store.current = prev;
        if (stepped === undefined && this.step === null) this.exit(null);
        return undefined;
      }
    }
    return new Promise<void>((handBack) => {
      this.handBack = handBack;
      store.current = this;
      if (stepped) return; // a suspended step: it goes on through the then() above
      if (!this.started) {
        this.started = true;
        this.body(this).then(() => this.endTurn(), (e: unknown) => this.exit(e));
      } else {
        const wake = this.wake!;
        this.wake = null;
        wake(cancelled);
      }
    }).then(() => { store.current = prev; });
  }

  /** Wait for ready() without a stack: when resumed, whoever resumes this thread calls
   * step(cancelled) on its own stack. A callback-lifted task waits so between callbacks, so
   * a switch between two such tasks costs no promise. The step parks again, ends the thread
   * (returns having not parked), or returns a promise when it suspends in core wasm. */
  park(ready: () => boolean, cancellable: boolean, step: Step): void {
    this.cancellable = cancellable;
    this.step = step;
    this.startWaiting(ready);
    this.store.kick();
  }

  /** The body or a step returned: the thread parked (hand control back) or ended. */
  private endTurn(): void {
    if (this.step === null) { this.exit(null); return; }
    const hb = this.handBack;
    this.handBack = null;
    hb?.();
  }

  private exit(err: unknown): void {
    this.done = true;
    if (err !== null) this.store.fail(asTrap(err));
    const hb = this.handBack;
    this.handBack = null;
    hb?.();
  }

  private block(cancellable: boolean): Promise<Cancelled> {
    this.cancellable = cancellable;
    return new Promise<Cancelled>((wake) => {
      this.wake = wake;
      const hb = this.handBack!;
      this.handBack = null;
      hb();
    }).then((c) => {
      this.store.current = this;
      if (this.store.trapped) throw this.store.trapped;
      return c;
    });
  }

  /** Block until resumed by another thread (no ready condition). */
  suspend(cancellable: boolean): Promise<Cancelled> | Cancelled {
    if (this.task.deliverPendingCancel(cancellable)) return true;
    return this.block(cancellable);
  }

  /** Block until ready() holds; returns at once when it already does. */
  waitUntil(ready: () => boolean, cancellable = false): Promise<Cancelled> | Cancelled {
    if (this.task.deliverPendingCancel(cancellable)) return true;
    if (ready()) return false;
    return this.wait(ready, cancellable);
  }

  /** Let every other ready thread run first, then continue. */
  yield(cancellable: boolean, ready: () => boolean = () => true): Promise<Cancelled> | Cancelled {
    if (this.task.deliverPendingCancel(cancellable)) return true;
    return this.wait(ready, cancellable);
  }

  /** A callback-lifted task that has already returned its value and then blocks inside core
   * wasm (a sync call or built-in) gives up its instance's exclusive lock while it waits, and
   * takes it back before it goes on, so other tasks of the instance may start (the spec's
   * sync-streams test); a task that has not returned keeps the lock (async-calls-sync). */
  private wait(ready: () => boolean, cancellable: boolean): Promise<Cancelled> {
    const inst = this.task.inst;
    const held = inst.exclusiveThread === this && this.task.opts.callback !== null && this.task.state === 'resolved';
    if (!held) {
      this.startWaiting(ready);
      this.store.kick();
      return this.block(cancellable);
    }
    inst.exclusiveThread = null;
    this.startWaiting(() => inst.exclusiveThread === null && ready());
    this.store.kick();
    return this.block(cancellable).then((c) => { inst.exclusiveThread = this; return c; });
  }
}

export type OnStart = () => unknown[];
export type OnResolve = (result: unknown[] | null) => void;
export type OnCancel = (caller: ComponentInstance | null) => Promise<void>;
/** A component-level function: the spec's FuncInst. It resolves once the callee first blocks;
 * a host function that returns at once returns at once too, so its caller need not suspend. */
export type FuncInst = (onStart: OnStart, onResolve: OnResolve, caller: ComponentInstance | null) => OnCancel | Promise<OnCancel>;

export type TaskState = 'initial' | 'started' | 'pending-cancel' | 'cancel-delivered' | 'resolved';

export class Task {
  state: TaskState = 'initial';
  numBorrows = 0;
  implicitThread: Thread | null = null;
  readonly threads: Thread[] = [];
  /** True when the caller is the host: values cross as host JS values. */
  hostCaller = false;

  constructor(
    readonly ft: FuncType,
    readonly opts: Options,
    readonly inst: ComponentInstance,
    private readonly onStart: OnStart,
    private readonly onResolve: OnResolve,
  ) {}

  needsExclusive(): boolean {
    return !this.opts.async || this.opts.callback !== null;
  }

  private hasBackpressure(): boolean {
    return this.inst.backpressure > 0 || (this.needsExclusive() && this.inst.exclusiveThread !== null);
  }

  async enterImplicitThread(thread: Thread): Promise<boolean> {
    this.implicitThread = thread;
    if (this.ft.async) {
      if (this.hasBackpressure() || this.inst.numWaitingToEnter > 0) {
        this.inst.numWaitingToEnter++;
        const cancelled = await thread.waitUntil(() => !this.hasBackpressure(), true);
        this.inst.numWaitingToEnter--;
        if (cancelled) {
          this.cancel();
          return false;
        }
      }
      if (this.needsExclusive()) this.inst.exclusiveThread = thread;
    }
    this.threads.push(thread);
    return true;
  }

  exitImplicitThread(): void {
    const t = this.implicitThread!;
    this.threads.splice(this.threads.indexOf(t), 1);
    if (this.threads.length === 0) {
      trapIf(this.state !== 'resolved', 'wasm trap: async-lifted export failed to produce a result');
    }
    if (this.ft.async && this.needsExclusive() && this.inst.exclusiveThread === t) this.inst.exclusiveThread = null;
  }

  async requestCancellation(caller: ComponentInstance | null): Promise<void> {
    if (this.state === 'initial') {
      this.state = 'cancel-delivered';
      await this.implicitThread!.resume(true);
      return;
    }
    const candidates = this.threads.filter((t) => t.cancellable && !t.done && (t.waiting() || t.suspended()));
    const excl = this.inst.exclusiveThread;
    const usable = this.needsExclusive() && excl !== null && excl !== this.implicitThread
      ? candidates.filter((t) => t !== this.implicitThread) : candidates;
    if (usable.length > 0 && this.inst.mayEnterFrom(caller)) {
      this.state = 'cancel-delivered';
      this.inst.enterFrom(caller);
      await usable[0]!.resume(true);
      this.inst.leaveTo(caller);
    } else {
      this.state = 'pending-cancel';
    }
  }

  deliverPendingCancel(cancellable: boolean): boolean {
    if (cancellable && this.state === 'pending-cancel') {
      this.state = 'cancel-delivered';
      return true;
    }
    return false;
  }

  start(): unknown[] {
    this.state = 'started';
    return this.onStart();
  }

  return(result: unknown[]): void {
    // Messages in wasmtime's words (which other test suites compare).
    trapIf(this.state === 'resolved', '`task.return` or `task.cancel` called more than once for current task');
    trapIf(this.numBorrows > 0, 'borrow handles still remain at the end of the call');
    this.onResolve(result);
    this.state = 'resolved';
  }

  cancel(): void {
    trapIf(this.state === 'resolved', '`task.return` or `task.cancel` called more than once for current task');
    trapIf(this.state !== 'cancel-delivered', '`task.cancel` called by task which has not been cancelled');
    trapIf(this.numBorrows > 0, 'borrow handles still remain at the end of the call');
    this.onResolve(null);
    this.state = 'resolved';
  }
}
