// wasi:io@0.2 (error, poll, streams) on @bytecodealliance/preview2-shim's classes: streams are
// driven by handlers, pollables wait on Promises, and a blocking call that returns a Promise
// suspends the component through JSPI (never a spin). Written here: only what the shim lacks
// for handlers that wait (its blocking-flush and blocking-splice do not return the wait).
import {
  error, poll, streams, inputStreamCreate, outputStreamCreate, pollableCreate, ioErrorCreate,
  type InputStreamHandler, type OutputStreamHandler, type PollableSource,
} from '@bytecodealliance/preview2-shim/io';
import { borrowsBytes, neverSuspends, throwsErrors } from '../../runtime/index.js';

type Waits<T> = T | Promise<T>;
type Handler = { borrows?: boolean; blockingFlush?: (...a: unknown[]) => unknown; flush?: (...a: unknown[]) => unknown };
type Stream = { handler: Handler; open?: boolean };
const closed = (): never => { throw { tag: 'closed' }; };
const OutputStream = streams.OutputStream as unknown as { prototype: Record<string, unknown> };

// The shim's blocking-flush and blocking-write-zeroes-and-flush drop their handler's result;
// ours may be a Promise to wait on, so these return it.
Object.assign(OutputStream.prototype, {
  blockingFlush(this: Stream): unknown {
    if (!this.open) closed();
    return this.handler.blockingFlush ? this.handler.blockingFlush.call(this) : this.handler.flush?.call(this);
  },
  blockingWriteZeroesAndFlush(this: Stream & { blockingWriteAndFlush(b: Uint8Array): unknown }, len: bigint): unknown {
    if (len > 4096n) throw new RangeError('blockingWriteZeroesAndFlush accepts at most 4096 bytes');
    return this.blockingWriteAndFlush(new Uint8Array(Number(len)));
  },
  async blockingSplice(this: { checkWrite(): bigint; write(b: Uint8Array): void; blockingFlush(): unknown }, src: { blockingRead(n: bigint): Waits<Uint8Array> }, len: bigint): Promise<bigint> {
    let permit = this.checkWrite();
    while (permit === 0n) { await this.blockingFlush(); permit = this.checkWrite(); }
    const bytes = await src.blockingRead(len < permit ? len : permit);
    this.write(bytes);
    return BigInt(bytes.byteLength);
  },
});

// Writes take their bytes as views of guest memory (borrowsBytes: no new memory per write); a
// handler that is done with them when it returns says `borrows: true`, every other handler is
// given its own copy, as before.
type Write = (this: Stream, buf: Uint8Array) => unknown;
const proto = OutputStream.prototype as { write: Write; blockingWriteAndFlush: Write };
const { write: shimWrite, blockingWriteAndFlush: shimWriteAndFlush } = proto;
const own = (s: Stream, buf: Uint8Array) => (s.handler.borrows ? buf : buf.slice());
proto.write = borrowsBytes(function write(this: Stream, buf: Uint8Array) { return shimWrite.call(this, own(this, buf)); });
proto.blockingWriteAndFlush = borrowsBytes(function blockingWriteAndFlush(this: Stream, buf: Uint8Array) {
  return shimWriteAndFlush.call(this, own(this, buf));
});

// The calls that never wait are plain imports (no JSPI wrapper: a guest writing in 64 KiB
// pieces makes two of them per write). Not input-stream.read, skip or splice: without a
// handler read, the shim's read falls back to a blocking read, which may wait.
const InputStream = streams.InputStream as unknown as { prototype: Record<string, unknown> };
const Pollable = poll.Pollable as unknown as { prototype: Record<string, unknown> };
const ErrorClass = error.Error as unknown as { prototype: Record<string, unknown> };
for (const [p, names] of [
  [OutputStream.prototype, ['checkWrite', 'write', 'flush', 'writeZeroes', 'subscribe']],
  [InputStream.prototype, ['subscribe']], [Pollable.prototype, ['ready']], [ErrorClass.prototype, ['toDebugString']],
] as const) for (const n of names) neverSuspends(p[n] as object);

/** A pollable ready once `wait` settles (at once without one). */
export function pollable(wait?: Promise<unknown> | PollableSource) {
  return wait ? pollableCreate(wait as PollableSource) : pollableCreate();
}

/** An input stream over a handler whose blocking reads may return Promises. */
export function inputStream(handler: { blockingRead(len: bigint): Waits<Uint8Array>; read?(len: bigint): Uint8Array; subscribe?(): unknown; drop?(): void }) {
  return inputStreamCreate(handler as unknown as InputStreamHandler);
}

/** An output stream over a handler whose blocking calls may return Promises. */
export function outputStream(handler: {
  /** True if write and blocking-write-and-flush are done with their bytes when they return
   * (they copy what they keep): they are then given views of guest memory. */
  borrows?: boolean;
  write(buf: Uint8Array): void; checkWrite?(): bigint; flush?(): void; blockingFlush?(): Waits<void>;
  blockingWriteAndFlush?(buf: Uint8Array): Waits<void>; subscribe?(): unknown; drop?(): void;
}) {
  return outputStreamCreate(handler as unknown as OutputStreamHandler);
}

export { ioErrorCreate };

/** The package's interfaces as import objects. */
export function io(): Record<string, object> {
  return { error, poll, streams: throwsErrors(streams) };
}
