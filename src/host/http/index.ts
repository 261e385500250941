// wasi:http@0.3.0: types, client (fetch(), or Node through the CLI's proxy), and handler (the
// component's export served by serve(), also on a handler port; an import calls the handler the
// page wired to it, else sends on as the client does). Grants: HttpGrant (the origins a
// component may reach, the handler wired to its import).
import type { HostPackage } from '../registry.js';
import { client } from './client.js';
import { handler } from './handler.js';
import { types } from './types.js';

export { serve, handlerExport, type ServedRequest, type ServedResponse } from './handler.js';
export { serveHandlerPort } from '../../channel/handler-port.js';

export const http: HostPackage = {
  name: 'wasi:http',
  version: '0.3',
  create: (state) => ({ imports: { types: types(), client: client(state), handler: handler(state) } }),
};
