// Socket addresses of wasi:sockets (0.3 and 0.2 share the shapes), pure: the JS values of
// `ip-socket-address` (jco's mapping), their checks as the WIT's typical errors state them,
// and the loopback network's keys. No I/O here (unit-tested in node: test/unit/sockets-address).

export type Family = 'ipv4' | 'ipv6';
export type Ipv4 = [number, number, number, number];
export type Ipv6 = [number, number, number, number, number, number, number, number];
export type IpAddress = { tag: 'ipv4'; val: Ipv4 } | { tag: 'ipv6'; val: Ipv6 };
export interface Ipv4SocketAddress { port: number; address: Ipv4 }
export interface Ipv6SocketAddress { port: number; flowInfo: number; address: Ipv6; scopeId: number }
export type SocketAddress = { tag: 'ipv4'; val: Ipv4SocketAddress } | { tag: 'ipv6'; val: Ipv6SocketAddress };

/** The wasi:sockets error codes this file gives. */
export type AddressError = 'invalid-argument' | 'address-not-bindable' | 'access-denied';

export const LOOPBACK4: Ipv4 = [127, 0, 0, 1];
export const LOOPBACK6: Ipv6 = [0, 0, 0, 0, 0, 0, 0, 1];

/** The first and last ephemeral port (IANA's dynamic range, as Linux's default is close to). */
export const EPHEMERAL_FIRST = 49152;
export const EPHEMERAL_LAST = 65535;

const isByte = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 255;
const isU16 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;

/** Whether v is a well-formed ip-socket-address value (the runtime lifts only such; the page and
 * 0.2 shim may hand others). */
export function isSocketAddress(v: unknown): v is SocketAddress {
  const a = v as SocketAddress;
  if (!a || typeof a !== 'object' || !a.val || !isU16(a.val.port)) return false;
  if (a.tag === 'ipv4') return Array.isArray(a.val.address) && a.val.address.length === 4 && a.val.address.every(isByte);
  if (a.tag === 'ipv6') return Array.isArray(a.val.address) && a.val.address.length === 8 && a.val.address.every(isU16);
  return false;
}

export const familyOf = (a: SocketAddress | IpAddress): Family => a.tag;
export const portOf = (a: SocketAddress): number => a.val.port;
export const ipOf = (a: SocketAddress): IpAddress =>
  (a.tag === 'ipv4' ? { tag: 'ipv4', val: [...a.val.address] as Ipv4 } : { tag: 'ipv6', val: [...a.val.address] as Ipv6 });

/** A socket address of an IP address and port (IPv6 flow-info and scope-id 0). */
export function socketAddress(ip: IpAddress, port: number): SocketAddress {
  return ip.tag === 'ipv4'
    ? { tag: 'ipv4', val: { port, address: [...ip.val] as Ipv4 } }
    : { tag: 'ipv6', val: { port, flowInfo: 0, address: [...ip.val] as Ipv6, scopeId: 0 } };
}

export const withPort = (a: SocketAddress, port: number): SocketAddress => socketAddress(ipOf(a), port);

export function isUnspecified(ip: IpAddress): boolean { return ip.val.every((x) => x === 0); }

export function isLoopback(ip: IpAddress): boolean {
  return ip.tag === 'ipv4' ? ip.val[0] === 127 : ip.val.slice(0, 7).every((x) => x === 0) && ip.val[7] === 1;
}

/** Multicast (224/4, ff00::/8) or IPv4's limited broadcast. */
export function isNonUnicast(ip: IpAddress): boolean {
  if (ip.tag === 'ipv4') return (ip.val[0] >= 224 && ip.val[0] <= 239) || ip.val.every((x) => x === 255);
  return (ip.val[0] & 0xff00) === 0xff00;
}

/** ::ffff:a.b.c.d: WASI's IPv6 sockets are IPv6-only, so these are refused. */
export function isV4Mapped(ip: IpAddress): boolean {
  return ip.tag === 'ipv6' && ip.val.slice(0, 5).every((x) => x === 0) && ip.val[5] === 0xffff;
}

/** The loopback address of a family. */
export const loopbackOf = (f: Family): IpAddress => (f === 'ipv4' ? { tag: 'ipv4', val: [...LOOPBACK4] } : { tag: 'ipv6', val: [...LOOPBACK6] });
/** The unspecified address of a family. */
export const unspecifiedOf = (f: Family): IpAddress => (f === 'ipv4' ? { tag: 'ipv4', val: [0, 0, 0, 0] } : { tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 0] });

