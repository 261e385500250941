// The messages that cross threads. Byte streams travel on a MessagePort of their own, as
// transferred ArrayBuffers with credit-based flow control; calls travel through Comlink.
import type { Grants } from '../host/grants.js';

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
  /** What the page granted, checked on the page (checkGrants). */
  grants: Grants;
}

/** A component export as the page sees it: a function, or an instance of functions. */
export type ExportInfo =
  | { kind: 'func'; name: string }
  | { kind: 'instance'; name: string; funcs: string[] };

/** What went wrong in a worker, as it crosses to the page (thrown through Comlink as a plain
 * value): the page tells errors apart by kind, never by their message.
 * - trap: the component did what the Component Model forbids, or a host call failed; it is gone.
 * - link: an import is missing or mistyped. - invalid: the component fails validation.
 * - malformed: not a component binary. - denied: a capability that was not granted.
 * - error: anything else (a failed fetch, a bug). */
export type ErrorKind = 'trap' | 'link' | 'invalid' | 'malformed' | 'denied' | 'error';
export interface WireError { wasip3WebError: ErrorKind; name: string; message: string; stack?: string }

/** What a host package tells the page, beside calls' results (worker to page).
 * - messaging-overflow: counts since the last such event for that topic (at most one per topic
 *   per 100 ms, and the rest when the component ends). On the receiving component, `dropped`
 *   messages its full handler queue (`capacity` messages) dropped ('drop-oldest' or
 *   'drop-newest'); on a sending component, `waited`: sends that waited for room at a receiver
 *   whose setting is 'block' (capacity null: the receiver's).
 * - handler-trap: a handler the host called (an incoming message) trapped: the component is
 *   gone (the page handle ends its worker on this event). For a message, `topic` and
 *   `preview` (its first 64 bytes as UTF-8) say which.
 * - handler-error: a handler returned an error for a message (the message is not retried). */
export type HostEvent =
  | { type: 'messaging-overflow'; topic: string; overflow: 'drop-oldest' | 'drop-newest' | 'block'; capacity: number | null; dropped: number; waited: number }
  | { type: 'handler-trap'; export: string; message: string; topic?: string; preview?: string }
  | { type: 'handler-error'; export: string; topic: string; error: string };

/** The worker's API, called from the page through Comlink. */
export interface ComponentWorkerApi {
  load(req: LoadRequest, onProgress?: (p: Progress) => void, onEvent?: (e: HostEvent) => void): Promise<ExportInfo[]>;
  run(): Promise<{ exitCode: number }>;
  call(path: string[], args: unknown[]): Promise<unknown>;
  /** Tell the host packages the component is ending (terminate()). */
  dispose(): Promise<void>;
  /** Serve one HTTP request with the component's exported wasi:http handler (ComponentHandle.fetch). */
  http(req: HttpRequestWire): Promise<HttpResponseWire>;
}

/** An HTTP request for the component's handler; the body, if any, on a byte port. */
export interface HttpRequestWire { method: string; url: string; headers: [string, string][]; body: MessagePort | null }
/** The handler's response; its body streams on a byte port as the component writes it. */
export interface HttpResponseWire { status: number; headers: [string, string][]; body: MessagePort | null }
