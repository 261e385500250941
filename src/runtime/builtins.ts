// The canon built-ins (CanonicalABI.md, "canon resource.new" onward): each becomes a core
// function bound to its component instance. Built-ins that may block are JSPI-suspending.
import { LiftLowerContext } from './abi/context.js';
import { CoreValueIter, liftFlatValues, ErrorContextValue, loadStringFromRange, storeStringIntoRange } from './abi/values.js';
import { BORROWED_OWN, ResourceHandle, checkResourceHandle } from './abi/resources.js';
import { releaseHostResource } from './abi/host-resources.js';
import { asTrap, trap, trapIf } from './errors.js';
import { coreFuncOf, liftFunc, lowerFunc, type CoreFunc } from './canon.js';
import { yielded, type ComponentInstance, type Options, type Thread } from './concurrency/store.js';
import { EventCode, Subtask, Waitable, WaitableSet, type EventTuple } from './concurrency/waitables.js';
import {
  BLOCKED, CopyEnd, CopyResult, CopyState, GuestBuffer, ReadableFutureEnd, ReadableStreamEnd,
  SharedFuture, SharedStream, WritableFutureEnd, WritableStreamEnd, type StreamEnd,
} from './concurrency/streams.js';
import { MAX_FLAT_PARAMS, prim, typeEquals, type FuncType, type ResourceType, type ValType } from './types.js';

type Fn = (...args: never[]) => unknown;

function plain(f: Fn): CoreFunc {
  return { call: f as (...a: unknown[]) => unknown, importable: f, suspends: false };
}

/** A built-in that may block: a suspending import when it must wait, a plain value otherwise.
 * With mayBlock false (the async forms) it is a plain import, so it needs no JSPI. */
function blocking(f: (...args: never[]) => unknown, mayBlock = true): CoreFunc {
  if (!mayBlock) return plain(f);
  const call = (...a: unknown[]): unknown => {
    try {
      const r = (f as (...a: unknown[]) => unknown)(...a);
      if (!(r instanceof Promise)) return r;
      yielded(); // the guest suspends
      return r.catch((e: unknown) => { throw asTrap(e); });
    } catch (e) {
      throw asTrap(e);
    }
  };
  return { call, importable: new WebAssembly.Suspending(call as never), suspends: true };
}

// Built-ins act for the current thread and its task's instance (definitions.py's
// current_thread() and current_instance()), not for the instance whose `canon` defined them.
// Core code runs only inside a task (lifted calls, and realloc and destructors as tasks of their
// own), so the two agree for valid components; a core instance's start function at
// instantiation runs outside any task, and then the defining instance stands in.

function current(def: ComponentInstance): Thread {
  const t = def.store.current;
  if (!t) trap('built-in called outside any task');
  return t;
}

function here(def: ComponentInstance): ComponentInstance {
  const t = def.store.current;
  return t ? t.task.inst : def;
}

function checkLeave(inst: ComponentInstance): void {
  trapIf(!inst.mayLeave, 'cannot leave component instance');
}

/** A built-in that may block, called synchronously from a sync-typed task that has not
 * returned, traps: such a task may not block. */
export function checkMayBlock(thread: Thread): void {
  trapIf(!thread.task.ft.async && thread.task.state !== 'resolved', 'cannot block a synchronous task before returning');
}

// ---- Resources

export function resourceNew(def: ComponentInstance, rt: ResourceType): CoreFunc {
  return plain((rep: number) => {
    const inst = here(def);
    checkLeave(inst);
    return inst.handles.add(new ResourceHandle(rt, rep >>> 0, true));
  });
}

export function resourceDrop(def: ComponentInstance, rt: ResourceType): CoreFunc {
  return blocking((i: number) => {
    const inst = here(def);
    checkLeave(inst);
    const rh = checkResourceHandle(i, inst.handles.get(i), rt);
    trapIf(rh.numLends !== 0, BORROWED_OWN);
    inst.handles.remove(i);
    if (!rh.own) {
      rh.borrowScope!.numBorrows--;
      return undefined;
    }
    if (rt.impl === null) {
      const obj = releaseHostResource(rt, rh.rep) as { [Symbol.dispose]?: () => void } | undefined;
      obj?.[Symbol.dispose]?.();
      return undefined;
    }
    if (!rt.dtor) return undefined;
    // The destructor runs as a task of the implementing instance, called synchronously.
    return dtorCaller(rt, inst).call(rh.rep);
  });
}

