// What a page may grant a component: one typed, structured-cloneable schema, validated once on
// the page (before the worker starts) and handed to every host package in the worker. Nothing
// is granted by default beyond cli stdio, clocks and random. A package that takes grants adds
// its field here and its check to checkGrants.
import { topicProblem } from './messaging/topics.js';

/** wasi:keyvalue: the buckets a component may open ('*': any). */
export interface KeyvalueGrant {
  buckets: string[] | '*';
  /** Namespaces the buckets (an IndexedDB database name), so two apps on one origin do not collide. */
  database?: string;
}

/** wasi:messaging: the topics a component hears and may send to, as dot-separated patterns
 * (`*` one segment, `>` one or more last segments: `orders.*`, `events.>`). */
export interface MessagingGrant {
  /** Topics whose messages reach the component's incoming-handler (it must export one). */
  subscribe?: string[];
  /** Topics it may send and request to (elsewhere: permission-denied). */
  publish?: string[];
  /** Messages waiting for a slow handler (default 1,024). */
  queue?: number;
  /** What a full queue does: 'block' (the default: senders wait for room, nothing is lost),
   * 'drop-oldest' or 'drop-newest' (counted, and reported as messaging-overflow events). */
  overflow?: 'drop-oldest' | 'drop-newest' | 'block';
}

/** wasi:filesystem: a preopened directory, by guest path (`'/data'`). `'memory'` (or
 * `{ memory: true }`): an empty tree in the worker, gone when the component ends; `{ opfs: name }`:
 * the origin private file system's directory `name` ('my-app', 'apps/one'; created if missing),
 * which outlives the component; `{ files }`: a memory tree seeded with these files, by relative
 * path ('docs/a.txt'). `readonly`: every change is refused with `read-only`. */
export type PreopenGrant =
  | 'memory'
  | { memory: true; readonly?: boolean }
  | { opfs: string; readonly?: boolean }
  | { files: Record<string, Uint8Array | string>; readonly?: boolean };

/** Why a preopen grant is malformed (null: it is fine). */
function preopenProblem(g: unknown): string | null {
  if (g === 'memory') return null;
  if (typeof g !== 'object' || g === null) return "must be 'memory', { memory: true }, { opfs: name } or { files }";
  const o = g as Record<string, unknown>;
  const kinds = ['memory', 'opfs', 'files'].filter((k) => k in o);
  if (kinds.length !== 1) return "must have exactly one of memory, opfs or files";
  for (const k of Object.keys(o)) if (![...kinds, 'readonly'].includes(k)) return `has an unknown field "${k}"`;
  if (o.readonly !== undefined && typeof o.readonly !== 'boolean') return 'readonly must be a boolean';
  if ('memory' in o && o.memory !== true) return 'memory must be true';
  if ('opfs' in o) {
    const n = o.opfs;
    if (typeof n !== 'string' || !n || n.split('/').some((p) => !p || p === '.' || p === '..' || p.includes('\\'))) {
      return 'opfs must name a directory: names separated by /, none empty, . or ..';
    }
  }
  if ('files' in o) {
    if (typeof o.files !== 'object' || o.files === null) return 'files must map relative paths to bytes or strings';
    for (const [path, v] of Object.entries(o.files)) {
      if (typeof v !== 'string' && !(v instanceof Uint8Array)) return `files["${path}"] must be a Uint8Array or a string`;
      const parts = path.split('/').filter((p) => p !== '' && p !== '.');
      if (path.startsWith('/') || !parts.length || parts.includes('..')) return `files: "${path}" must be a relative path inside the directory`;
    }
  }
  return null;
}

/** A component's exported wasi:http handler, as the page holds it: a ComponentHandle from
 * loadComponent (only its own handles are accepted). */
export interface HttpHandlerSource { fetch(request: Request): Promise<Response> }

/** wasi:http: the origins outgoing requests may reach ('*': any; none by default); others get
 * `HTTP-request-denied`. `proxy`: send requests through this endpoint instead of fetch() (the
 * CLI's --inherit-network: Node sends them, so the page's CORS rules do not apply and trailers
 * work). `handler`: another component (its handle) whose exported wasi:http/handler answers
 * this one's imported handler (the middleware world), worker to worker; without it, the
 * imported handler sends requests on as wasi:http/client does. */
export interface HttpGrant { origins?: string[] | '*'; proxy?: string; handler?: HttpHandlerSource }

