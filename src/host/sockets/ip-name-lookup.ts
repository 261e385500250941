// wasi:sockets/ip-name-lookup@0.3.0 on the loopback network: `localhost` resolves to
// 127.0.0.1 and ::1; other names are name-unresolvable (a page has no resolver to ask); an
// address literal resolves to itself if it is loopback, and is access-denied otherwise.
import { resolveLoopback, type IpAddress } from './address.js';
import type { Net } from './net.js';

type LookupResult = { tag: 'ok'; val: IpAddress[] } | { tag: 'err'; val: { tag: string } };

export function ipNameLookup(net: Net | null) {
  return {
    async resolveAddresses(name: string): Promise<LookupResult> {
      if (!net) return { tag: 'err', val: { tag: 'access-denied' } };
      const r = resolveLoopback(name);
      return 'ok' in r ? { tag: 'ok', val: r.ok } : { tag: 'err', val: { tag: r.err } };
    },
  };
}
