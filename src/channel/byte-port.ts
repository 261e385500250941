// Byte streams over a MessagePort: chunks move as transferred ArrayBuffers (never cloned), and
// the writer stops when the reader's credit runs out, so memory stays bounded whatever the
// speed difference between the two threads.
//
// Buffers go round: a writer fills buffers it lends out (buffer()), and a reader that is done
// with a chunk's bytes sends its buffer back with the credit. New memory costs more than copying
// (each first touch of a page faults; DESIGN.md), so a stream whose reader gives buffers back
// moves at memory speed. A reader that hands chunks on to code that keeps them gives none back,
// and the writer makes new ones. Credit goes back in batches: a message costs more than a copy.
import type { BodyWire, ByteMessage, CreditMessage } from './protocol.js';

/** Bytes a writer may have in flight before it waits for credit. */
export const DEFAULT_WINDOW = 1 << 22;
/** The size of the buffers a writer lends out. */
export const DEFAULT_CHUNK = 1 << 20;
/** A reader returns credit once it holds this much (or when it runs out of chunks). It must be
 * at most half the window, where a waiting writer wakes. */
const CREDIT_BATCH = DEFAULT_WINDOW / 4;

/** A stream's sending end, over a port (PortWriter) or a shared ring (sab-ring.ts RingWriter):
 * what ends.ts writes to. */
export interface ByteWriter {
  readonly chunkSize: number;
  /** Units sent, those the reader has taken, and the chunks (or batches) sent. */
  readonly sent: number;
  readonly credited: number;
  readonly messages: number;
  onCancel: (() => void) | null;
  onWatch: ((lock: string) => void) | null;
  readonly isCancelled: boolean;
  cancel(): void;
  write(chunk: Uint8Array): boolean | Promise<boolean>;
  writeValues(values: unknown[], transfer?: Transferable[]): boolean | Promise<boolean>;
  whenRoom(n: number): true | Promise<void>;
  buffer(size?: number): Uint8Array;
  watch(lock: string): void;
  /** The end, or a failure: after either the writer lets its port go once nothing more is
   * owed to it (see PortWriter). */
  close(): void;
  error(message: string): void;
}

/** What every writer says on its port besides the bytes (a PortWriter's chunks, or a ring's:
 * sab-ring.ts): the Web Lock it holds, the end, a failure; and who listens for the reader. */
export abstract class PortSignals {
  /** Called once when the reader cancels (or is found gone: see onWatch). */
  onCancel: (() => void) | null = null;
  /** Called when the reader names the Web Lock it holds (protocol.ts 'watch'). */
  onWatch: ((lock: string) => void) | null = null;

  constructor(protected readonly port: MessagePort) {}

  /** Tell the reader which Web Lock this writer holds (see protocol.ts). */
  watch(lock: string): void {
    const msg: ByteMessage = { type: 'watch', lock };
    this.port.postMessage(msg);
  }

  close(): void {
    const msg: ByteMessage = { type: 'end' };
    this.port.postMessage(msg);
  }

  error(message: string): void {
    const msg: ByteMessage = { type: 'error', message };
    this.port.postMessage(msg);
  }
}

/** The sending end. write() resolves when the chunk may be followed by another.
 *
 * Once it has ended (close or error), it closes its port as soon as nothing more is owed to it:
 * the reader's last credit in (readers flush it before they close their end), or the reader
 * gone. A port with a handler is kept alive for as long as both threads live, whatever its
 * other end does, and with it the writer's pooled buffers (up to the window). `sharedPort`:
 * the port carries another end's messages too (a socket's two directions), and its owner
 * closes it. */
export class PortWriter extends PortSignals implements ByteWriter {
  private inFlight = 0;
  private ended = false;
  private waiters: (() => void)[] = [];
  private cancelled = false;
  private readonly pool: ArrayBuffer[] = [];
  private pooled = 0;
  private readonly lent = new WeakSet<ArrayBuffer>();
  /** Units (bytes, or elements for values) sent, and those the reader has given credit for. */
  sent = 0;
  credited = 0;
  /** Messages of chunks or values sent. */
  messages = 0;

  constructor(port: MessagePort, private readonly window = DEFAULT_WINDOW, readonly chunkSize = DEFAULT_CHUNK, private readonly sharedPort = false) {
    super(port);
    port.onmessage = (e: MessageEvent<CreditMessage>) => {
      const m = e.data;
      if (m.type === 'watch') { this.onWatch?.(m.lock); return; }
      if (m.type === 'credit') {
        this.inFlight -= m.bytes;
        this.credited += m.bytes;
        if (this.ended) this.release();
        else for (const b of m.buffers ?? []) this.keep(b);
        // Wake at half the window, not at every credit: the producer then runs in bursts.
        if (this.inFlight > this.window / 2) return;
      } else this.cancel();
      this.wake();
    };
  }