const DTOR_FT: FuncType = { k: 'func', async: false, params: [{ name: 'rep', t: prim('u32') }], result: null };
const SYNC_OPTS: Options = { stringEncoding: 'utf8', memory: null, realloc: null, postReturn: null, async: false, callback: null };
const DTOR_CALLERS = new WeakMap<ResourceType, Map<ComponentInstance, CoreFunc>>();

function dtorCaller(rt: ResourceType, inst: ComponentInstance): CoreFunc {
  let m = DTOR_CALLERS.get(rt);
  if (!m) { m = new Map(); DTOR_CALLERS.set(rt, m); }
  let c = m.get(inst);
  if (!c) {
    const impl = rt.impl as ComponentInstance;
    const callee = liftFunc(coreFuncOf(rt.dtor as (...a: unknown[]) => unknown), DTOR_FT, SYNC_OPTS, impl, false, true);
    c = lowerFunc(callee, DTOR_FT, SYNC_OPTS, inst);
    m.set(inst, c);
  }
  return c;
}

export function resourceRep(def: ComponentInstance, rt: ResourceType): CoreFunc {
  return plain((i: number) => {
    const inst = here(def);
    return checkResourceHandle(i, inst.handles.get(i), rt).rep;
  });
}

// ---- Context, backpressure, task.return/cancel

export function contextGet(def: ComponentInstance, i: number): CoreFunc {
  if (i > 1) trap(`immediate must be zero or one: ${i}`);
  return plain(() => current(def).storage[i]);
}

export function contextSet(def: ComponentInstance, i: number): CoreFunc {
  if (i > 1) trap(`immediate must be zero or one: ${i}`);
  return plain((v: number) => { current(def).storage[i] = v; });
}

export function backpressureInc(def: ComponentInstance): CoreFunc {
  return plain(() => {
    const inst = here(def);
    // A u16 counter (definitions.py): reaching 2^16 traps. Both directions trap with
    // wasmtime's one message, which other test suites look for.
    trapIf(inst.backpressure + 1 >= 2 ** 16, 'backpressure counter overflow: backpressure.inc reached 2^16');
    inst.backpressure++;
  });
}

export function backpressureDec(def: ComponentInstance): CoreFunc {
  return plain(() => {
    const inst = here(def);
    trapIf(inst.backpressure === 0, 'backpressure counter overflow: backpressure.dec below 0 (underflow)');
    inst.backpressure--;
    // Tasks waiting to enter may now proceed.
    inst.store.kick();
  });
}

/** The spec tests' (and wasmtime's) words for a task.return that does not fit its task. */
const TASK_RETURN_MISMATCH = 'invalid `task.return` signature and/or options for current task';

export function taskReturn(def: ComponentInstance, result: ValType | null, opts: Options): CoreFunc {
  // Made once: the flat tuple of these types is cached by the array (abi tupleOf).
  const results: ValType[] = result ? [result] : [];
  return plain((...flat: never[]) => {
    const thread = current(def);
    const inst = thread.task.inst;
    const task = thread.task;
    checkLeave(inst);
    // As definitions.py (LiftOptions.equal), except that a task.return naming no memory may
    // return to a lift that names one: the spec's tests do that, and wasmtime allows it.
    if (!task.opts.async) trap(`${TASK_RETURN_MISMATCH} (the task was lifted synchronously)`);
    if (!typeEquals(result, task.ft.result)) trap(`${TASK_RETURN_MISMATCH} (result type differs)`);
    if (opts.stringEncoding !== task.opts.stringEncoding) trap(`${TASK_RETURN_MISMATCH} (string encoding differs)`);
    if (opts.memory !== null && opts.memory !== task.opts.memory) trap(`${TASK_RETURN_MISMATCH} (memory differs)`);
    // Omitted, the memory is the lift's (as wasmtime lifts it).
    const cx = new LiftLowerContext(opts.memory === null ? task.opts : opts, inst, task, task.hostCaller);
    const vs = liftFlatValues(cx, MAX_FLAT_PARAMS, new CoreValueIter(flat), results);
    task.return(vs);
  });
}

export function taskCancel(def: ComponentInstance): CoreFunc {
  return plain(() => {
    const thread = current(def);
    const inst = thread.task.inst;
    const task = thread.task;
    checkLeave(inst);
    trapIf(!task.opts.async, 'task.cancel called from a synchronously lifted export');
    task.cancel();
  });
}

