// wasi:messaging@0.2.0-draft on BroadcastChannel (bus.ts): the package's interfaces for one
// component, and once it is instantiated its incoming-handler wired to the topics the page
// granted (messaging.subscribe). Nothing is granted by default: no topic is heard, and a
// send anywhere is refused with permission-denied.
import { LinkError, type Instance } from '../../runtime/index.js';
import type { PackageHost } from '../registry.js';
import type { ComponentState } from '../state.js';
import { MessagingContext } from './context.js';
import { IncomingHandler, handlerExport } from './incoming-handler.js';
import { producer } from './producer.js';
import { requestReply } from './request-reply.js';
import { types } from './types.js';

export function messaging(state: ComponentState): PackageHost {
  const cx = new MessagingContext(state);
  return {
    imports: { types: types(), producer: producer(cx), 'request-reply': requestReply(cx) },
    async attach(instance: Instance) {
      const name = handlerExport(instance);
      if (!cx.subscribe.length) return;
      if (!name) {
        throw new LinkError(`messaging.subscribe was granted (${cx.subscribe.join(', ')}), but the component exports no wasi:messaging/incoming-handler to receive messages`);
      }
      const handler = new IncomingHandler(cx, instance, name);
      cx.endpoint.hooks.onMessage = (m) => handler.push(m);
      // In 'block', a sender may have as many messages unhandled here as the queue holds.
      await cx.endpoint.subscribe(cx.subscribe, cx.overflow === 'block' ? cx.capacity : 0);
    },
    dispose() {
      cx.dispose();
    },
  };
}
