// Byte streams over a MessagePort: chunks move as transferred ArrayBuffers (never cloned), and
// the writer stops when the reader's credit runs out, so memory stays bounded whatever the
// speed difference between the two threads.
import type { ByteMessage, CreditMessage } from './protocol.js';

/** Bytes a writer may have in flight before it waits for credit. */
export const DEFAULT_WINDOW = 1 << 20;

/** The sending end. write() resolves when the chunk may be followed by another. */
export class PortWriter {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private cancelled = false;

  constructor(private readonly port: MessagePort, private readonly window = DEFAULT_WINDOW) {
    port.onmessage = (e: MessageEvent<CreditMessage>) => {
      if (e.data.type === 'credit') this.inFlight -= e.data.bytes;
      else this.cancelled = true;
      this.wake();
    };
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Send a chunk (its buffer is transferred when it owns all of it). False once cancelled.
   * Returns at once while credit lasts; a Promise only when it must wait for credit, so a
   * producer that keeps within the window never yields to the event loop. */
  write(chunk: Uint8Array): boolean | Promise<boolean> {
    if (!this.cancelled && this.inFlight + chunk.byteLength > this.window && this.inFlight > 0) {
      return new Promise<void>((r) => this.waiters.push(r)).then(() => this.write(chunk));
    }
    return this.send(chunk);
  }

  private send(chunk: Uint8Array): boolean {
    if (this.cancelled) return false;
    const owned = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer
      ? chunk : chunk.slice();
    this.inFlight += owned.byteLength;
    const msg: ByteMessage = { type: 'chunk', chunk: owned.buffer as ArrayBuffer };
    this.port.postMessage(msg, [owned.buffer as ArrayBuffer]);
    return true;
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

/** The receiving end as a WHATWG ReadableStream. Credit goes back as the consumer pulls each
 * chunk, so at most the writer's window waits here. */
export function portReadable(port: MessagePort): ReadableStream<Uint8Array> {
  const queue: Uint8Array[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  port.onmessage = (e: MessageEvent<ByteMessage>) => {
    const m = e.data;
    if (m.type === 'chunk') queue.push(new Uint8Array(m.chunk));
    else if (m.type === 'end') ended = true;
    else failure = new Error(m.message);
    wake?.();
  };
  const post = (m: CreditMessage) => port.postMessage(m);
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      while (queue.length === 0 && !ended && !failure) await new Promise<void>((r) => { wake = r; });
      wake = null;
      const c = queue.shift();
      if (c) {
        ctrl.enqueue(c);
        post({ type: 'credit', bytes: c.byteLength });
      } else if (failure) ctrl.error(failure);
      else { ctrl.close(); port.close(); }
    },
    cancel() {
      post({ type: 'cancel' });
      port.close();
    },
  }, { highWaterMark: 0 });
}

/** Receive a byte port's chunks into onChunk, returning credit as each is taken (after its
 * Promise, if onChunk returns one: that is the backpressure). Resolves at the end. */
export function portReceive(port: MessagePort, onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let chain: Promise<void> = Promise.resolve();
    const credit = (bytes: number) => { const m: CreditMessage = { type: 'credit', bytes }; port.postMessage(m); };
    const fail = (e: unknown) => {
      const m: CreditMessage = { type: 'cancel' };
      port.postMessage(m);
      port.close();
      reject(e);
    };
    port.onmessage = (e: MessageEvent<ByteMessage>) => {
      const m = e.data;
      if (m.type === 'chunk') {
        const chunk = new Uint8Array(m.chunk);
        chain = chain.then(() => {
          const r = onChunk(chunk);
          if (r instanceof Promise) return r.then(() => credit(chunk.byteLength));
          credit(chunk.byteLength);
          return undefined;
        }).catch((err: unknown) => { fail(err); throw err; });
      } else if (m.type === 'end') {
        chain.then(() => { port.close(); resolve(); }, () => {});
      } else {
        chain.then(() => { port.close(); reject(new Error(m.message)); }, () => {});
      }
    };
  });
}

/** Pump a ReadableStream into a PortWriter, then close it. */
export async function pumpToPort(source: ReadableStream<Uint8Array>, writer: PortWriter): Promise<void> {
  const r = source.getReader();
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      if (!(await writer.write(value))) { await r.cancel(); return; }
    }
    writer.close();
  } catch (e) {
    writer.error(e instanceof Error ? e.message : String(e));
  }
}
