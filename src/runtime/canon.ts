// `canon lift` and `canon lower` (CanonicalABI.md, "Canonical Definitions"), and the calling
// convention between JS and core wasm: a component instance whose core code may suspend
// (it imports a JSPI Suspending function) is entered through WebAssembly.promising; one that
// cannot suspend is called directly, which keeps plain calls cheap.
import { LiftLowerContext } from './abi/context.js';
import { CoreValueIter, liftFlatValues, lowerFlatValues } from './abi/values.js';
import { Trap, asTrap, trap, trapIf } from './errors.js';
import {
  ComponentInstance, Task, Thread, yielded, type FuncInst, type OnCancel, type OnResolve, type OnStart, type Options,
} from './concurrency/store.js';
import { EventCode, Subtask, SubtaskState, WaitableSet, type EventTuple } from './concurrency/waitables.js';
import {
  MAX_FLAT_ASYNC_PARAMS, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, paramTypes, resultTypes,
  type FuncType,
} from './types.js';

/** A core function as the runtime holds it: what JS calls, and what core wasm imports. */
export interface CoreFunc {
  /** Call from JS (a wasm export, or a JS function). */
  call: (...args: unknown[]) => unknown;
  /** Pass as a core import: the function itself, or a WebAssembly.Suspending wrapper. */
  importable: unknown;
  /** True when importing it lets core code suspend (JSPI). */
  suspends: boolean;
}

export function coreFuncOf(f: (...args: unknown[]) => unknown): CoreFunc {
  return { call: f, importable: f, suspends: false };
}

type WasmFn = (...args: unknown[]) => unknown;
const PROMISING = new WeakMap<WasmFn, WasmFn>();

/** Call core code of inst: through JSPI when inst may suspend, directly otherwise. */
export function callCore(inst: ComponentInstance, f: CoreFunc | WasmFn, args: unknown[]): unknown {
  const fn = typeof f === 'function' ? f : f.call;
  if (!inst.needsJSPI) return fn(...args);
  let p = PROMISING.get(fn);
  if (!p) {
    try {
      p = WebAssembly.promising(fn as never) as unknown as WasmFn;
    } catch {
      p = fn; // a JS function: it already returns a Promise when it must wait
    }
    PROMISING.set(fn, p);
  }
  return p(...args);
}

const enum CallbackCode { EXIT = 0, YIELD = 1, WAIT = 2 }

/** A component function that calls the host. Marked so lowering passes host values; invoke
 * calls the host's JS function with lifted arguments (its value, or a Promise of it);
 * neverSuspends when the host said it never returns a Promise to wait on. */
export interface HostFuncInst extends FuncInst { host: true; hostName: string; neverSuspends: boolean; borrowsBytes: boolean; invoke(args: unknown[]): unknown }

const NEVER_SUSPENDS = new WeakSet<object>();

/** Mark host functions that never return a Promise to wait on (a function, or every function
 * of an object): a guest then calls them as plain imports, with no JSPI wrapper (~5x cheaper a
 * call), and an instance whose imports all are plain is called without JSPI at all. A marked
 * function that returns a Promise anyway traps. A function whose WIT result is a future may
 * still return its Promise: that is a value, not a wait. */
export function neverSuspends<T extends object>(f: T): T {
  if (typeof f === 'function') NEVER_SUSPENDS.add(f);
  else for (const v of Object.values(f)) if (typeof v === 'function') NEVER_SUSPENDS.add(v as object);
  return f;
}

const THROWS_ERRORS = new WeakSet<object>();

/** Mark host interface objects written in jco's convention for `result` returns (as
 * @bytecodealliance/preview2-shim is): a function returns its ok value and throws its error
 * value (or an object carrying it as `payload`); a thrown Error is a host failure (a trap). */
export function throwsErrors<T extends object>(obj: T): T {
  THROWS_ERRORS.add(obj);
  return obj;
}

