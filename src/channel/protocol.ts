// The messages that cross threads. Byte streams travel on a MessagePort of their own, as
// transferred ArrayBuffers with credit-based flow control; calls travel through Comlink.

/** On a byte port: writer to reader. A chunk is the first `length` bytes of `chunk`. */
export type ByteMessage =
  | { type: 'chunk'; chunk: ArrayBuffer; length: number }
  | { type: 'end' }
  | { type: 'error'; message: string };

/** On a byte port: reader to writer. Credit may bring chunks' buffers back for the writer to
 * fill again: reused memory is what lets bytes cross at memory speed (DESIGN.md). */
export type CreditMessage =
  | { type: 'credit'; bytes: number; buffers?: ArrayBuffer[] }
  | { type: 'cancel' };

export type LoadPhase = 'fetch' | 'compile' | 'instantiate';
export interface Progress { phase: LoadPhase; loaded: number; total: number }

/** What the page asks a component worker to load. */
export interface LoadRequest {
  url?: string;
  bytes?: ArrayBuffer;
  args: string[];
  env: [string, string][];
  cwd: string | null;
  stdout: MessagePort;
  stderr: MessagePort;
  stdin: MessagePort | null;
}

/** A component export as the page sees it: a function, or an instance of functions. */
export type ExportInfo =
  | { kind: 'func'; name: string }
  | { kind: 'instance'; name: string; funcs: string[] };

/** The worker's API, called from the page through Comlink. */
export interface ComponentWorkerApi {
  load(req: LoadRequest, onProgress?: (p: Progress) => void): Promise<ExportInfo[]>;
  run(): Promise<{ exitCode: number }>;
  call(path: string[], args: unknown[]): Promise<unknown>;
}
