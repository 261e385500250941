// The page's side of stream and future ends crossing threads (ends.ts). From a component: a
// stream<u8> is a readable byte stream (BYOB reads work), any other stream a ReadableStream of
// values, a future a Promise. To a component: a ReadableStream, an async iterable or an
// iterable for a stream, a Promise for a future. An end from one component passed to another
// before the page reads it moves as its port: its chunks never reach the page. Registered as the
// Comlink transfer handler 'wasip3-ends' when this module loads.
import * as Comlink from 'comlink';
import type { EndWire } from './protocol.js';
import {
  DEFAULT_STREAM_WINDOW, ENDS_HANDLER, EndReader, EndWriter, FutureEnd, VALUE_BATCH, hasEnd, isWire, mapEnds, sendFuture,
  type FutureWire, type StreamWire,
} from './ends.js';

/** Ends from a component that the page has not used yet: passed on, they go as their port. */
const unread = new WeakMap<object, { wire: EndWire; started: () => boolean }>();

let window = DEFAULT_STREAM_WINDOW;
/** The window of the streams the page sends in the calls that follow (set per call). */
export function setPageWindow(w: number): void { window = w; }

const isPlain = (x: object) => Array.isArray(x) || ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Map
  || x instanceof Date || x instanceof RegExp || x instanceof Blob || x instanceof MessagePort;
/** What the page may pass for a stream or a future. */
const isPageEnd = (x: object): boolean => x instanceof ReadableStream || x instanceof Promise
  || (!isPlain(x) && (Symbol.asyncIterator in x || Symbol.iterator in x));

export function encode(v: unknown, transfer: Transferable[]): unknown {
  return mapEnds(v, isPageEnd, (x) => {
    const known = unread.get(x);
    let wire: EndWire;
    if (known && !known.started() && !(x instanceof ReadableStream && x.locked)) {
      unread.delete(x);
      wire = known.wire;
    } else if (x instanceof Promise) {
      wire = sendFuture(x, encode, () => {});
    } else {
      wire = sendSource(x);
    }
    transfer.push(wire.port);
    return wire;
  });
}

/** Pump a ReadableStream or iterable into a new stream end: byte chunks (any ArrayBufferView)
 * are copied into the port's lent buffers, other elements go in batches (one message each). */
function sendSource(src: object): EndWire {
  const end = new EndWriter(true, window);
  let next: () => Promise<IteratorResult<unknown>>;
  let stop: () => void;
  if (src instanceof ReadableStream) {
    const r = (src as ReadableStream<unknown>).getReader();
    next = () => r.read() as Promise<IteratorResult<unknown>>;
    stop = () => { void r.cancel().catch(() => {}); };
  } else {
    const it = Symbol.asyncIterator in src ? (src as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (src as Iterable<unknown>)[Symbol.iterator]();
    next = async () => it.next();
    stop = () => { void Promise.resolve(it.return?.()).catch(() => {}); };
  }
  let cancelled = false;
  end.writer.onCancel = () => { cancelled = true; stop(); };
  void (async () => {
    let batch: unknown[] = [];
    let transfer: Transferable[] = [];
    const flush = async () => {
      if (!batch.length) return true;
      const b = batch; const t = transfer;
      batch = []; transfer = [];
      return end.writeValues(b, t);
    };
    let pending = next();
    for (;;) {
      const r = await pending;
      if (r.done || cancelled) break;
      pending = next();
      const v = r.value;
      if (ArrayBuffer.isView(v)) {
        if (!(await flush())) break;
        if (!(await end.writeBytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)))) break;
        continue;
      }
      batch.push(encode(v, transfer));
      // A batch goes out when full, or when the source has nothing more ready at once.
      const ready = await Promise.race([pending.then(() => true, () => true), Promise.resolve().then(() => false)]);
      if ((batch.length >= VALUE_BATCH || !ready) && !(await flush())) break;
    }
    if (!cancelled) await flush();
    end.finish();
  })().catch((e: unknown) => end.finish(e instanceof Error ? e.message : String(e)));
  return end.wire;
}

export function decode(v: unknown): unknown {
  return mapEnds(v, isWire, (x) => {
    const wire = x as EndWire;
    return wire.wasip3End === 'stream' ? (wire.bytes ? byteStream(wire) : valueStream(wire)) : futurePromise(wire);
  });
}