/** A host function in jco's result convention, turned into one returning `{ tag, val }`. */
export function resultFromThrows(f: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const err = (e: unknown) => {
    if (e instanceof Error && !('payload' in e)) throw e;
    return { tag: 'err', val: typeof e === 'object' && e !== null && 'payload' in e ? (e as { payload: unknown }).payload : e };
  };
  const g = (...a: unknown[]): unknown => {
    let r: unknown;
    try {
      r = f(...a);
    } catch (e) {
      return err(e);
    }
    if (isThenable(r)) return Promise.resolve(r).then((val) => ({ tag: 'ok', val }), err);
    return { tag: 'ok', val: r };
  };
  if (NEVER_SUSPENDS.has(f)) NEVER_SUSPENDS.add(g);
  if (BORROWS_BYTES.has(f)) BORROWS_BYTES.add(g);
  return g;
}

/** Whether a host interface object uses jco's result convention (see throwsErrors). */
export function isThrowsErrors(obj: object): boolean { return THROWS_ERRORS.has(obj); }

const BORROWS_BYTES = new WeakSet<object>();

/** Mark host functions that are done with their `list<u8>` arguments when they return (they
 * copy what they keep): they are given views of guest memory instead of copies, so a call
 * allocates nothing (new memory per call costs more than the copy: DESIGN.md). A function, or
 * every function of an object. */
export function borrowsBytes<T extends object>(f: T): T {
  if (typeof f === 'function') BORROWS_BYTES.add(f);
  else for (const v of Object.values(f)) if (typeof v === 'function') BORROWS_BYTES.add(v as object);
  return f;
}

/** Whether f was marked with borrowsBytes. */
export function isBorrowsBytes(f: object): boolean { return BORROWS_BYTES.has(f); }

/** Whether f was marked with neverSuspends. */
export function isNeverSuspends(f: object): boolean { return NEVER_SUSPENDS.has(f); }

export function isHostFunc(f: FuncInst): f is HostFuncInst {
  return (f as Partial<HostFuncInst>).host === true;
}

/** canon lift: a FuncInst that runs core code as a new task in inst. A destructor (store.lift
 * in canon resource.drop) is `own`: called from its own instance, whose entering set is empty. */
export function liftFunc(callee: CoreFunc, ft: FuncType, opts: Options, inst: ComponentInstance, hostCaller = false, own = false): FuncInst {
  return async (onStart, onResolve, caller) => {
    trapIf(!inst.mayEnterFrom(caller), 'wasm trap: cannot enter component instance');
    // For now (as the spec's tests require) calls between a component instance and its own
    // ancestors trap, in either direction.
    trapIf(caller !== null && !(own && caller === inst) && (caller.selfAndAncestors().includes(inst) || inst.selfAndAncestors().includes(caller)),
      'wasm trap: cannot enter component instance');
    inst.enterFrom(caller);
    try {
      return await canonLift(callee, ft, opts, inst, onStart, onResolve, hostCaller || caller === null);
    } finally {
      inst.leaveTo(caller);
    }
  };
}