  /** The reader is gone: writes return false from now on. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.wake();
    this.onCancel?.();
    this.release();
  }

  override close(): void {
    super.close();
    this.ended = true;
    this.release();
  }

  override error(message: string): void {
    super.error(message);
    this.ended = true;
    this.release();
  }

  /** Let the port go if the writer has ended and nothing more is owed to it. */
  private release(): void {
    if (!this.ended || this.sharedPort || (this.inFlight > 0 && !this.cancelled)) return;
    this.pool.length = 0;
    this.pooled = 0;
    // Kept only for its counters (streamStats) from now on: not what it was told to call.
    this.onCancel = null;
    this.onWatch = null;
    this.port.close();
  }

  get isCancelled(): boolean { return this.cancelled; }

  /** Send a batch of values (a stream of elements that are not bytes), counted as one unit
   * each; like write(), a Promise only when it must wait for credit. */
  writeValues(values: unknown[], transfer: Transferable[] = []): boolean | Promise<boolean> {
    if (!this.cancelled && this.inFlight + values.length > this.window && this.inFlight > 0) {
      return new Promise<void>((r) => this.waiters.push(r)).then(() => this.writeValues(values, transfer));
    }
    if (this.cancelled) return false;
    this.inFlight += values.length;
    this.sent += values.length;
    this.messages++;
    const msg: ByteMessage = { type: 'values', values };
    this.port.postMessage(msg, transfer);
    return true;
  }

  /** True when n more units fit in the window (or nothing is in flight, or the reader is
   * gone); else a Promise of the moment they may. A producer that waits for room before it
   * takes more from its source keeps what it has taken and not yet had read within the window. */
  whenRoom(n: number): true | Promise<void> {
    if (this.cancelled || this.inFlight === 0 || this.inFlight + n <= this.window) return true;
    return new Promise<void>((r) => this.waiters.push(r)).then(() => { const w = this.whenRoom(n); return w === true ? undefined : w; });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** A buffer of at least `size` bytes (chunkSize unless a writer knows it will send less, as
   * a flush does) to fill and pass to write(): one the reader gave back, or new. A pooled one
   * is at most four times the size, so the chunk goes out in it whole (see send). */
  buffer(size = this.chunkSize): Uint8Array<ArrayBuffer> {
    size = Math.min(size, this.chunkSize);
    const i = this.pool.findLastIndex((x) => x.byteLength >= size && x.byteLength <= size * 4);
    const b = i < 0 ? new ArrayBuffer(size) : this.pool.splice(i, 1)[0]!;
    if (i >= 0) this.pooled -= b.byteLength;
    this.lent.add(b);
    return new Uint8Array(b);
  }

  /** Keep a buffer the reader gave back for a later buffer(), within the window's bytes. */
  private keep(b: ArrayBuffer): void {
    if (b.byteLength > this.chunkSize || this.pooled + b.byteLength > this.window) return;
    this.pool.push(b);
    this.pooled += b.byteLength;
  }

  /** Send a chunk: a buffer from buffer() is transferred (the chunk may be its first part),
   * any other chunk is transferred when it owns all of its buffer and copied otherwise.
   * False once cancelled. Returns at once while credit lasts; a Promise only when it must wait
   * for credit, so a producer that keeps within the window never yields to the event loop. */
  write(chunk: Uint8Array): boolean | Promise<boolean> {
    if (!this.cancelled && this.inFlight + chunk.byteLength > this.window && this.inFlight > 0) {
      return new Promise<void>((r) => this.waiters.push(r)).then(() => this.write(chunk));
    }
    return this.send(chunk);
  }

  private send(chunk: Uint8Array): boolean {
    if (this.cancelled) return false;
    const b = chunk.buffer;
    let buffer: ArrayBuffer;
    if (b instanceof ArrayBuffer && this.lent.delete(b)) {
      // A small chunk travels alone, so a reader that keeps it keeps no more than it needs.
      if (chunk.byteOffset === 0 && chunk.byteLength * 4 >= b.byteLength) buffer = b;
      else { buffer = chunk.slice().buffer; this.keep(b); }
    } else {
      buffer = chunk.byteOffset === 0 && b instanceof ArrayBuffer && chunk.byteLength === b.byteLength ? b : chunk.slice().buffer;
    }
    this.inFlight += chunk.byteLength;
    this.sent += chunk.byteLength;
    this.messages++;
    const msg: ByteMessage = { type: 'chunk', chunk: buffer, length: chunk.byteLength };
    this.port.postMessage(msg, [buffer]);
    return true;
  }
}

/** The reader's credit, returned in batches with the buffers it has finished with. `batch`
 * must be at most half the writer's window (where a waiting writer wakes). */
export class Credit {
  private bytes = 0;
  private buffers: ArrayBuffer[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  constructor(private readonly port: MessagePort, private readonly batch = CREDIT_BATCH) {}

  /** Credit for `bytes`, and the buffer they came in if the reader is done with it. */
  give(bytes: number, buffer?: ArrayBuffer): void {
    this.bytes += bytes;
    if (buffer) this.buffers.push(buffer);
    if (this.bytes >= this.batch) this.flush();
    // What is left goes back once the chunks already here are handled.
    else this.timer ??= setTimeout(() => this.flush(), 0);
  }

  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.bytes === 0) return;
    const m: CreditMessage = { type: 'credit', bytes: this.bytes, buffers: this.buffers };
    this.port.postMessage(m, this.buffers);
    this.bytes = 0;
    this.buffers = [];
  }
}