export function threadYield(def: ComponentInstance, cancellable: boolean): CoreFunc {
  return blocking(() => {
    const thread = current(def);
    const inst = thread.task.inst;
    checkLeave(inst);
    const r = thread.yield(cancellable);
    return r instanceof Promise ? r.then(Number) : Number(r);
  });
}

// ---- Waitable sets

export function waitableSetNew(def: ComponentInstance): CoreFunc {
  return plain(() => {
    const inst = here(def);
    checkLeave(inst);
    return inst.handles.add(new WaitableSet());
  });
}

function storeEvent(mem: WebAssembly.Memory, ptr: number, e: EventTuple): number {
  const view = new DataView(mem.buffer);
  trapIf(ptr % 4 !== 0 || ptr + 8 > view.byteLength, 'event pointer out of bounds');
  view.setUint32(ptr, e[1], true);
  view.setUint32(ptr + 4, e[2], true);
  return e[0];
}

function getSet(inst: ComponentInstance, si: number): WaitableSet {
  const s = inst.handles.get(si);
  if (!(s instanceof WaitableSet)) trap(`handle ${si} is not a waitable set`);
  return s as WaitableSet;
}

export function waitableSetWait(def: ComponentInstance, cancellable: boolean, mem: WebAssembly.Memory): CoreFunc {
  return blocking((si: number, ptr: number) => {
    const thread = current(def);
    const inst = thread.task.inst;
    checkLeave(inst);
    checkMayBlock(thread);
    const wset = getSet(inst, si);
    if (thread.task.deliverPendingCancel(cancellable)) return storeEvent(mem, ptr, [EventCode.TASK_CANCELLED, 0, 0]);
    if (wset.hasPendingEvent()) return storeEvent(mem, ptr, wset.getPendingEvent());
    return wset.waitForEventAnd(thread, () => true, cancellable).then((e) => storeEvent(mem, ptr, e));
  });
}

export function waitableSetPoll(def: ComponentInstance, cancellable: boolean, mem: WebAssembly.Memory): CoreFunc {
  return plain((si: number, ptr: number) => {
    const thread = current(def);
    const inst = thread.task.inst;
    checkLeave(inst);
    return storeEvent(mem, ptr, getSet(inst, si).poll(thread, cancellable));
  });
}

export function waitableSetDrop(def: ComponentInstance): CoreFunc {
  return plain((si: number) => {
    const inst = here(def);
    checkLeave(inst);
    const s = inst.handles.remove(si);
    if (!(s instanceof WaitableSet)) trap(`handle ${si} is not a waitable set`);
    (s as WaitableSet).drop();
  });
}

export function waitableJoin(def: ComponentInstance): CoreFunc {
  return plain((wi: number, si: number) => {
    const inst = here(def);
    checkLeave(inst);
    const w = inst.handles.get(wi);
    if (!(w instanceof Waitable)) trap(`handle ${wi} is not a waitable`);
    trapIf((w as Waitable).hasSyncWaiter, 'waitable cannot be joined while a synchronous wait is in progress');
    (w as Waitable).join(si === 0 ? null : getSet(inst, si));
  });
}

// ---- Subtasks

export function subtaskCancel(def: ComponentInstance, isAsync: boolean): CoreFunc {
  return blocking((i: number) => {
    const thread = current(def);
    const inst = thread.task.inst;
    checkLeave(inst);
    if (!isAsync) checkMayBlock(thread);
    const subtask = inst.handles.get(i);
    if (!(subtask instanceof Subtask)) trap(`handle ${i} is not a subtask`);
    const st = subtask as Subtask;
    trapIf(st.resolveDelivered(), '`subtask.cancel` called after terminal status delivered');
    trapIf(st.cancellationRequested, 'cannot cancel a subtask twice');
    trapIf(st.inWaitableSet() && !isAsync, 'waitable cannot be used synchronously while added to a waitable set');
    const finish = (): number => {
      const [, , payload] = st.getPendingEvent();
      return payload;
    };
    if (st.resolved()) return finish();
    st.cancellationRequested = true;
    return st.onCancel!(inst).then(async () => {
      if (!st.resolved()) {
        if (isAsync) return BLOCKED;
        await st.waitForPendingEvent(thread);
      }
      return finish();
    });
  });
}

export function subtaskDrop(def: ComponentInstance): CoreFunc {
  return plain((i: number) => {
    const inst = here(def);
    checkLeave(inst);
    const s = inst.handles.remove(i);
    if (!(s instanceof Subtask)) trap(`handle ${i} is not a subtask`);
    (s as Subtask).drop();
  });
}