async function canonLift(callee: CoreFunc, ft: FuncType, opts: Options, inst: ComponentInstance,
  onStart: OnStart, onResolve: OnResolve, host: boolean): Promise<OnCancel> {
  const task = new Task(ft, opts, inst, onStart, onResolve);
  task.hostCaller = host;
  const thread = new Thread(task, async (thread) => {
    if (!(await task.enterImplicitThread(thread))) return;
    const cx = new LiftLowerContext(opts, inst, task, host);
    const args = task.start();
    const flatArgs = lowerFlatValues(cx, MAX_FLAT_PARAMS, args, paramTypes(ft));
    if (!opts.async) {
      const r = await callCore(inst, callee, flatArgs);
      const flatResults = r === undefined ? [] : [r];
      task.return(liftFlatValues(cx, MAX_FLAT_RESULTS, new CoreValueIter(flatResults), resultTypes(ft)));
      if (opts.postReturn) {
        inst.mayLeave = false;
        try {
          await callCore(inst, opts.postReturn as WasmFn, flatResults);
        } finally {
          inst.mayLeave = true;
        }
      }
      task.exitImplicitThread();
      return;
    }
    if (!opts.callback) {
      await callCore(inst, callee, flatArgs);
      task.exitImplicitThread();
      return;
    }
    // Awaiting only what is a promise keeps a busy callback loop off the microtask queue, and
    // between callbacks the thread parks (Thread.park): the next event is delivered on the
    // stack of whoever resumes it, so two callback-lifted tasks switch without a promise.
    const free = () => inst.exclusiveThread === null;
    const callback = opts.callback as WasmFn;
    const CANCELLED: EventTuple = [EventCode.TASK_CANCELLED, 0, 0];
    // The event the callback's code asks for when it is here now; null when the task ended or
    // the thread parked (its step delivers the event once one comes).
    const nextEvent = (packed: number): EventTuple | null => {
      const code = packed & 0xf;
      const si = packed >>> 4;
      if (code === CallbackCode.EXIT) {
        task.exitImplicitThread();
        return null;
      }
      inst.exclusiveThread = null;
      if (code === CallbackCode.YIELD) {
        if (task.deliverPendingCancel(true)) return CANCELLED;
        thread.park(free, true, (c) => deliver(c ? CANCELLED : [EventCode.NONE, 0, 0]));
        return null;
      }
      if (code !== CallbackCode.WAIT) trap('unsupported callback code');
      const wset = inst.handles.get(si);
      if (!(wset instanceof WaitableSet)) trap(`handle ${si} is not a waitable set`);
      const ws = wset as WaitableSet;
      // A pending cancellation comes first; an event already pending is delivered at once
      // (the spec allows either order); otherwise the thread parks.
      if (task.deliverPendingCancel(true)) return CANCELLED;
      if (ws.hasPendingEvent()) return ws.getPendingEvent();
      ws.numWaiting++;
      thread.park(() => free() && ws.hasPendingEvent(), true, (c) => {
        ws.numWaiting--;
        return deliver(c ? CANCELLED : ws.getPendingEvent());
      });
      return null;
    };
    // Call the callback with each event in turn while the next is here (a loop, not recursion:
    // a busy stream delivers thousands in a row); a promise only when a callback suspended.
    const deliver = (first: EventTuple): Promise<void> | undefined => {
      let event: EventTuple | null = first;
      while (event !== null) {
        inst.exclusiveThread = thread;
        const r = callCore(inst, callback, event);
        if (r instanceof Promise) return r.then((p) => { const e = nextEvent(p as number); return e === null ? undefined : deliver(e); });
        event = nextEvent(r as number);
      }
      return undefined;
    };
    const r = callCore(inst, callee, flatArgs);
    const first = nextEvent((r instanceof Promise ? await r : r) as number);
    if (first !== null) await deliver(first);
  });
  await thread.resume();
  if (!ft.async) await finishSyncTask(task, inst);
  return (caller) => task.requestCancellation(caller);
}

/** The inline path of canon lift for a sync-typed, sync-lifted function whose instance cannot
 * suspend: nothing in it can block, so it runs to completion on the caller's stack, without
 * the promise machinery (plain calls from JS stay cheap). Call only when the store is idle.
 * Calls cannot overlap (the instance may not be re-entered), so one Task is reused. */