/** bind's checks on a local address for a socket of `family`: null if it may be bound on the
 * loopback network (a loopback address, or the unspecified one, which binds loopback), or,
 * on the host's network (`host`), any unicast address (the host says if it has it). */
export function bindProblem(family: Family, a: SocketAddress, host = false): AddressError | null {
  if (a.tag !== family) return 'invalid-argument';
  const ip = ipOf(a);
  if (isNonUnicast(ip) || isV4Mapped(ip)) return 'invalid-argument';
  if (host || isUnspecified(ip) || isLoopback(ip)) return null;
  return 'address-not-bindable';
}

/** connect's (and UDP send's) checks on a remote address: wrong family, non-unicast, mapped,
 * unspecified or port 0 are invalid; anything off the loopback network is access-denied,
 * unless the network is the host's (`host`). */
export function remoteProblem(family: Family, a: SocketAddress, host = false): AddressError | null {
  if (a.tag !== family) return 'invalid-argument';
  const ip = ipOf(a);
  if (isNonUnicast(ip) || isV4Mapped(ip) || isUnspecified(ip) || a.val.port === 0) return 'invalid-argument';
  return host || isLoopback(ip) ? null : 'access-denied';
}

/** An IP address as text: 127.0.0.1, ::1 (RFC 5952's compressed form). */
export function formatIp(ip: IpAddress): string {
  if (ip.tag === 'ipv4') return ip.val.join('.');
  const h = ip.val.map((x) => x.toString(16));
  // The longest run of two or more zeros becomes "::".
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (ip.val[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && ip.val[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return h.join(':');
  return `${h.slice(0, best).join(':')}::${h.slice(best + bestLen).join(':')}`;
}

/** A socket address as text: 127.0.0.1:80, [::1]:80. */
export function formatSocketAddress(a: SocketAddress): string {
  const ip = formatIp(ipOf(a));
  return a.tag === 'ipv4' ? `${ip}:${a.val.port}` : `[${ip}]:${a.val.port}`;
}

/** Parse an IP address literal (dotted IPv4, or IPv6 with at most one "::" and an optional
 * dotted IPv4 tail); null if it is not one. */
export function parseIp(s: string): IpAddress | null {
  const v4 = (t: string): Ipv4 | null => {
    const p = t.split('.');
    if (p.length !== 4 || !p.every((x) => /^(0|[1-9][0-9]{0,2})$/.test(x) && Number(x) <= 255)) return null;
    return p.map(Number) as Ipv4;
  };
  const four = v4(s);
  if (four) return { tag: 'ipv4', val: four };
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (t: string): number[] | null => {
    if (t === '') return [];
    const out: number[] = [];
    const parts = t.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const q = v4(p);
        if (!q) return null;
        out.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 && head.length !== 8) return null;
  if (halves.length === 2 && head.length + tail.length > 7) return null;
  const zeros = 8 - head.length - tail.length;
  return { tag: 'ipv6', val: [...head, ...new Array<number>(zeros).fill(0), ...tail] as Ipv6 };
}

/** The loopback network's key of a bound address: protocol, family, address, port. */
export function bindingKey(proto: 'tcp' | 'udp', a: SocketAddress): string {
  return `${proto} ${formatSocketAddress(a)}`;
}

/** The largest UDP payload of a family (65,535 less the IP and UDP headers). */
export const maxDatagram = (f: Family): number => (f === 'ipv4' ? 65507 : 65527);

/** What ip-name-lookup's resolve-addresses answers on the loopback network: `localhost`
 * (and names under .localhost, RFC 6761) resolve to 127.0.0.1 and ::1; an IP literal resolves
 * to itself if it is on the loopback network, and is access-denied otherwise; a name that is
 * not a valid host name is invalid-argument; any other name is name-unresolvable. */
export function resolveLoopback(name: string): { ok: IpAddress[] } | { err: 'invalid-argument' | 'name-unresolvable' | 'access-denied' } {
  const literal = parseIp(name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name);
  if (literal) return isLoopback(literal) ? { ok: [literal] } : { err: 'access-denied' };
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (!host || host.length > 253 || !host.split('.').every((l) => label.test(l))) return { err: 'invalid-argument' };
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return { ok: [loopbackOf('ipv4'), loopbackOf('ipv6')] };
  return { err: 'name-unresolvable' };
}
