// Interface names and versions, matched as wasmtime's linker matches them (pure logic).

/** Whether a package version serves an import's version. */
export function serves(served: string, wanted: string): boolean {
  if (served.includes('-') || wanted.includes('-')) return served === wanted;
  const [a = '', b = ''] = served.split('.');
  const [x = '', y = ''] = wanted.split('.');
  if (a !== x) return false;
  return a !== '0' || b === y;
}

/** `ns:pkg/iface@version` into its parts (null for a name that is not an interface). */
export function parseInterfaceName(name: string): { pkg: string; iface: string; version: string } | null {
  const m = /^([a-z][a-z0-9-]*:[a-z][a-z0-9-]*)\/([a-z][a-z0-9-]*)(?:@(.+))?$/.exec(name);
  return m ? { pkg: m[1]!, iface: m[2]!, version: m[3] ?? '' } : null;
}