export function liftInline(callee: CoreFunc, ft: FuncType, opts: Options, inst: ComponentInstance): ((args: unknown[]) => unknown) | null {
  if (ft.async || opts.async || inst.needsJSPI) return null;
  const paramTs = paramTypes(ft);
  const resultTs = resultTypes(ft);
  const fn = callee.call as (...a: unknown[]) => unknown;
  let result: unknown[] | null = null;
  const task = new Task(ft, opts, inst, () => [], (r) => { result = r; });
  task.hostCaller = true;
  const thread = Thread.inline(task);
  const cx = new LiftLowerContext(opts, inst, task, true);
  // Scalars need no context: lower and lift them directly.
  const scalar = (t: { k: string }) => t.k === 'u32' || t.k === 's32' || t.k === 'u16' || t.k === 's16' || t.k === 'u8' || t.k === 's8' || t.k === 'f32' || t.k === 'f64';
  const fast = paramTs.every(scalar) && resultTs.every(scalar) && !opts.postReturn;
  const liftResult = resultTs.length === 1 ? resultTs[0]!.k : null;
  return (args) => {
    trapIf(!inst.mayEnterFrom(null), 'wasm trap: cannot enter component instance');
    const store = inst.store;
    task.state = 'started';
    task.numBorrows = 0;
    thread.storage[0] = 0;
    thread.storage[1] = 0;
    task.implicitThread = thread;
    inst.enterFrom(null);
    store.current = thread;
    try {
      if (fast) {
        // Scalars in and out, no post-return: nothing here can leave a task half done.
        const a = args as number[];
        const r = a.length === 1 ? fn(a[0]) : a.length === 0 ? fn() : a.length === 2 ? fn(a[0], a[1]) : fn(...a);
        task.state = 'resolved';
        switch (liftResult) {
          case null: return undefined;
          case 'u32': return (r as number) >>> 0;
          case 'u16': return (r as number) & 0xffff;
          case 'u8': return (r as number) & 0xff;
          case 's16': return ((r as number) << 16) >> 16;
          case 's8': return ((r as number) << 24) >> 24;
          default: return r;
        }
      }
      result = null;
      task.threads.push(thread);
      const flatArgs = lowerFlatValues(cx, MAX_FLAT_PARAMS, args, paramTs);
      const r = fn(...flatArgs);
      const flatResults = r === undefined ? [] : [r];
      task.return(liftFlatValues(cx, MAX_FLAT_RESULTS, new CoreValueIter(flatResults), resultTs));
      if (opts.postReturn) {
        inst.mayLeave = false;
        try { opts.postReturn(...flatResults); } finally { inst.mayLeave = true; }
      }
      task.exitImplicitThread();
      return ft.result ? (result as unknown[] | null)![0] : undefined;
    } catch (e) {
      const t = asTrap(e);
      store.fail(t);
      throw t;
    } finally {
      task.threads.length = 0;
      store.current = null;
      inst.leaveTo(null);
      yielded(); // the call returns
    }
  };
}

/** A sync-typed task that blocked may only wait while other threads of its instance can run. */
async function finishSyncTask(task: Task, inst: ComponentInstance): Promise<void> {
  while (task.state !== 'resolved' && !inst.store.trapped) {
    let next: Thread | null = null;
    for (const t of inst.store.waiting) {
      if (t.task.inst === inst && t !== inst.exclusiveThread && t.ready()) { next = t; break; }
    }
    if (!next) trap('cannot block a synchronous task before returning');
    await next.resume();
  }
}

