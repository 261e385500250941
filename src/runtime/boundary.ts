// The boundary (the layer above concurrency): how stream and future handles are lifted and
// lowered. Between guests the shared end passes as it is; to the host in this worker it becomes
// a StreamReader or FutureReader, and a host value (a ReadableStream, an iterable, a Promise,
// or an end from another worker that the channel turned into one) becomes a shared end. The abi
// reaches this through the store (abi/context.ts), so it imports nothing above it.
import { trap } from './errors.js';
import { typeEquals, type ValType } from './types.js';
import type { Boundary, LiftLowerContext } from './abi/context.js';
import {
  CopyState, ReadableFutureEnd, ReadableStreamEnd, SharedFuture, SharedStream,
} from './concurrency/streams.js';
import { FutureReader, StreamReader, fromHostFuture, fromHostStream } from './concurrency/host-ends.js';


function liftAsyncValue(cx: LiftLowerContext, i: number, t: { k: 'stream' | 'future'; t: ValType | null }): SharedStream | SharedFuture {
  const e = cx.inst.handles.remove(i);
  const want = t.k === 'stream' ? ReadableStreamEnd : ReadableFutureEnd;
  if (!(e instanceof want)) trap(`handle ${i} is not a readable ${t.k} end`);
  const end = e as ReadableStreamEnd | ReadableFutureEnd;
  if (!typeEquals(end.shared.t, t.t)) trap(`${t.k} handle ${i} has the wrong element type`);
  if (end.state === CopyState.DONE) {
    trap(t.k === 'stream' ? 'cannot lift stream after being notified that the writable end dropped'
      : 'cannot lift future after previous read succeeded');
  }
  if (end.state !== CopyState.IDLE) trap(`cannot remove busy ${t.k}`);
  if (end.inWaitableSet()) trap(`cannot lift ${t.k} while it's in a waitable set`);
  return end.shared;
}

function liftStream(cx: LiftLowerContext, i: number, t: { k: 'stream'; t: ValType | null }): unknown {
  const shared = liftAsyncValue(cx, i, t) as SharedStream;
  return cx.host ? new StreamReader(shared, cx.inst.store) : shared;
}

function liftFuture(cx: LiftLowerContext, i: number, t: { k: 'future'; t: ValType | null }): unknown {
  const shared = liftAsyncValue(cx, i, t) as SharedFuture;
  return cx.host ? new FutureReader(shared, cx.inst.store) : shared;
}

function lowerStream(cx: LiftLowerContext, v: unknown, t: { k: 'stream'; t: ValType | null }): number {
  const shared = v instanceof SharedStream ? v : fromHostStream(v, t.t, cx.inst.store);
  return cx.inst.handles.add(new ReadableStreamEnd(cx.inst.store, shared));
}

function lowerFuture(cx: LiftLowerContext, v: unknown, t: { k: 'future'; t: ValType | null }): number {
  const shared = v instanceof SharedFuture ? v : fromHostFuture(v, t.t, cx.inst.store);
  return cx.inst.handles.add(new ReadableFutureEnd(cx.inst.store, shared));
}

/** The boundary every store uses. */
export const BOUNDARY: Boundary = { liftStream, liftFuture, lowerStream, lowerFuture };