// ---- Streams and futures

export function streamNew(def: ComponentInstance, t: ValType | null): CoreFunc {
  return plain(() => {
    const inst = here(def);
    checkLeave(inst);
    const shared = new SharedStream(t);
    const ri = inst.handles.add(new ReadableStreamEnd(inst.store, shared));
    const wi = inst.handles.add(new WritableStreamEnd(inst.store, shared));
    return BigInt(ri) | (BigInt(wi) << 32n);
  });
}

export function futureNew(def: ComponentInstance, t: ValType | null): CoreFunc {
  return plain(() => {
    const inst = here(def);
    checkLeave(inst);
    const shared = new SharedFuture(t);
    const ri = inst.handles.add(new ReadableFutureEnd(inst.store, shared));
    const wi = inst.handles.add(new WritableFutureEnd(inst.store, shared));
    return BigInt(ri) | (BigInt(wi) << 32n);
  });
}

type EndCtor = typeof ReadableStreamEnd | typeof WritableStreamEnd | typeof ReadableFutureEnd | typeof WritableFutureEnd;

function getEnd(inst: ComponentInstance, i: number, ctor: EndCtor, t: ValType | null): CopyEnd {
  const e = inst.handles.get(i);
  if (!(e instanceof ctor)) trap(`handle ${i} is not a ${ctor.name}`);
  const end = e as CopyEnd;
  if (!typeEquals(end.shared.t, t)) trap(`handle ${i} has the wrong element type`);
  return end;
}

function checkIdle(end: CopyEnd, isAsync: boolean): void {
  if (end.state === CopyState.DONE) {
    const what = end.what;
    // The spec tests' words, and for streams also those of wasmtime releases (which test
    // suites written against them compare).
    if (end.readable) {
      trap(what === 'stream' ? 'cannot read from stream after being notified that the writable end dropped (cannot read after being notified that the writable end dropped)'
        : 'cannot read from future after previous read succeeded');
    }
    trap(what === 'stream' ? 'cannot write to stream after being notified that the readable end dropped (cannot write after being notified that the readable end dropped)'
      : 'cannot write to future after previous write succeeded or readable end dropped');
  }
  trapIf(end.state !== CopyState.IDLE, 'cannot have concurrent operations active on a future/stream');
  trapIf(end.inWaitableSet() && !isAsync, 'waitable cannot be used synchronously while added to a waitable set');
}

export function streamCopy(def: ComponentInstance, t: ValType | null, opts: Options, readable: boolean): CoreFunc {
  const ctor = readable ? ReadableStreamEnd : WritableStreamEnd;
  const eventCode = readable ? EventCode.STREAM_READ : EventCode.STREAM_WRITE;
  const defCx = new LiftLowerContext(opts, def, null);
  return blocking((i: number, ptr: number, n: number) => {
    const thread = current(def);
    const inst = thread.task.inst;
    const cx = inst === def ? defCx : new LiftLowerContext(opts, inst, null);
    checkLeave(inst);
    if (!opts.async) checkMayBlock(thread);
    const e = getEnd(inst, i, ctor, t) as StreamEnd;
    checkIdle(e, opts.async);
    const buffer = new GuestBuffer(t, cx, ptr >>> 0, n >>> 0);
    // stream_event, on_copy and on_copy_done are the end's (streams.ts StreamEnd).
    e.beginCopy(i, eventCode, buffer);
    if (readable) e.shared.read(inst, buffer, e.onCopy, e.onCopyDone);
    else e.shared.write(inst, buffer, e.onCopy, e.onCopyDone);
    if (e.hasPendingEvent()) return e.getPendingEvent()[2] >>> 0;
    if (opts.async) return BLOCKED;
    return e.waitForPendingEvent(thread).then(() => e.getPendingEvent()[2] >>> 0);
  }, !opts.async);
}