/** canon lower: a core function that calls callee from inst. */
export function lowerFunc(callee: FuncInst, ft: FuncType, opts: Options, inst: ComponentInstance): CoreFunc {
  const host = isHostFunc(callee);
  if (host && !opts.async && !ft.async) {
    const direct = lowerScalarHostFunc(callee, ft, inst);
    if (direct) return direct;
  }
  const plain = host && callee.neverSuspends && !opts.async && !ft.async;
  const maxFlatParams = opts.async ? MAX_FLAT_ASYNC_PARAMS : MAX_FLAT_PARAMS;
  const maxFlatResults = opts.async ? 0 : MAX_FLAT_RESULTS;

  const impl = (...flatArgs: unknown[]): unknown => {
    const thread = inst.store.current;
    if (!thread) trap('canon lower called outside any task');
    trapIf(!inst.mayLeave, 'cannot leave component instance');
    // A sync-typed task may not make a blocking (sync) call to an async-typed function.
    trapIf(!opts.async && ft.async && !thread.task.ft.async && thread.task.state !== 'resolved',
      'cannot block a synchronous task before returning');
    const subtask = new Subtask(inst.store);
    const cx = new LiftLowerContext(opts, inst, subtask, host);
    if (host && callee.borrowsBytes) cx.borrowBytes = true;
    const args = new CoreValueIter(flatArgs);
    let onProgress = (): void => {};
    const onStart: OnStart = () => {
      onProgress();
      subtask.state = SubtaskState.STARTED;
      return liftFlatValues(cx, maxFlatParams, args, paramTypes(ft));
    };
    const onResolve: OnResolve = (result) => {
      onProgress();
      if (result === null) {
        subtask.resolve(subtask.state === SubtaskState.STARTING
          ? SubtaskState.CANCELLED_BEFORE_STARTED : SubtaskState.CANCELLED_BEFORE_RETURNED, []);
      } else {
        subtask.resolve(SubtaskState.RETURNED, lowerFlatValues(cx, maxFlatResults, result, resultTypes(ft), args));
      }
    };
    const afterStart = (onCancel: OnCancel): unknown => {
      subtask.onCancel = onCancel;
      const finish = (): unknown => { subtask.deliverResolve(); return subtask.flatResults[0]; };
      if (!opts.async) {
        if (subtask.resolved()) return finish();
        const w = thread.waitUntil(() => subtask.resolved(), false);
        return w instanceof Promise ? w.then(finish) : finish();
      }
      if (subtask.resolved()) {
        subtask.deliverResolve();
        return SubtaskState.RETURNED;
      }
      const subtaski = inst.handles.add(subtask);
      onProgress = () => {
        subtask.setPendingEvent(() => {
          if (subtask.resolved()) subtask.deliverResolve();
          return [EventCode.SUBTASK, subtaski, subtask.state];
        });
      };
      return subtask.state | (subtaski << 4);
    };
    // A host function that returns at once is finished here with no Promise, so the Suspending
    // import returns without suspending the guest (a JSPI round trip per call otherwise).
    const started = callee(onStart, onResolve, inst);
    return started instanceof Promise ? started.then(afterStart) : afterStart(started);
  };
  const call = (...a: unknown[]): unknown => {
    try {
      const r = impl(...a);
      if (!(r instanceof Promise)) return r;
      if (plain) brokenPromise(callee as HostFuncInst);
      yielded(); // the guest suspends
      return r.catch((e: unknown) => { throw asTrap(e); });
    } catch (e) {
      throw asTrap(e);
    }
  };
  return loweredImport(call, plain);
}

/** A lowered call as a core import: plain when it cannot suspend, else through JSPI. */
function loweredImport(call: (...a: unknown[]) => unknown, plain: boolean): CoreFunc {
  if (plain) return { call, importable: call as never, suspends: false };
  return { call, importable: new WebAssembly.Suspending(call as never), suspends: true };
}

/** A host function marked neverSuspends returned a Promise to wait on. */
function brokenPromise(f: HostFuncInst): never {
  return trap(`host function ${f.hostName} returned a Promise but is marked neverSuspends`);
}

/** Scalars that lift and lower with no context, by type. */
const LIFT_SCALAR: Record<string, (x: unknown) => unknown> = {
  bool: (x) => (x as number) !== 0, u8: (x) => (x as number) & 0xff, s8: (x) => ((x as number) << 24) >> 24,
  u16: (x) => (x as number) & 0xffff, s16: (x) => ((x as number) << 16) >> 16, u32: (x) => (x as number) >>> 0,
  s32: (x) => (x as number) | 0, u64: (x) => BigInt.asUintN(64, x as bigint), s64: (x) => BigInt.asIntN(64, x as bigint),
  f32: (x) => x, f64: (x) => x,
};
const LOWER_SCALAR: Record<string, (v: unknown) => unknown> = {
  bool: (v) => (v ? 1 : 0), u8: (v) => Number(v) | 0, s8: (v) => Number(v) | 0, u16: (v) => Number(v) | 0,
  s16: (v) => Number(v) | 0, u32: (v) => Number(v) | 0, s32: (v) => Number(v) | 0,
  u64: (v) => BigInt.asIntN(64, BigInt(v as bigint)), s64: (v) => BigInt.asIntN(64, BigInt(v as bigint)),
  f32: (v) => Number(v), f64: (v) => Number(v),
};

