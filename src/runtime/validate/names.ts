// Extern names (Explainer.md "Import and Export Definitions"): kebab-case labels, interface
// names, annotated plain names ([constructor], [method], [static]), dep/url/hash import names,
// and the strong-uniqueness key two names in one scope must not share.

/** A word of a label: lowercase fragments `[a-z0-9]*` or uppercase `[A-Z0-9]*`. */
function isFragment(f: string, first: boolean): boolean {
  if (f.length === 0) return false;
  const c0 = f.charCodeAt(0);
  const lower = c0 >= 97 && c0 <= 122;
  const upper = c0 >= 65 && c0 <= 90;
  const digit = c0 >= 48 && c0 <= 57;
  if (first ? !(lower || upper) : !(lower || upper || digit)) return false;
  let sawLower = lower;
  let sawUpper = upper;
  for (let i = 1; i < f.length; i++) {
    const c = f.charCodeAt(i);
    if (c >= 97 && c <= 122) sawLower = true;
    else if (c >= 65 && c <= 90) sawUpper = true;
    else if (!(c >= 48 && c <= 57)) return false;
    if (sawLower && sawUpper) return false;
  }
  return true;
}

/** label ::= fragment ('-' fragment)*, every fragment all-lowercase or all-uppercase, the first
 * starting with a letter. */
export function isKebab(s: string): boolean {
  if (s.length === 0) return false;
  const parts = s.split('-');
  for (let i = 0; i < parts.length; i++) if (!isFragment(parts[i]!, i === 0)) return false;
  return true;
}

/** Namespace and package words: lowercase kebab (`[a-z][a-z0-9]*` fragments after the first). */
function isLowerWords(s: string): boolean {
  if (!isKebab(s)) return false;
  return s === s.toLowerCase();
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export type ParsedName =
  | { kind: 'label'; label: string }
  | { kind: 'constructor'; resource: string }
  | { kind: 'method' | 'static'; resource: string; func: string }
  | { kind: 'interface'; ns: string; pkg: string; iface: string; version: string | null }
  | { kind: 'dep' | 'url' | 'hash' };

/** Parse an extern name, or return why it is invalid. */
export function parseExternName(name: string, isImport: boolean): ParsedName | string {
  const notKebab = (s: string) => `\`${s}\` is not in kebab case`;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    const ann = close < 0 ? '' : name.slice(1, close);
    const rest = name.slice(close + 1);
    if (ann === 'constructor') {
      if (!isKebab(rest)) return notKebab(rest);
      return { kind: 'constructor', resource: rest };
    }
    if (ann === 'method' || ann === 'static') {
      const dot = rest.indexOf('.');
      if (dot < 0) return `failed to find \`.\` character in \`${rest}\``;
      const res = rest.slice(0, dot);
      const fn = rest.slice(dot + 1);
      if (!isKebab(res)) return notKebab(res);
      if (!isKebab(fn)) return notKebab(fn);
      return { kind: ann, resource: res, func: fn };
    }
    return `unknown name annotation \`[${ann}]\` in \`${name}\``;
  }
  if (isImport) {
    if (name.startsWith('unlocked-dep=') || name.startsWith('locked-dep=')) return depName(name);
    if (name.startsWith('url=')) return /^url=<[^<>]*>(,integrity=<[^<>]*>)?$/.test(name) ? { kind: 'url' } : `\`${name}\` is not a valid extern name`;
    if (name.startsWith('integrity=')) return /^integrity=<[^<>]*>$/.test(name) ? { kind: 'hash' } : `\`${name}\` is not a valid extern name`;
  }
  const colon = name.indexOf(':');
  if (colon < 0) {
    if (!isKebab(name)) return notKebab(name);
    return { kind: 'label', label: name };
  }
  return interfaceName(name);
}

/** interfacename ::= namespace ':' package '/' label ('@' semver)? */
export function interfaceName(name: string): ParsedName | string {
  const invalid = `\`${name}\` is not a valid extern name`;
  const colon = name.indexOf(':');
  if (colon < 0) return invalid;
  const at = name.indexOf('@');
  const version = at < 0 ? null : name.slice(at + 1);
  const path = at < 0 ? name : name.slice(0, at);
  const ns = path.slice(0, colon);
  const rest = path.slice(colon + 1);
  const slash = rest.indexOf('/');
  if (slash < 0) return invalid;
  const pkg = rest.slice(0, slash);
  const iface = rest.slice(slash + 1);
  if (ns === '' || pkg === '' || iface === '') return `\`${ns === '' ? ns : pkg === '' ? pkg : iface}\` is not in kebab case`;
  if (!isKebab(ns)) return `\`${ns}\` is not in kebab case`;
  if (!isLowerWords(ns)) return invalid;
  if (!isKebab(pkg)) return `\`${pkg}\` is not in kebab case`;
  if (!isLowerWords(pkg)) return invalid;
  if (iface.includes('/') || iface.includes(':')) return invalid;
  if (!isKebab(iface)) return `\`${iface}\` is not in kebab case`;
  if (version !== null && !SEMVER.test(version)) return `\`${version}\` is not a valid semver`;
  return { kind: 'interface', ns, pkg, iface, version };
}

function depName(name: string): ParsedName | string {
  const m = /^(unlocked|locked)-dep=<([^<>]*)>(,integrity=<[^<>]*>)?$/.exec(name);
  if (!m || (m[1] === 'unlocked' && m[3])) return `\`${name}\` is not a valid extern name`;
  const pkg = m[2]!;
  // pkgname ::= namespace ':' package ('@' version-or-range)?
  const at = pkg.indexOf('@');
  const path = at < 0 ? pkg : pkg.slice(0, at);
  const colon = path.indexOf(':');
  if (colon < 0 || !isLowerWords(path.slice(0, colon)) || !isLowerWords(path.slice(colon + 1))) {
    return `\`${name}\` is not a valid extern name`;
  }
  return { kind: 'dep' };
}

/** The key under which two names clash (Explainer.md "Name Uniqueness": strongly-unique names):
 * letters lowercased; `[method]l.l` and `[static]l.l` become `l`; the `[method]` and `[static]`
 * prefixes are dropped, `[constructor]` kept. Hyphens still count: the spec's tests (kebab.wast)
 * import both `a1` and `a-1`; a later Explainer removes them too. */
export function uniquenessKey(name: string, p: ParsedName): string {
  const canon = (s: string) => s.toLowerCase();
  switch (p.kind) {
    case 'label': return canon(p.label);
    case 'constructor': return `[constructor]${canon(p.resource)}`;
    case 'method': case 'static': {
      const r = canon(p.resource);
      const f = canon(p.func);
      return r === f ? r : `${r}.${f}`;
    }
  }
  return canon(name);
}