export function futureCopy(def: ComponentInstance, t: ValType | null, opts: Options, readable: boolean): CoreFunc {
  const ctor = readable ? ReadableFutureEnd : WritableFutureEnd;
  const eventCode = readable ? EventCode.FUTURE_READ : EventCode.FUTURE_WRITE;
  return blocking((i: number, ptr: number) => {
    const thread = current(def);
    const inst = thread.task.inst;
    checkLeave(inst);
    if (!opts.async) checkMayBlock(thread);
    const e = getEnd(inst, i, ctor, t);
    checkIdle(e, opts.async);
    const cx = new LiftLowerContext(opts, inst, null);
    const buffer = new GuestBuffer(t, cx, ptr >>> 0, 1);
    const futureEvent = (result: CopyResult): EventTuple => {
      e.state = result === CopyResult.DROPPED || result === CopyResult.COMPLETED ? CopyState.DONE : CopyState.IDLE;
      return [eventCode, i, result];
    };
    e.state = CopyState.COPYING;
    const shared = e.shared as SharedFuture;
    const onCopyDone = (result: CopyResult) => e.setPendingEvent(() => futureEvent(result));
    if (readable) shared.read(inst, buffer, onCopyDone);
    else shared.write(inst, buffer, onCopyDone);
    const finish = (): number => e.getPendingEvent()[2] >>> 0;
    if (e.hasPendingEvent()) return finish();
    if (opts.async) return BLOCKED;
    return e.waitForPendingEvent(thread).then(finish);
  }, !opts.async);
}

export function cancelCopy(def: ComponentInstance, t: ValType | null, isAsync: boolean, ctor: EndCtor): CoreFunc {
  return blocking((i: number) => {
    const thread = current(def);
    const inst = thread.task.inst;
    checkLeave(inst);
    if (!isAsync) checkMayBlock(thread);
    const e = getEnd(inst, i, ctor, t);
    trapIf(e.state !== CopyState.COPYING || e.hasSyncWaiter, 'no copy in progress to cancel');
    trapIf(e.inWaitableSet() && !isAsync, 'waitable cannot be used synchronously while added to a waitable set');
    e.state = CopyState.CANCELLING_COPY;
    const buffer = e.buffer;
    // A copy cut short by the cancel reports CANCELLED with its progress (as the spec's tests
    // expect), even when a partial copy had already been recorded as COMPLETED.
    const finish = (): number => {
      const payload = e.getPendingEvent()[2] >>> 0;
      const partial = buffer !== null && buffer.remain() > 0 && (payload & 0xf) === CopyResult.COMPLETED;
      return partial ? (payload & ~0xf) | CopyResult.CANCELLED : payload;
    };
    if (!e.hasPendingEvent()) {
      e.shared.cancel();
      if (!e.hasPendingEvent()) {
        if (isAsync) return BLOCKED;
        return e.waitForPendingEvent(thread).then(finish);
      }
    }
    return finish();
  }, !isAsync);
}

export function dropEnd(def: ComponentInstance, t: ValType | null, ctor: EndCtor): CoreFunc {
  return plain((i: number) => {
    const inst = here(def);
    checkLeave(inst);
    const e = inst.handles.get(i);
    if (!(e instanceof ctor)) trap(`handle ${i} is not a ${ctor.name}`);
    const end = e as CopyEnd;
    if (!typeEquals(end.shared.t, t)) trap(`handle ${i} has the wrong element type`);
    end.drop();
    inst.handles.remove(i);
  });
}

// ---- 📝 error-context (gated in 0.3.0; kept minimal)

export function errorContextNew(def: ComponentInstance, opts: Options): CoreFunc {
  return plain((ptr: number, units: number) => {
    const inst = here(def);
    checkLeave(inst);
    const cx = new LiftLowerContext(opts, inst);
    return inst.handles.add(new ErrorContextValue(loadStringFromRange(cx, ptr >>> 0, units >>> 0)));
  });
}

export function errorContextDebugMessage(def: ComponentInstance, opts: Options): CoreFunc {
  return plain((i: number, ptr: number) => {
    const inst = here(def);
    checkLeave(inst);
    const e = inst.handles.get(i);
    if (!(e instanceof ErrorContextValue)) trap(`handle ${i} is not an error-context`);
    const cx = new LiftLowerContext(opts, inst);
    const [p, n] = storeStringIntoRange(cx, (e as ErrorContextValue).message);
    cx.view.setUint32(ptr, p, true);
    cx.view.setUint32(ptr + 4, n, true);
  });
}

export function errorContextDrop(def: ComponentInstance): CoreFunc {
  return plain((i: number) => {
    const inst = here(def);
    checkLeave(inst);
    const e = inst.handles.remove(i);
    if (!(e instanceof ErrorContextValue)) trap(`handle ${i} is not an error-context`);
  });
}

export function gated(def: ComponentInstance, name: string): CoreFunc {
  return plain(() => {
    const inst = here(def);
    checkLeave(inst);
    trap(`${name} is not supported in WASI 0.3.0 (feature gated)`);
  });
}
