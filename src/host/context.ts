// What the WASI host interfaces of one component see: its arguments, environment and stdio.
// Knows nothing of workers: src/channel/ and workers/ connect these to the page.

/** Receives a component's output bytes; may return a Promise to apply backpressure. */
export type ByteSink = (chunk: Uint8Array) => void | Promise<void>;

export interface HostContext {
  args: string[];
  env: [string, string][];
  cwd: string | null;
  /** Bytes for stdin: read once, by the first read-via-stream call. */
  stdin: ReadableStream<Uint8Array> | null;
  stdout: ByteSink;
  stderr: ByteSink;
}