const decodeAll = (values: unknown[]) => values.map(decode);

/** A stream<u8> from a component: pulled on demand, so at most the window waits here. A
 * default reader owns its chunks; a BYOB reader gets the bytes copied into its buffer, and
 * the chunk's memory goes back to the writer. */
function byteStream(wire: StreamWire): ReadableStream<Uint8Array> {
  const r = new EndReader(wire, decodeAll);
  const s = new ReadableStream({
    type: 'bytes',
    async pull(ctrl) {
      const c = await r.next().catch((e: unknown) => { ctrl.error(e); return undefined; });
      if (c === undefined) return;
      const req = ctrl.byobRequest;
      if (c === null) { ctrl.close(); req?.respond(0); return; }
      const chunk = c instanceof Uint8Array ? c : Uint8Array.from(c as number[]);
      // A view of a shared ring (sab-ring.ts): copied out, and the ring's bytes taken at once.
      const own = chunk.buffer instanceof ArrayBuffer ? chunk as Uint8Array<ArrayBuffer> : null;
      if (req?.view) {
        const into = new Uint8Array(req.view.buffer, req.view.byteOffset, req.view.byteLength);
        const k = Math.min(chunk.length, into.length);
        into.set(chunk.subarray(0, k));
        // Credit counts a chunk whole, once all of it is taken.
        if (k < chunk.length) r.unshift(chunk.subarray(k));
        else r.done(chunk.byteOffset + chunk.length, own?.buffer);
        req.respond(k);
      } else {
        const n = chunk.byteOffset + chunk.length; // read first: enqueue detaches the chunk
        ctrl.enqueue(own ?? chunk.slice());
        r.done(n);
      }
    },
    cancel() { r.cancel(); },
  }, { highWaterMark: 0 });
  unread.set(s, { wire, started: () => r.started });
  return s;
}

/** Any other stream from a component: a ReadableStream of its elements (jco's values). */
function valueStream(wire: StreamWire): ReadableStream<unknown> {
  const r = new EndReader(wire, decodeAll);
  const s = new ReadableStream<unknown>({
    async pull(ctrl) {
      const c = await r.next().catch((e: unknown) => { ctrl.error(e); return undefined; });
      if (c === undefined) return;
      if (c === null) { ctrl.close(); return; }
      const values = c instanceof Uint8Array ? Array.from(c) : c;
      for (const v of values) ctrl.enqueue(v);
      r.done(values.length);
    },
    cancel() { r.cancel(); },
  }, { highWaterMark: 0 });
  unread.set(s, { wire, started: () => r.started });
  return s;
}

/** A future from a component: a Promise that starts listening when first awaited, so until
 * then it can be passed on to another component as its port. */
function futurePromise(wire: FutureWire, call?: Promise<unknown>): Promise<unknown> {
  const f = new FutureEnd(wire, decode);
  // The call that returns the future may fail instead.
  const start = call ? () => Promise.race([f.start(), call.then(() => new Promise<never>(() => {}))]) : () => f.start();
  class LazyPromise<T> extends Promise<T> {
    // Promises made by then() and friends are plain Promises.
    static override get [Symbol.species]() { return Promise; }
    override then<A = T, B = never>(ok?: ((v: T) => A | PromiseLike<A>) | null, err?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
      unread.delete(this);
      return (start() as Promise<T>).then(ok, err);
    }
  }
  const p = new LazyPromise<unknown>(() => {});
  unread.set(p, { wire, started: () => f.started });
  return p;
}

/** Call an export whose result is a future: `call` sends the writer's end of a new channel with
 * the call, and the page holds the reader's end from the start, so the Promise returned can be
 * passed to another component unread (its value then never reaches the page). */
export function futureResult(call: (port: MessagePort) => Promise<unknown>): Promise<unknown> {
  const ch = new MessageChannel();
  const done = call(ch.port1);
  done.catch(() => {});
  return futurePromise({ wasip3End: 'future', port: ch.port2 }, done);
}

Comlink.transferHandlers.set(ENDS_HANDLER, {
  canHandle: (v: unknown): v is unknown => hasEnd(v, isPageEnd),
  serialize(v: unknown) {
    const transfer: Transferable[] = [];
    return [encode(v, transfer), transfer];
  },
  deserialize: (v: unknown) => decode(v),
});
