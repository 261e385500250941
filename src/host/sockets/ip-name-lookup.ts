// wasi:sockets/ip-name-lookup@0.3.0. On the loopback network: `localhost` resolves to
// 127.0.0.1 and ::1; other names are name-unresolvable (a page has no resolver to ask); an
// address literal resolves to itself if it is loopback, and is access-denied otherwise. On the
// host's network (`sockets: 'host'`), names go to the host's resolver (Node's dns.lookup under
// the CLI) and any address literal resolves to itself.
import { parseIp, resolveLoopback, type IpAddress } from './address.js';
import type { Net } from './net.js';

type LookupResult = { tag: 'ok'; val: IpAddress[] } | { tag: 'err'; val: { tag: string } };

/** Resolve `name` on the component's network: its addresses, or the error-code. */
export async function resolveName(net: Net | null, name: string): Promise<{ ok: IpAddress[] } | { err: string }> {
  if (!net) return { err: 'access-denied' };
  const r = resolveLoopback(name);
  if (!net.host || ('err' in r && r.err === 'invalid-argument')) return r;
  const literal = parseIp(name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name);
  if (literal) return { ok: [literal] };
  return net.lookup(name);
}

export function ipNameLookup(net: Net | null) {
  return {
    async resolveAddresses(name: string): Promise<LookupResult> {
      const r = await resolveName(net, name);
      return 'ok' in r ? { tag: 'ok', val: r.ok } : { tag: 'err', val: { tag: r.err } };
    },
  };
}