/** Everything a page may grant, as it crosses to the worker. */
export interface Grants {
  keyvalue?: KeyvalueGrant;
  messaging?: MessagingGrant;
  preopens?: Record<string, PreopenGrant>;
  http?: HttpGrant;
  /** wasi:sockets: 'loopback', the page's loopback network (127.0.0.1 and ::1); 'host', any
   * address on the host's network, which the page's network must defer to
   * (`network.inherit(bridge)`, as the CLI's --inherit-network does). */
  sockets?: 'loopback' | 'host';
}

/** A grant the page got wrong: thrown on the page, before any worker starts. */
export class GrantError extends TypeError {
  constructor(message: string) { super(message); this.name = 'GrantError'; }
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Check grants as given to loadComponent; returns the cloneable grants the worker gets. */
export function checkGrants(g: Grants): Grants {
  const out: Grants = {};
  if (g.keyvalue !== undefined) {
    const { buckets, database } = g.keyvalue;
    if (buckets !== '*' && !isStringList(buckets)) throw new GrantError("keyvalue.buckets must be a list of bucket names or '*'");
    if (database !== undefined && (typeof database !== 'string' || !database)) throw new GrantError('keyvalue.database must be a non-empty string');
    out.keyvalue = { buckets: buckets === '*' ? '*' : [...buckets], ...(database ? { database } : {}) };
  }
  if (g.messaging !== undefined) {
    const m = g.messaging;
    for (const k of ['subscribe', 'publish'] as const) {
      if (m[k] !== undefined && !isStringList(m[k])) throw new GrantError(`messaging.${k} must be a list of topics`);
      for (const t of m[k] ?? []) {
        const bad = topicProblem(t, true);
        if (bad) throw new GrantError(`messaging.${k}: invalid topic pattern ${JSON.stringify(t)}: ${bad}`);
      }
    }
    if (m.queue !== undefined && !(Number.isInteger(m.queue) && m.queue > 0)) throw new GrantError('messaging.queue must be a positive integer');
    if (m.overflow !== undefined && !['drop-oldest', 'drop-newest', 'block'].includes(m.overflow)) {
      throw new GrantError("messaging.overflow must be 'drop-oldest', 'drop-newest' or 'block'");
    }
    out.messaging = { ...m, subscribe: [...(m.subscribe ?? [])], publish: [...(m.publish ?? [])] };
  }
  if (g.preopens !== undefined) {
    if (typeof g.preopens !== 'object' || g.preopens === null) throw new GrantError('preopens must map guest paths to directories');
    const seen = new Set<string>();
    out.preopens = {};
    for (const [path, grant] of Object.entries(g.preopens)) {
      // An absolute guest path, or '.' (the current directory, as `wasmtime run --dir .` names it).
      if (!path.startsWith('/') && path !== '.') throw new GrantError(`preopen "${path}" must be an absolute guest path (or ".")`);
      const norm = path.length > 1 ? path.replace(/\/+$/, '') : path;
      if (norm !== '.' && norm.split('/').some((p) => p === '.' || p === '..')) throw new GrantError(`preopen "${path}" may not contain . or ..`);
      if (seen.has(norm)) throw new GrantError(`preopen "${path}" is given twice`);
      seen.add(norm);
      const bad = preopenProblem(grant);
      if (bad) throw new GrantError(`preopens["${path}"] ${bad}`);
      out.preopens[norm] = typeof grant === 'object' && 'files' in grant ? { ...grant, files: { ...grant.files } } : grant;
    }
  }
  if (g.http !== undefined) {
    const given = g.http.origins ?? [];
    if (given !== '*' && !isStringList(given)) throw new GrantError("http.origins must be a list of origins or '*'");
    // The handler is not cloned: the page wires it (loadComponent), and the worker gets a port.
    if (g.http.handler !== undefined && typeof g.http.handler?.fetch !== 'function') throw new GrantError('http.handler must be a component handle from loadComponent');
    const origins = given === '*' ? '*' as const : given.map((o) => {
      try { return new URL(o).origin; } catch { throw new GrantError(`http.origins: ${JSON.stringify(o)} is not an origin (https://host[:port])`); }
    });
    if (g.http.proxy !== undefined && typeof g.http.proxy !== 'string') throw new GrantError('http.proxy must be a URL');
    out.http = { origins, ...(g.http.proxy ? { proxy: new URL(g.http.proxy, globalThis.location?.href).href } : {}) };
  }
  if (g.sockets !== undefined) {
    if (g.sockets !== 'loopback' && g.sockets !== 'host') throw new GrantError("sockets must be 'loopback' or 'host'");
    out.sockets = g.sockets;
  }
  return out;
}
