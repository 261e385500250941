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
import { messaging } from './messaging/index.js';
import { filesystem } from './filesystem/index.js';
import { sockets } from './sockets/index.js';
import { http } from './http/index.js';
import { io as p2io } from './p2/io.js';
import { cli as p2cli } from './p2/cli.js';
import { clocks as p2clocks } from './p2/clocks.js';
import { random as p2random } from './p2/random.js';
import { filesystem as p2filesystem } from './p2/filesystem.js';
import { sockets as p2sockets } from './p2/sockets.js';
import { http as p2http } from './p2/http.js';
import { keyvalue, keyvalueDraft } from './keyvalue/index.js';

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

/** A row for a package that needs no attach or dispose: its import objects only. */
const pkg = (name: string, version: string, imports: (state: ComponentState) => Record<string, object>): HostPackage =>
  ({ name, version, create: (state) => ({ imports: imports(state) }) });

/** The table: every package the host serves. */
export const PACKAGES: readonly HostPackage[] = [
  pkg('wasi:cli', '0.3', cli),
  pkg('wasi:clocks', '0.3', clocks),
  pkg('wasi:random', '0.3', random),
  { name: 'wasi:messaging', version: '0.2.0-draft', create: messaging },
  http,
  filesystem,
  sockets,
  pkg('wasi:io', '0.2', p2io),
  pkg('wasi:cli', '0.2', p2cli),
  pkg('wasi:clocks', '0.2', p2clocks),
  pkg('wasi:random', '0.2', p2random),
  p2filesystem,
  pkg('wasi:sockets', '0.2', p2sockets),
  pkg('wasi:http', '0.2', p2http),
  keyvalue, keyvalueDraft,
];

/** The host for one component: its import objects and the package hosts behind them. */
export interface Linked { imports: HostImports; hosts: PackageHost[] }

/** Serve a component's imports (their names, as the component declares them) from the table.
 * An import nobody serves is refused with its name and the versions that are served. */
export function link(importNames: readonly string[], state: ComponentState, table: readonly HostPackage[] = PACKAGES): Linked {
  const made = new Map<HostPackage, PackageHost>();
  const imports: HostImports = {};
  for (const name of importNames) {
    const n = parseInterfaceName(name);
    if (!n) throw new LinkError(`missing import: "${name}" is not provided (the host serves WASI interfaces only)`);
    const row = table.find((p) => p.name === n.pkg && serves(p.version, n.version));
    if (!row) {
      const versions = table.filter((p) => p.name === n.pkg).map((p) => (p.version.includes('-') ? p.version : `${p.version}.x`));
      throw new LinkError(`missing import: interface "${name}" is not provided: ${versions.length
        ? `${n.pkg} is served at ${versions.join(', ')}` : `${n.pkg} is not served by this host`}`);
    }
    let host = made.get(row);
    if (!host) {
      host = row.create(state);
      made.set(row, host);
    }
    const obj = host.imports[n.iface];
    if (!obj) {
      throw new LinkError(`missing import: interface "${name}" is not provided: ${n.pkg}@${row.version}.x has no interface "${n.iface}"`);
    }
    imports[name] = obj;
  }
  return { imports, hosts: [...made.values()] };
}