/** The receiving end as a WHATWG readable byte stream, pulled on demand, so at most the
 * writer's window waits here. A default reader gets chunks it owns; a BYOB reader gets the
 * bytes copied into its own buffer, and the writer gets the chunk's buffer back to fill again.
 * An abort (the writer's thread is gone) errors the stream with the signal's reason. */
export function portReadable(port: MessagePort, signal?: AbortSignal): ReadableStream<Uint8Array> {
  const queue: Uint8Array<ArrayBuffer>[] = [];
  const credit = new Credit(port);
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  port.onmessage = (e: MessageEvent<ByteMessage>) => {
    const m = e.data;
    if (m.type === 'chunk') queue.push(new Uint8Array(m.chunk, 0, m.length));
    else if (m.type === 'end') ended = true;
    else if (m.type === 'error') failure = new Error(m.message);
    wake?.();
  };
  const onAbort = (): void => {
    if (!ended) failure ??= signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason));
    wake?.();
  };
  signal?.addEventListener('abort', onAbort);
  // Over: the port goes, and so does the listener (a signal that outlives many bodies, as a
  // handler client's does, would hold each one's queue).
  const over = (): void => { signal?.removeEventListener('abort', onAbort); port.close(); };
  return new ReadableStream({
    type: 'bytes',
    async pull(ctrl) {
      if (queue.length === 0) credit.flush();
      while (queue.length === 0 && !ended && !failure) await new Promise<void>((r) => { wake = r; });
      wake = null;
      const req = ctrl.byobRequest;
      if (queue.length && req?.view) {
        const into = new Uint8Array(req.view.buffer, req.view.byteOffset, req.view.byteLength);
        let n = 0;
        while (queue.length && n < into.length) {
          const c = queue[0]!;
          const k = Math.min(c.length, into.length - n);
          into.set(k === c.length ? c : c.subarray(0, k), n);
          n += k;
          if (k < c.length) { queue[0] = c.subarray(k); break; }
          queue.shift();
          // A chunk's credit counts from its start, so a partly read one counts whole here.
          credit.give(c.byteOffset + c.length, c.buffer);
        }
        req.respond(n);
      } else if (queue.length) {
        const c = queue.shift()!;
        const bytes = c.byteOffset + c.length; // read first: enqueue detaches c
        ctrl.enqueue(c);
        credit.give(bytes);
      } else if (failure) {
        ctrl.error(failure);
        over();
      } else {
        ctrl.close();
        req?.respond(0);
        // The last credit first: the writer lets its port go once it has it all.
        credit.flush();
        over();
      }
    },
    cancel() {
      const m: CreditMessage = { type: 'cancel' };
      port.postMessage(m);
      over();
    },
  }, { highWaterMark: 0 });
}

/** Receive a byte port's chunks into onChunk, returning credit as each is taken (after its
 * Promise, if onChunk returns one: that is the backpressure). Resolves at the end; rejects with
 * the signal's reason on an abort. With `lend`, a chunk is only valid during onChunk (or until
 * its Promise settles), and its buffer goes back to the writer; without, onChunk owns every
 * chunk it is given. */
export function portReceive(port: MessagePort, onChunk: (chunk: Uint8Array) => void | Promise<void>, lend = false, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { port.close(); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort);
    const over = (): void => { signal?.removeEventListener('abort', onAbort); port.close(); };
    const credit = new Credit(port);
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      const m: CreditMessage = { type: 'cancel' };
      port.postMessage(m);
      over();
      reject(e);
    };
    port.onmessage = (e: MessageEvent<ByteMessage>) => {
      const m = e.data;
      if (m.type === 'chunk') {
        const chunk = new Uint8Array(m.chunk, 0, m.length);
        const done = () => credit.give(m.length, lend ? m.chunk : undefined);
        chain = chain.then(() => {
          if (failed) return undefined;
          const r = onChunk(chunk);
          if (r instanceof Promise) return r.then(done);
          done();
          return undefined;
        }).catch(fail);
      } else if (m.type === 'end') {
        // The last credit first: the writer lets its port go once it has it all.
        void chain.then(() => { credit.flush(); over(); resolve(); });
      } else if (m.type === 'error') {
        void chain.then(() => { over(); reject(new Error(m.message)); });
      }
    };
  });
}

