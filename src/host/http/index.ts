// wasi:http@0.3.0: types, client (fetch(), or Node through the CLI's proxy), and handler (the
// component's export served by serve(), also on a handler port; an import calls the handler the
// page wired to it, else sends on as the client does). Grants: HttpGrant (the origins a
// component may reach, the handler wired to its import).
import type { Instance } from '../../runtime/index.js';
import type { HostPackage } from '../registry.js';
import { client } from './client.js';
import { handler, handlerExport, serve as serveHandler, type ServedRequest, type ServedResponse } from './handler.js';
import { types } from './types.js';

export { handlerExport, type ServedRequest, type ServedResponse };

/** The handler export a request goes to: 0.3's handler, else 0.2's incoming-handler; null if
 * the component exports neither. */
export async function servedExport(instance: Instance): Promise<string | null> {
  return handlerExport(instance) ?? (await import('../p2/http.js')).incomingHandlerExport(instance);
}

/** Serve a request with the component's exported handler: 0.3's, or else 0.2's incoming-handler
 * (its face, ../p2/http.ts, loaded only then). */
export async function serve(instance: Instance, sreq: ServedRequest): Promise<ServedResponse> {
  if (!handlerExport(instance)) {
    const p2 = await import('../p2/http.js');
    const name = p2.incomingHandlerExport(instance);
    if (name) return p2.serve(instance, sreq, name);
  }
  return serveHandler(instance, sreq);
}

export { serveHandlerPort } from '../../channel/handler-port.js';

export const http: HostPackage = {
  name: 'wasi:http',
  version: '0.3',
  create: (state) => ({ imports: { types: types(), client: client(state), handler: handler(state) } }),
};
