// What a failed outgoing request becomes in wasi:http's error-code, in one function. fetch()
// says little (a TypeError "Failed to fetch" for a refused connection, an unknown name, a CORS
// refusal alike), so what can be known before sending is checked before sending (the URL, the
// port, headers the browser would drop) and the rest is told apart by what the URL names.
// Requests through Node (the CLI's --inherit-network) carry Node's error codes instead.
import type { ErrorCode } from './types.js';

/** Why a request failed, as its phase saw it. */
export type Failure =
  /** The URL could not be formed (bad scheme, authority or port). */
  | { kind: 'uri'; message: string }
  /** The page's grants do not cover the origin, or the browser would not send a header. */
  | { kind: 'denied'; message: string }
  /** A request-options timeout fired: before the connection, the first byte, or between bytes. */
  | { kind: 'timeout'; phase: 'connect' | 'first-byte' | 'between-bytes' }
  /** The request body exceeded what may be buffered (bytes sent so far). */
  | { kind: 'body-size'; size: bigint }
  /** fetch() rejected (a network error) while connecting, or the body broke off. */
  | { kind: 'network'; phase: 'connect' | 'body'; url: URL; error: unknown }
  /** A Node error code (ECONNREFUSED...) from the --inherit-network path. */
  | { kind: 'node'; code: string; message: string };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const isAddress = (host: string): boolean => IPV4.test(host) || host.startsWith('[') || host === 'localhost';

/** The error-code for a failure. */
export function errorCode(f: Failure): ErrorCode {
  switch (f.kind) {
    case 'uri': return { tag: 'HTTP-request-URI-invalid' };
    case 'denied': return { tag: 'HTTP-request-denied' };
    case 'timeout':
      return f.phase === 'connect' ? { tag: 'connection-timeout' }
        : f.phase === 'first-byte' ? { tag: 'HTTP-response-timeout' } : { tag: 'connection-read-timeout' };
    case 'body-size': return { tag: 'HTTP-request-body-size', val: f.size };
    case 'network':
      if (f.phase === 'body') return { tag: 'HTTP-response-incomplete' };
      // An address that fails answered nothing: refused. A name that fails may not resolve; the
      // browser does not say (nor whether CORS refused it: its console does).
      return isAddress(f.url.hostname) ? { tag: 'connection-refused' } : { tag: 'DNS-error', val: {} };
    case 'node':
      switch (f.code) {
        case 'ECONNREFUSED': return { tag: 'connection-refused' };
        case 'ENOTFOUND': return { tag: 'DNS-error', val: { rcode: 'NXDOMAIN' } };
        case 'EAI_AGAIN': return { tag: 'DNS-timeout' };
        case 'ECONNRESET': case 'EPIPE': return { tag: 'connection-terminated' };
        case 'ETIMEDOUT': case 'ECONNECT_TIMEOUT': return { tag: 'connection-timeout' };
        case 'EFIRST_BYTE_TIMEOUT': return { tag: 'HTTP-response-timeout' };
        case 'EBETWEEN_BYTES_TIMEOUT': return { tag: 'connection-read-timeout' };
        case 'EHOSTUNREACH': case 'ENETUNREACH': return { tag: 'destination-IP-unroutable' };
        case 'ERR_INVALID_URL': return { tag: 'HTTP-request-URI-invalid' };
        case 'ERR_INVALID_HTTP_TOKEN': case 'ERR_INVALID_CHAR': return { tag: 'HTTP-request-header-size', val: undefined };
        default:
          if (f.code.startsWith('HPE_')) return { tag: 'HTTP-protocol-error' };
          if (f.code.startsWith('ERR_TLS') || f.code.includes('CERT')) return { tag: 'TLS-certificate-error' };
          return { tag: 'internal-error', val: `${f.code}: ${f.message}` };
      }
  }
}