/** The direct path of canon lower for a sync call to a host function of scalars in and out:
 * no subtask can be observed and nothing needs a context, so the flat values go straight to
 * the host function and back, as the spec's steps would leave them. Null for other types. */
function lowerScalarHostFunc(callee: HostFuncInst, ft: FuncType, inst: ComponentInstance): CoreFunc | null {
  const params = paramTypes(ft);
  const results = resultTypes(ft);
  if (params.length > MAX_FLAT_PARAMS || results.length > MAX_FLAT_RESULTS) return null;
  const lift = params.map((t) => LIFT_SCALAR[t.k]);
  const lower = results.length ? LOWER_SCALAR[results[0]!.k] : undefined;
  if (lift.some((f) => !f) || (results.length && !lower)) return null;
  const n = lift.length;
  const result = (v: unknown): unknown => (lower ? lower(v) : undefined);
  const call = (...flat: unknown[]): unknown => {
    try {
      if (!inst.store.current) trap('canon lower called outside any task');
      trapIf(!inst.mayLeave, 'cannot leave component instance');
      const args = new Array<unknown>(n);
      for (let i = 0; i < n; i++) args[i] = lift[i]!(flat[i]);
      const r = callee.invoke(args);
      if (!(r instanceof Promise)) return result(r);
      if (callee.neverSuspends) brokenPromise(callee);
      // Backed by async browser work: the caller waits, suspended through JSPI.
      return r.then(result, (e: unknown) => { throw asTrap(e); });
    } catch (e) {
      throw asTrap(e);
    }
  };
  return loweredImport(call, callee.neverSuspends);
}

/** A host function as a component function (the callee of a canon lower). */
export function hostFunc(fn: (...args: unknown[]) => unknown, ft: FuncType, name: string): HostFuncInst {
  const noCancel: OnCancel = async () => {};
  const failed = (e: unknown) => asTrap(new Error(`host function ${name} failed: ${e instanceof Error ? e.message : String(e)}`));
  const wrap = (v: unknown): unknown[] => (ft.result ? [v] : []);
  /** The host's value, or a Promise of it when a synchronous WIT function is backed by async
   * browser work (a function whose result is a future returns its Promise as the value). */
  const invoke = (args: unknown[]): unknown => {
    let r: unknown;
    try {
      r = fn(...args);
    } catch (e) {
      // A Trap (exit is one) stops the component as it is; other errors are the host's bugs.
      if (e instanceof Trap) throw e;
      throw asTrap(new Error(`host function ${name} threw: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (!isThenable(r) || ft.result?.k === 'future') return r;
    return Promise.resolve(r).catch((e: unknown) => { throw failed(e); });
  };
  const f = (onStart: OnStart, onResolve: OnResolve, caller: ComponentInstance | null): OnCancel | Promise<OnCancel> => {
    const r = invoke(onStart());
    if (!(r instanceof Promise) || ft.result?.k === 'future') {
      onResolve(wrap(r));
      return noCancel;
    }
    if (ft.async && caller) {
      // The caller goes on; the subtask resolves when the host's promise does.
      caller.store.hostWork(r).then((v) => onResolve(wrap(v)), (e: unknown) => caller.store.fail(asTrap(e)));
      return noCancel;
    }
    // A synchronous WIT function backed by async browser work: the caller waits here
    // (suspended through JSPI), holding control as a blocking host call would.
    return r.then((v) => { onResolve(wrap(v)); return noCancel; });
  };
  return Object.assign(f, { host: true as const, hostName: name, invoke, neverSuspends: NEVER_SUSPENDS.has(fn), borrowsBytes: BORROWS_BYTES.has(fn) });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