/** Pump a ReadableStream into a PortWriter, then close it. */
export function pumpToPort(source: ReadableStream<Uint8Array>, writer: PortWriter): Promise<void> {
  return pumpReader(source.getReader(), writer);
}

/** A body read a chunk at a time: a ReadableStream's default reader, or a lighter source of
 * the same shape (a component's response body read straight from its stream). */
export interface BodyReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
  /** Send the rest straight into a writer (ends it, closed or errored), where the source can
   * fill the writer's lent buffers itself: bulk bytes then cross in large chunks. */
  pipeTo?(writer: PortWriter): Promise<void>;
}

/** pumpToPort from a reader, starting with a read already pending (`first`). */
async function pumpReader(r: BodyReader, writer: PortWriter, first?: Promise<ReadableStreamReadResult<Uint8Array>>): Promise<void> {
  try {
    for (let next = first ?? r.read(); ; next = r.read()) {
      const { done, value } = await next;
      if (done) break;
      if (!(await writer.write(value))) { await r.cancel(); return; }
    }
    writer.close();
  } catch (e) {
    writer.error(e instanceof Error ? e.message : String(e));
  }
}

/** The most bytes of a body that cross inline, in its message. */
export const INLINE_BODY = 1 << 16;
const LATE = Symbol('late');
const SOON = Symbol('soon');
/** A Promise of SOON some microtasks from now. */
function soon(): Promise<typeof SOON> {
  let p = Promise.resolve(SOON);
  for (let i = 0; i < 8; i++) p = p.then((x) => x);
  return p;
}

/** A body to send with a message (HTTP's, protocol.ts BodyWire). One that ends at once (in
 * this task) within INLINE_BODY bytes goes whole, in the message: a byte port costs more than
 * the message itself (it is made, transferred, entangled and closed), which is most of a small
 * request's cost. Else it streams on a new byte port (what was read goes first); `onWriter`
 * gets its writer (to cancel) and the pump's end. What to transfer is added to `transfer`. */
export async function sendBody(body: ReadableStream<Uint8Array> | BodyReader | null, transfer: Transferable[], onWriter?: (w: PortWriter, pumped: Promise<void>) => void): Promise<BodyWire> {
  if (!body) return null;
  const r = body instanceof ReadableStream ? body.getReader() : body;
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let late: Promise<typeof LATE> | undefined;
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | undefined = r.read();
  try {
    for (;;) {
      // Most bodies that are there at once are within a few microtasks: no timer for those.
      let got: ReadableStreamReadResult<Uint8Array> | typeof SOON | typeof LATE = await Promise.race([next, soon()]);
      if (got === SOON) got = await Promise.race([next, late ??= new Promise<typeof LATE>((resolve) => { timer = setTimeout(() => resolve(LATE), 0); })]);
      if (got === LATE) break;
      next = undefined;
      if (got.done) {
        clearTimeout(timer);
        // Cloned, not transferred: a transfer costs more than copying this little.
        return concat(parts, size);
      }
      parts.push(got.value);
      size += got.value.byteLength;
      if (size > INLINE_BODY) { clearTimeout(timer); break; }
      next = r.read();
    }
  } catch (e) {
    clearTimeout(timer);
    next = Promise.reject(e);
  }
  const ch = new MessageChannel();
  const w = new PortWriter(ch.port1);
  transfer.push(ch.port2);
  for (const c of parts) w.write(c); // within the window: INLINE_BODY is far below it
  const pumped = pumpRest(r, w, next); // (started whether or not anyone watches it)
  onWriter?.(w, pumped);
  return ch.port2;
}

/** The rest of a body into its port, after a read that may be pending. */
async function pumpRest(r: BodyReader, w: PortWriter, next?: Promise<ReadableStreamReadResult<Uint8Array>>): Promise<void> {
  if (!r.pipeTo) return pumpReader(r, w, next);
  if (next) {
    try {
      const { done, value } = await next;
      if (done) { w.close(); return; }
      if (!(await w.write(value))) { await r.cancel(); return; }
    } catch (e) {
      w.error(e instanceof Error ? e.message : String(e));
      return;
    }
  }
  return r.pipeTo(w);
}

function concat(parts: Uint8Array[], size: number): ArrayBuffer {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out.buffer;
}

/** A body as it came (sendBody): a stream of its bytes, or null for none. */
export function receiveBody(body: BodyWire, signal?: AbortSignal): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  if (!(body instanceof ArrayBuffer)) return portReadable(body, signal);
  return new ReadableStream<Uint8Array>({ start(c) { if (body.byteLength) c.enqueue(new Uint8Array(body)); c.close(); } });
}
