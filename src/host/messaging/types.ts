// wasi:messaging/types@0.2.0-draft: the client (a connection to the bus) and the message
// resource (bytes, topic, content type, metadata), as host objects the guest holds.
import type { Received, WireMessage } from './bus.js';

/** The WIT's error variant. */
export type MessagingError =
  | { tag: 'timeout' }
  | { tag: 'connection'; val: string }
  | { tag: 'permission-denied'; val: string }
  | { tag: 'other'; val: string };

/** A WIT result as the runtime lowers it. */
export type Result<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: MessagingError };

export const ok = <T>(val: T): Result<T> => ({ tag: 'ok', val });
export const err = (val: MessagingError): Result<never> => ({ tag: 'err', val });

/** A message: its bytes, and the topic it came on (none for one the guest made). */
export class Message {
  #data: Uint8Array;
  #topic: string | undefined;
  #contentType: string | undefined;
  #metadata: [string, string][] | undefined;
  /** Set on a message that arrived as a request: where its replies go. */
  readonly received: Received | undefined;

  constructor(data: Uint8Array, received?: Received) {
    this.#data = data;
    this.received = received;
    if (received) {
      this.#topic = received.topic;
      this.#contentType = received.contentType;
      this.#metadata = received.metadata;
    }
  }

  topic(): string | undefined { return this.#topic; }
  contentType(): string | undefined { return this.#contentType; }
  setContentType(contentType: string): void { this.#contentType = contentType; }
  data(): Uint8Array { return this.#data; }
  setData(data: Uint8Array): void { this.#data = data; }
  metadata(): [string, string][] | undefined { return this.#metadata; }
  addMetadata(key: string, value: string): void {
    const md = (this.#metadata ??= []);
    const i = md.findIndex(([k]) => k === key);
    if (i >= 0) md[i] = [key, value]; else md.push([key, value]);
  }
  setMetadata(meta: [string, string][]): void { this.#metadata = meta.map(([k, v]) => [k, v]); }
  removeMetadata(key: string): void {
    if (this.#metadata) this.#metadata = this.#metadata.filter(([k]) => k !== key);
  }

  /** What travels: the message as sent to `topic`. */
  wire(topic: string): WireMessage {
    const w: WireMessage = { topic, data: this.#data };
    if (this.#contentType !== undefined) w.contentType = this.#contentType;
    if (this.#metadata !== undefined) w.metadata = this.#metadata;
    return w;
  }
}

/** A connection. There is one bus (the origin's BroadcastChannels): any name connects to it;
 * a disconnected client's sends fail with a connection error. */
export class Client {
  disconnected = false;
  constructor(readonly name: string) {}

  static connect(name: string): Result<Client> {
    return ok(new Client(name));
  }

  disconnect(): Result<undefined> {
    this.disconnected = true;
    return ok(undefined);
  }
}

/** The error for a send through a disconnected client (null if connected). */
export function connectionProblem(c: Client): MessagingError | null {
  return c.disconnected ? { tag: 'connection', val: `client "${c.name}" was disconnected` } : null;
}

/** The interface's import object: its two resources (every method returns at once). */
export function types() {
  return { Message, Client };
}
