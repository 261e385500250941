// wasi:sockets@0.2: every function links, and every call answers `access-denied` until the
// sockets work lands (nothing is granted; see the README). The shim's classes hold their
// methods as instance fields, where a host resource's methods must be on the prototype, so
// these are written here.
import { neverSuspends, throwsErrors } from '../../runtime/index.js';

const denied = (): never => { throw 'access-denied'; };

/** A resource class whose every method answers access-denied. */
function deniedResource(methods: string[]): new () => object {
  class Denied {}
  for (const m of methods) Object.defineProperty(Denied.prototype, m, { value: denied });
  return Denied;
}

const tcpMethods = ['startBind', 'finishBind', 'startConnect', 'finishConnect', 'startListen', 'finishListen', 'accept',
  'localAddress', 'remoteAddress', 'isListening', 'addressFamily', 'setListenBacklogSize', 'keepAliveEnabled',
  'setKeepAliveEnabled', 'keepAliveIdleTime', 'setKeepAliveIdleTime', 'keepAliveInterval', 'setKeepAliveInterval',
  'keepAliveCount', 'setKeepAliveCount', 'hopLimit', 'setHopLimit', 'receiveBufferSize', 'setReceiveBufferSize',
  'sendBufferSize', 'setSendBufferSize', 'subscribe', 'shutdown'];
const udpMethods = ['startBind', 'finishBind', 'stream', 'localAddress', 'remoteAddress', 'addressFamily',
  'unicastHopLimit', 'setUnicastHopLimit', 'receiveBufferSize', 'setReceiveBufferSize', 'sendBufferSize',
  'setSendBufferSize', 'subscribe'];

class Network {}
const theNetwork = new Network();

export function sockets(): Record<string, object> {
  return {
    network: neverSuspends({ Network, networkErrorCode: (): undefined => undefined }),
    'instance-network': neverSuspends({ instanceNetwork: () => theNetwork }),
    'ip-name-lookup': throwsErrors({
      ResolveAddressStream: deniedResource(['resolveNextAddress', 'subscribe']),
      resolveAddresses: denied,
    }),
    tcp: throwsErrors({ TcpSocket: deniedResource(tcpMethods) }),
    'tcp-create-socket': throwsErrors({ createTcpSocket: denied }),
    udp: throwsErrors({
      UdpSocket: deniedResource(udpMethods),
      IncomingDatagramStream: deniedResource(['receive', 'subscribe']),
      OutgoingDatagramStream: deniedResource(['checkSend', 'send', 'subscribe']),
    }),
    'udp-create-socket': throwsErrors({ createUdpSocket: denied }),
  };
}
