// What the WASI host interfaces of one component see: its arguments, environment and stdio.
// Knows nothing of workers: src/channel/ and workers/ connect these to the page.

/** Receives a component's output bytes. write() may return a Promise to apply backpressure,
 * and throws (or rejects) with ReaderGone once nobody reads any more; buffer(), where present,
 * lends the memory the next chunk is copied into (straight out of guest memory), and write()
 * is then given a view of that buffer. */
export class ReaderGone extends Error {
  constructor() { super('the reader of this output went away'); this.name = 'ReaderGone'; }
}

export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
  buffer?(): Uint8Array;
}

export interface HostContext {
  args: string[];
  env: [string, string][];
  cwd: string | null;
  /** Bytes for stdin: read once, by the first read-via-stream call. */
  stdin: ReadableStream<Uint8Array> | null;
  stdout: ByteSink;
  stderr: ByteSink;
}
