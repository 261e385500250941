// Every host package, in one table: its name, the versions it serves, its interfaces, and how
// it builds its import objects from a component's state. Imports are matched as wasmtime's
// linker matches them: any 0.2.x import is served by a 0.2 package, any 0.3.x by a 0.3 one
// (semver: the same major, or for 0.x the same minor); a pre-release only by itself. A new
// package is a folder plus a line here (and, if it takes grants, a field in grants.ts).
import { LinkError, type HostImports, type Instance } from '../runtime/index.js';
import type { ComponentState } from './state.js';
import { parseInterfaceName, serves } from './interface-names.js';
import { cli } from './cli/index.js';
import { clocks } from './clocks/index.js';
import { random } from './random/index.js';
import { io as p2io } from './p2/io.js';
import { cli as p2cli } from './p2/cli.js';
import { clocks as p2clocks } from './p2/clocks.js';
import { random as p2random } from './p2/random.js';

/** One package's host for one component. */
export interface PackageHost {
  /** Import objects by interface name ('stdout'). */
  readonly imports: Record<string, object>;
  /** Once the component is instantiated (a handler may then call its exports). */
  attach?(instance: Instance): void | Promise<void>;
  /** On terminate() or the end of the component: close what it opened. */
  dispose?(): void | Promise<void>;
}

/** A row of the table. */
export interface HostPackage {
  /** 'wasi:cli' */
  readonly name: string;
  /** '0.3' serves 0.3.x, '0.2' serves 0.2.x, '0.2.0-draft2' serves only itself. */
  readonly version: string;
  /** Builds the package's host for one component: its import objects, from its state. */
  create(state: ComponentState): PackageHost;
}

/** A row whose package is loaded only when a component imports it: its code is a chunk of its
 * own, so a component that uses none of it downloads and compiles none of it. */
export interface LazyPackage {
  readonly name: string;
  readonly version: string;
  load(): Promise<HostPackage>;
}

/** A row for a package that needs no attach or dispose: its import objects only. */
const pkg = (name: string, version: string, imports: (state: ComponentState) => Record<string, object>): HostPackage =>
  ({ name, version, create: (state) => ({ imports: imports(state) }) });
const lazy = (name: string, version: string, load: () => Promise<HostPackage>): LazyPackage => ({ name, version, load });

/** The table: every package the host serves. cli, clocks, random and io are in the worker's
 * main script (nearly every component imports them); the others load on first use. */
export const PACKAGES: readonly (HostPackage | LazyPackage)[] = [
  pkg('wasi:cli', '0.3', cli),
  pkg('wasi:clocks', '0.3', clocks),
  pkg('wasi:random', '0.3', random),
  lazy('wasi:filesystem', '0.3', () => import('./filesystem/index.js').then((m) => m.filesystem)),
  lazy('wasi:http', '0.3', () => import('./http/index.js').then((m) => m.http)),
  lazy('wasi:sockets', '0.3', () => import('./sockets/index.js').then((m) => m.sockets)),
  pkg('wasi:io', '0.2', p2io),
  pkg('wasi:cli', '0.2', p2cli),
  pkg('wasi:clocks', '0.2', p2clocks),
  pkg('wasi:random', '0.2', p2random),
  lazy('wasi:filesystem', '0.2', () => import('./p2/filesystem.js').then((m) => m.filesystem)),
  lazy('wasi:sockets', '0.2', () => import('./p2/sockets.js').then((m) => pkg('wasi:sockets', '0.2', m.sockets))),
  lazy('wasi:http', '0.2', () => import('./p2/http.js').then((m) => pkg('wasi:http', '0.2', m.http))),
  lazy('wasi:keyvalue', '0.2.0-draft2', () => import('./keyvalue/index.js').then((m) => m.keyvalue)),
  lazy('wasi:keyvalue', '0.2.0-draft', () => import('./keyvalue/index.js').then((m) => m.keyvalueDraft)),
  lazy('wasi:messaging', '0.2.0-draft', () => import('./messaging/index.js').then((m) => ({ name: 'wasi:messaging', version: '0.2.0-draft', create: m.messaging }))),
];

/** The host for one component: its import objects and the package hosts behind them. */
export interface Linked { imports: HostImports; hosts: PackageHost[] }

/** Serve a component's imports (their names, as the component declares them) from the table,
 * loading the packages they need. An import nobody serves is refused with its name and the
 * versions that are served. */
export async function link(importNames: readonly string[], state: ComponentState, table: readonly (HostPackage | LazyPackage)[] = PACKAGES): Promise<Linked> {
  const wanted = importNames.map((name) => {
    const n = parseInterfaceName(name);
    if (!n) throw new LinkError(`missing import: "${name}" is not provided (the host serves WASI interfaces only)`);
    const row = table.find((p) => p.name === n.pkg && serves(p.version, n.version));
    if (!row) {
      const versions = table.filter((p) => p.name === n.pkg).map((p) => (p.version.includes('-') ? p.version : `${p.version}.x`));
      throw new LinkError(`missing import: interface "${name}" is not provided: ${versions.length
        ? `${n.pkg} is served at ${versions.join(', ')}` : `${n.pkg} is not served by this host`}`);
    }
    return { name, iface: n.iface, row };
  });
  const rows = [...new Set(wanted.map((w) => w.row))];
  const loaded = new Map(await Promise.all(rows.map(async (r) => [r, 'load' in r ? await r.load() : r] as const)));
  const made = new Map<HostPackage | LazyPackage, PackageHost>();
  const imports: HostImports = {};
  for (const { name, iface, row } of wanted) {
    let host = made.get(row);
    if (!host) {
      host = loaded.get(row)!.create(state);
      made.set(row, host);
    }
    const obj = host.imports[iface];
    if (!obj) throw new LinkError(`missing import: interface "${name}" is not provided: ${row.name}@${row.version}.x has no interface "${iface}"`);
    imports[name] = obj;
  }
  return { imports, hosts: [...made.values()] };
}
