// A component worker's side of stream and future ends crossing threads (ends.ts): a call's
// result hands its StreamReader and FutureReader ends out as ports, and a call's arguments
// bring ports in as host sources the runtime lowers into guest streams and futures. Registered
// as the Comlink transfer handler 'wasip3-ends' when this module loads.
import * as Comlink from 'comlink';
import { FutureReader, StreamReader, onDrop, pushInto, type PushSource, type StreamWriter } from '../runtime/index.js';
import type { EndWire, HostEvent } from './protocol.js';
import {
  DEFAULT_STREAM_WINDOW, ENDS_HANDLER, EndReader, EndWriter, FutureEnd, VALUE_BATCH, futureWriter, hasEnd, isWire, mapEnds, sendFuture,
  type FutureWire, type StreamWire,
} from './ends.js';
import { ringsAvailable } from './sab-ring.js';

let window = DEFAULT_STREAM_WINDOW;
let emit: (e: HostEvent) => void = () => {};
let rings = false;

/** The window of streams this worker sends, whether their bytes go through shared rings (if
 * this worker can: ringsAvailable), and where a failed remote end is reported. */
export function configureEnds(options: { window?: number; sharedMemory?: boolean; emit?: (e: HostEvent) => void }): void {
  if (options.window) window = options.window;
  if (options.sharedMemory !== undefined) rings = options.sharedMemory && ringsAvailable();
  if (options.emit) emit = options.emit;
}

const isLocalEnd = (x: object): boolean => x instanceof StreamReader || x instanceof FutureReader;

/** v with its ends replaced by wires (their ports added to transfer). */
export function encode(v: unknown, transfer: Transferable[]): unknown {
  return mapEnds(v, isLocalEnd, (x) => {
    const wire = x instanceof StreamReader ? sendStream(x) : sendFuture(x as FutureReader, encode, () => (x as FutureReader).cancel());
    transfer.push(wire.port);
    return wire;
  });
}

/** A call's result that is a future, sent on the port the page gave for it (ExportInfo's
 * `future`); anything else there is an error on that port. */
export function sendResultFuture(result: unknown, port: MessagePort): void {
  if (result instanceof FutureReader) futureWriter(port, result, encode, () => result.cancel());
  else if (result instanceof Promise) futureWriter(port, result, encode, () => {});
  else futureWriter(port, Promise.reject(new Error('the export did not return a future')), encode, () => {});
}

/** Pipe a guest stream into a port: bytes are copied out of guest memory straight into the
 * buffers the port lends (they come back with the reader's credit). */
function sendStream(r: StreamReader): EndWire {
  const t = r.shared.t;
  const bytes = t !== null && t.k === 'u8';
  const end = new EndWriter(bytes, window, rings);
  const w = end.writer;
  const STOP = {};
  // The reader went away: the guest's next write sees DROPPED.
  w.onCancel = () => r.cancel();
  // The next read of the guest's stream waits for room for a whole chunk: bytes the guest has
  // written and the reader not yet read stay within the window.
  const sent = (ok: boolean): void | Promise<void> => {
    if (!ok) throw STOP;
    const room = w.whenRoom(w.chunkSize);
    return room === true ? undefined : room;
  };
  // Reading starts once the message carrying the wire is posted (encode's callers post at
  // once): the first read copies into a new buffer, whose first touch would hold the reply.
  queueMicrotask(() => void r.pipe((chunk) => {
    let ok: boolean | Promise<boolean>;
    if (bytes) ok = end.writeBytes(chunk as Uint8Array, true);
    else {
      const transfer: Transferable[] = [];
      ok = end.writeValues(Array.from(chunk, (x) => encode(x, transfer)), transfer);
    }
    return ok instanceof Promise ? ok.then(sent) : sent(ok);
  }, bytes ? { chunkSize: w.chunkSize, buffer: () => w.buffer(), coalesce: true } : { chunkSize: VALUE_BATCH })
    .then(() => end.finish(), (e: unknown) => end.finish(e === STOP ? undefined : e instanceof Error ? e.message : String(e))));
  return end.wire;
}

/** A wire as the host source the runtime lowers: an async iterable of chunks (a stream) or a
 * Promise (a future), each telling its writer when the guest drops it. */
export function decode(v: unknown): unknown {
  return mapEnds(v, isWire, (x) => {
    const wire = x as EndWire;
    return wire.wasip3End === 'stream' ? streamSource(wire) : futureSource(wire);
  });
}

const decodeAll = (values: unknown[]) => values.map(decode);

/** A wire as a stream the guest reads: each chunk is offered the moment it is here, and its
 * buffer goes back to the writer (with the credit) as soon as the guest has taken all of it. */
function streamSource(wire: StreamWire): PushSource {
  const r = new EndReader(wire, decodeAll);
  let writer: StreamWriter | null = null;
  let finished = false;
  const pump = (): void => {
    if (finished || !writer) return;
    let item: Uint8Array | unknown[] | null | undefined;
    try {
      item = r.poll(pump);
    } catch (e) {
      emit({ type: 'stream-error', message: e instanceof Error ? e.message : String(e) });
      item = null;
    }
    if (item === undefined) return; // pump runs again when something comes
    if (item === null) { finished = true; writer.close(); return; }
    const n = item instanceof Uint8Array ? item.byteLength : item.length;
    const buffer = item instanceof Uint8Array && item.buffer instanceof ArrayBuffer ? item.buffer : undefined;
    writer.offer(item, (ok) => {
      r.done(n, buffer);
      if (!ok) { finished = true; r.cancel(); return; }
      pump();
    });
  };
  return {
    [pushInto]: (w: StreamWriter) => { writer = w; pump(); },
    // The guest dropped its readable end: the writer's next write sees DROPPED.
    [onDrop]: () => { if (!finished) { finished = true; r.cancel(); } },
  } as PushSource;
}

function futureSource(wire: FutureWire): Promise<unknown> {
  const f = new FutureEnd(wire, decode);
  const p = f.start();
  p.catch((e: unknown) => emit({ type: 'stream-error', message: e instanceof Error ? e.message : String(e) }));
  return Object.assign(p.then((v) => v), { [onDrop]: () => f.cancel() });
}

Comlink.transferHandlers.set(ENDS_HANDLER, {
  canHandle: (v: unknown): v is unknown => hasEnd(v, isLocalEnd),
  serialize(v: unknown) {
    const transfer: Transferable[] = [];
    return [encode(v, transfer), transfer];
  },
  deserialize: (v: unknown) => decode(v),
});
