// wasi:messaging/request-reply@0.2.0-draft: a request goes to every endpoint that hears its
// topic (as a send does, and under the same grant) and waits for replies: with no options for
// one; with set-expected-replies for that many; with set-timeout-ms for at most that long (the
// replies so far, or `timeout` if none came). A reply goes straight back to the requester; any
// message received as a request may be replied to, as often as wanted.
import { neverSuspends } from '../../runtime/index.js';
import type { MessagingContext } from './context.js';
import { Message, err, ok, type Client, type Result } from './types.js';

/** Options of a request (the WIT makes them a resource). */
export class RequestOptions {
  timeoutMs: number | undefined;
  expectedReplies: number | undefined;
  setTimeoutMs(ms: number): void { this.timeoutMs = ms; }
  setExpectedReplies(n: number): void { this.expectedReplies = n; }
}

export function requestReply(cx: MessagingContext) {
  return {
    RequestOptions,
    async request(client: Client, topic: string, message: Message, options: RequestOptions | undefined): Promise<Result<Message[]>> {
      const bad = cx.sendProblem(client, topic);
      if (bad) return err(bad);
      const opts: { timeoutMs?: number; expected?: number } = {};
      if (options?.timeoutMs !== undefined) opts.timeoutMs = options.timeoutMs;
      if (options?.expectedReplies !== undefined) opts.expected = options.expectedReplies;
      const r = await cx.endpoint.request(message.wire(topic), opts);
      if (r.tag === 'timeout') return err({ tag: 'timeout' });
      return ok(r.val.map((m) => new Message(m.data, m)));
    },
    reply: neverSuspends((replyTo: Message, message: Message): Result<undefined> => {
      const to = replyTo.received;
      if (!to || to.rq === undefined) {
        return err({ tag: 'other', val: 'this message was not received as a request: there is nobody to reply to' });
      }
      cx.endpoint.reply(to, message.wire(to.topic));
      return ok(undefined);
    }),
  };
}
