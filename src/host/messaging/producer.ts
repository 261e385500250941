// wasi:messaging/producer@0.2.0-draft: send a message to a topic this component may publish to.
// Returns at once, unless a receiver's queue is full and holds its senders ('block'): the guest
// then waits (suspended through JSPI) until that receiver has room.
import type { MessagingContext } from './context.js';
import { err, ok, type Client, type Message, type Result } from './types.js';

const SENT = Object.freeze(ok(undefined));

export function producer(cx: MessagingContext) {
  return {
    send(client: Client, topic: string, message: Message): Result<undefined> | Promise<Result<undefined>> {
      const bad = cx.sendProblem(client, topic);
      if (bad) return err(bad);
      const sent = cx.endpoint.send(message.wire(topic));
      return sent ? sent.then(() => SENT) : SENT;
    },
  };
}
