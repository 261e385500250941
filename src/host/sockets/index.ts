// wasi:sockets@0.3.0 (types, ip-name-lookup) on the page's loopback network, for a component
// granted `sockets: 'loopback'` (LoadRequest.network is its port); without it, creating a
// socket or resolving a name answers access-denied.
import type { HostPackage } from '../registry.js';
import { netOf } from './net.js';
import { tcpSocketClass } from './tcp.js';
import { udpSocketClass } from './udp.js';
import { ipNameLookup } from './ip-name-lookup.js';

/** wasi:sockets@0.3.0 */
export const sockets: HostPackage = {
  name: 'wasi:sockets',
  version: '0.3',
  create(state) {
    const net = netOf(state);
    return {
      imports: {
        types: { TcpSocket: tcpSocketClass(net), UdpSocket: udpSocketClass(net) },
        'ip-name-lookup': ipNameLookup(net),
      },
      dispose: () => net?.close(),
    };
  },
};
