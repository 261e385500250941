// The static types validation works with (Explainer.md "Type Checking"): what each index space
// holds, resource substitution at instantiation, subtyping, and the external visibility of types.
// Value and function types are types.ts's, so flattening is shared with the ABI; each type
// definition is its own object, and that identity is what "named" (visible) means.
import { ResourceType, type FuncType, type ValType } from '../types.js';
import { moduleSub, type CoreExtern, type ModuleType } from './core.js';

/** A type index that denotes a resource type. Exporting or importing one makes a new entry for
 * the same resource: the resource is equal, the entry (its name) is not. */
export interface ResEntry { k: 'resource'; rt: ResourceType }
/** own/borrow as validation sees them: the resource, and the entry it was written through. */
export interface Handle { k: 'own' | 'borrow'; rt: ResourceType; via: ResEntry | null }

export interface InstanceType {
  k: 'instance';
  exports: Map<string, Entity>;
  /** Abstract resources the type introduces (fresh for each instance of the type). */
  created: Set<ResourceType>;
}
export interface ComponentType {
  k: 'component';
  imports: Map<string, Entity>;
  exports: Map<string, Entity>;
  /** Resources its imports bind (replaced by the arguments' at instantiation). */
  bound: Set<ResourceType>;
  /** Resources it defines (fresh at each instantiation). */
  created: Set<ResourceType>;
}

export type TypeEntry = ValType | FuncType | ResEntry | InstanceType | ComponentType;

export type Entity =
  | { sort: 'func'; t: FuncType }
  | { sort: 'value'; t: ValType }
  | { sort: 'type'; t: TypeEntry }
  | { sort: 'instance'; t: InstanceType }
  | { sort: 'component'; t: ComponentType }
  | { sort: 'core-module'; t: ModuleType };

export type CoreInstanceType = Map<string, CoreExtern>;

export function handle(k: 'own' | 'borrow', e: ResEntry): ValType {
  const h: Handle = { k, rt: e.rt, via: e };
  return h;
}

const NOMINAL = new Set(['record', 'variant', 'enum', 'flags']);
export const isNominal = (t: TypeEntry): boolean => NOMINAL.has(t.k);
export const isValType = (t: TypeEntry): t is ValType =>
  t.k !== 'func' && t.k !== 'resource' && t.k !== 'instance' && t.k !== 'component';

/** A new entry for the same type: what an import with an `eq` bound or an export defines. */
export function cloneEntry(t: TypeEntry): TypeEntry {
  return { ...t } as TypeEntry;
}

// ---- Substitution: resources replaced (instantiation, imports of instance types).

export class Subst {
  private readonly memo: Map<object, object>;
  constructor(
    private readonly map: Map<ResourceType, ResourceType>,
    /** Resources to replace by fresh ones (each once). */
    private readonly fresh: Set<ResourceType> | null,
    private readonly onFresh: (rt: ResourceType) => void,
    /** Type entries replaced outright: a component's type imports by the arguments' types. */
    entries?: Map<object, object>,
  ) {
    this.memo = new Map(entries);
  }

  rt(r: ResourceType): ResourceType {
    let m = this.map.get(r);
    if (!m && this.fresh?.has(r)) {
      m = new ResourceType(r.name, null);
      this.map.set(r, m);
      this.onFresh(m);
    }
    return m ?? r;
  }

  private cached<T extends object>(t: T, make: () => T): T {
    const hit = this.memo.get(t);
    if (hit) return hit as T;
    const out = make();
    this.memo.set(t, out);
    return out;
  }

  res(e: ResEntry): ResEntry {
    return this.cached(e, () => { const rt = this.rt(e.rt); return rt === e.rt ? e : { k: 'resource', rt }; });
  }

  val(t: ValType): ValType {
    const hit = this.memo.get(t);
    if (hit) return hit as ValType;
    switch (t.k) {
      case 'own': case 'borrow': return this.cached(t, () => {
        const h = t as Handle;
        const rt = this.rt(h.rt);
        const via = h.via ? this.res(h.via) : null;
        if (rt === h.rt && via === h.via) return t;
        const n: Handle = { k: h.k, rt, via };
        return n;
      });
      case 'list': case 'option': return this.cached(t, () => { const e = this.val(t.t); return e === t.t ? t : { ...t, t: e } as ValType; });
      case 'stream': case 'future': return this.cached(t, () => { const e = t.t && this.val(t.t); return e === t.t ? t : { k: t.k, t: e }; });
      case 'record': return this.cached(t, () => {
        const fs = t.fields.map((f) => ({ name: f.name, t: this.val(f.t) }));
        return fs.every((f, i) => f.t === t.fields[i]!.t) ? t : { k: 'record', fields: fs };
      });
      case 'variant': return this.cached(t, () => {
        const cs = t.cases.map((c) => ({ name: c.name, t: c.t && this.val(c.t) }));
        return cs.every((c, i) => c.t === t.cases[i]!.t) ? t : { k: 'variant', cases: cs };
      });
      case 'tuple': return this.cached(t, () => { const ts = t.ts.map((x) => this.val(x)); return ts.every((x, i) => x === t.ts[i]) ? t : { k: 'tuple', ts }; });
      case 'result': return this.cached(t, () => {
        const ok = t.ok && this.val(t.ok);
        const err = t.err && this.val(t.err);
        return ok === t.ok && err === t.err ? t : { k: 'result', ok, err };
      });
      case 'map': return this.cached(t, () => {
        const key = this.val(t.key);
        const value = this.val(t.value);
        return key === t.key && value === t.value ? t : { k: 'map', key, value };
      });
    }
    return t;
  }

  func(f: FuncType): FuncType {
    return this.cached(f, () => {
      const params = f.params.map((p) => ({ name: p.name, t: this.val(p.t) }));
      const result = f.result && this.val(f.result);
      return params.every((p, i) => p.t === f.params[i]!.t) && result === f.result ? f : { k: 'func', async: f.async, params, result };
    });
  }

  instance(it: InstanceType): InstanceType {
    return this.cached(it, () => {
      const exports = new Map<string, Entity>();
      let same = true;
      for (const [n, e] of it.exports) { const x = this.entity(e); if (x !== e) same = false; exports.set(n, x); }
      return same ? it : { k: 'instance', exports, created: it.created };
    });
  }

  entry(t: TypeEntry): TypeEntry {
    switch (t.k) {
      case 'resource': return this.res(t);
      case 'func': return this.func(t);
      case 'instance': return this.instance(t);
      case 'component': return t; // self-contained: its resources are its own or bound by its imports
    }
    return this.val(t);
  }

  entity(e: Entity): Entity {
    return this.cached(e, () => {
      switch (e.sort) {
        case 'func': { const t = this.func(e.t); return t === e.t ? e : { sort: 'func', t }; }
        case 'value': { const t = this.val(e.t); return t === e.t ? e : { sort: 'value', t }; }
        case 'type': { const t = this.entry(e.t); return t === e.t ? e : { sort: 'type', t }; }
        case 'instance': { const t = this.instance(e.t); return t === e.t ? e : { sort: 'instance', t }; }
      }
      return e;
    });
  }
}

// ---- Subtyping (a: what is given, b: what is expected). Each returns null or why not.

const describe = (t: TypeEntry): string => (t.k === 'resource' ? 'resource' : isValType(t) ? t.k : `${t.k} type`);
const PRIMS = new Set(['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string', 'error-context']);

export class Matcher {
  /** Resources bound so far: an expected-side resource to the given one. */
  readonly m = new Map<ResourceType, ResourceType>();
  constructor(private readonly bindable: Set<ResourceType>, private readonly symmetric = false) {}

  res(a: ResourceType, b: ResourceType): boolean {
    if (a === b) return true;
    const mb = this.m.get(b);
    if (mb) return mb === a;
    if (this.symmetric) { const ma = this.m.get(a); if (ma) return ma === b; }
    if (this.bindable.has(b)) { this.m.set(b, a); return true; }
    if (this.symmetric && this.bindable.has(a)) { this.m.set(a, b); return true; }
    return false;
  }

  val(a: ValType, b: ValType): string | null {
    if (a === b) return null;
    const ap = PRIMS.has(a.k);
    const bp = PRIMS.has(b.k);
    if (ap && bp) return a.k === b.k ? null : `expected primitive \`${b.k}\` found primitive \`${a.k}\``;
    if (bp) return `expected primitive, found ${a.k}`;
    if (a.k !== b.k) return `expected ${b.k}, found ${a.k}`;
    const sub = (x: ValType | null, y: ValType | null, what: string, absent: string, present: string): string | null => {
      if (!x && !y) return null;
      if (!y) return absent;
      if (!x) return present;
      const why = this.val(x, y);
      return why && `${what}: ${why}`;
    };
    switch (a.k) {
      case 'list': { const o = b as typeof a; if (a.len !== o.len) return 'mismatch in list length'; return sub(a.t, o.t, 'type mismatch in list element', '', ''); }
      case 'option': return sub(a.t, (b as typeof a).t, 'type mismatch in option', '', '');
      case 'stream': case 'future': {
        const o = b as typeof a;
        return sub(a.t, o.t, `type mismatch in ${a.k} payload`, `expected ${a.k} type to not be present`, `expected ${a.k} type, but found none`);
      }
      case 'record': {
        const o = b as typeof a;
        if (a.fields.length !== o.fields.length) return `expected ${o.fields.length} fields, found ${a.fields.length}`;
        for (let i = 0; i < a.fields.length; i++) {
          const x = a.fields[i]!;
          const y = o.fields[i]!;
          if (x.name !== y.name) return `expected field name \`${y.name}\`, found \`${x.name}\``;
          const why = this.val(x.t, y.t);
          if (why) return `type mismatch in record field \`${x.name}\`: ${why}`;
        }
        return null;
      }
      case 'variant': {
        const o = b as typeof a;
        if (a.cases.length !== o.cases.length) return `expected ${o.cases.length} cases, found ${a.cases.length}`;
        for (let i = 0; i < a.cases.length; i++) {
          const x = a.cases[i]!;
          const y = o.cases[i]!;
          if (x.name !== y.name) return `expected case named \`${y.name}\`, found \`${x.name}\``;
          const why = sub(x.t, y.t, `type mismatch in variant case \`${x.name}\``, `expected case \`${x.name}\` to have no type`, `expected case \`${x.name}\` to have a type, found none`);
          if (why) return why;
        }
        return null;
      }
      case 'tuple': {
        const o = b as typeof a;
        if (a.ts.length !== o.ts.length) return `expected ${o.ts.length} types, found ${a.ts.length}`;
        for (let i = 0; i < a.ts.length; i++) { const why = this.val(a.ts[i]!, o.ts[i]!); if (why) return `type mismatch in tuple field ${i}: ${why}`; }
        return null;
      }
      case 'flags': case 'enum': {
        const o = b as typeof a;
        return a.names.length === o.names.length && a.names.every((n, i) => n === o.names[i]) ? null : `mismatch in ${a.k} elements`;
      }
      case 'result': {
        const o = b as typeof a;
        return sub(a.ok, o.ok, 'type mismatch in ok variant', 'expected ok type to not be present', 'expected ok type, but found none') ??
          sub(a.err, o.err, 'type mismatch in err variant', 'expected err type to not be present', 'expected err type, but found none');
      }
      case 'own': case 'borrow': return this.res(a.rt, (b as typeof a).rt) ? null : 'resource types are not the same';
      case 'map': {
        const o = b as typeof a;
        return sub(a.key, o.key, 'type mismatch in map key', '', '') ?? sub(a.value, o.value, 'type mismatch in map value', '', '');
      }
    }
    return null;
  }

  func(a: FuncType, b: FuncType): string | null {
    if (a === b) return null;
    if (a.async !== b.async) return b.async ? 'expected an async function type' : 'expected a sync function type';
    if (a.params.length !== b.params.length) return `expected ${b.params.length} parameters, found ${a.params.length}`;
    for (let i = 0; i < a.params.length; i++) {
      const x = a.params[i]!;
      const y = b.params[i]!;
      if (x.name !== y.name) return `expected parameter named \`${y.name}\`, found \`${x.name}\``;
      const why = this.val(x.t, y.t);
      if (why) return `type mismatch in function parameter \`${x.name}\`: ${why}`;
    }
    if (!a.result !== !b.result) return b.result ? 'expected a result, found none' : 'expected no result';
    const why = a.result && b.result ? this.val(a.result, b.result) : null;
    return why && `type mismatch with result type: ${why}`;
  }

  entry(a: TypeEntry, b: TypeEntry): string | null {
    if (a === b) return null;
    if (b.k === 'resource') {
      if (a.k !== 'resource') return `expected resource, found ${describe(a)}`;
      return this.res(a.rt, b.rt) ? null : 'resource types are not the same';
    }
    if (a.k === 'resource') return isValType(b) ? 'expected defined type, found resource' : `expected ${describe(b)}, found resource`;
    if (isValType(b)) return isValType(a) ? this.val(a, b) : `expected defined type, found ${describe(a)}`;
    if (a.k !== b.k) return `expected ${describe(b)}, found ${describe(a)}`;
    if (b.k === 'func') return this.func(a as FuncType, b);
    if (b.k === 'instance') return this.instance(a as InstanceType, b);
    return this.component(a as ComponentType, b as ComponentType);
  }

  instance(a: InstanceType, b: InstanceType): string | null {
    if (a === b) return null;
    for (const [name, be] of b.exports) {
      const ae = a.exports.get(name);
      if (!ae) return `missing expected export \`${name}\``;
      const why = this.entity(ae, be);
      if (why) return `type mismatch in instance export \`${name}\`: ${why}`;
    }
    return null;
  }

  component(a: ComponentType, b: ComponentType): string | null {
    if (a === b) return null;
    // Contravariant in imports: what a needs, b's users will give; covariant in exports.
    const inner = new Matcher(new Set([...a.bound, ...b.created, ...this.bindable]), true);
    for (const [k, v] of this.m) inner.m.set(k, v);
    for (const [name, ai] of a.imports) {
      const bi = b.imports.get(name);
      if (!bi) return `missing expected import \`${name}\``;
      const why = inner.entity(bi, ai);
      if (why) return `type mismatch in import \`${name}\`: ${why}`;
    }
    for (const [name, be] of b.exports) {
      const ae = a.exports.get(name);
      if (!ae) return `missing expected export \`${name}\``;
      const why = inner.entity(ae, be);
      if (why) return `type mismatch in export \`${name}\`: ${why}`;
    }
    return null;
  }

  entity(a: Entity, b: Entity): string | null {
    if (a.sort !== b.sort) return `expected ${b.sort}, found ${a.sort}`;
    switch (b.sort) {
      case 'func': return this.func(a.t as FuncType, b.t);
      case 'value': return this.val(a.t as ValType, b.t);
      case 'type': return this.entry(a.t as TypeEntry, b.t);
      case 'instance': return this.instance(a.t as InstanceType, b.t);
      case 'component': return this.component(a.t as ComponentType, b.t);
      case 'core-module': return moduleSub(a.t as ModuleType, b.t);
    }
  }
}

// ---- External visibility (Explainer.md "Import and Export Definitions"): a type an import or
// export uses that needs a name (record, variant, enum, flags, resource) must have been
// imported or exported before, or be exported by the same instance earlier.

/** Pair the type entries an import declares with those of the item given for it. */
export function bindEntries(want: Entity, got: Entity, into: Map<object, object>): void {
  if (want.sort === 'type' && got.sort === 'type') into.set(want.t, got.t);
  else if (want.sort === 'instance' && got.sort === 'instance') {
    for (const [n, w] of want.t.exports) { const g = got.t.exports.get(n); if (g) bindEntries(w, g, into); }
  }
}

export type Named = (o: object) => boolean;

export function visibleVal(t: ValType, named: Named): boolean {
  switch (t.k) {
    case 'record': case 'variant': case 'enum': case 'flags': return named(t);
    case 'own': case 'borrow': { const via = (t as Handle).via; return !via || named(via); }
    case 'list': case 'option': return visibleVal(t.t, named);
    case 'stream': case 'future': return !t.t || visibleVal(t.t, named);
    case 'tuple': return t.ts.every((x) => visibleVal(x, named));
    case 'result': return (!t.ok || visibleVal(t.ok, named)) && (!t.err || visibleVal(t.err, named));
    case 'map': return visibleVal(t.key, named) && visibleVal(t.value, named);
  }
  return true;
}

function visibleFunc(f: FuncType, named: Named): boolean {
  return f.params.every((p) => visibleVal(p.t, named)) && (!f.result || visibleVal(f.result, named));
}

/** The contents of a type being named by this import or export. */
function visibleContents(t: TypeEntry, named: Named): boolean {
  switch (t.k) {
    case 'resource': case 'component': return true;
    case 'func': return visibleFunc(t, named);
    case 'instance': return visibleInstance(t, named);
    case 'record': return t.fields.every((f) => visibleVal(f.t, named));
    case 'variant': return t.cases.every((c) => !c.t || visibleVal(c.t, named));
    case 'enum': case 'flags': return true;
  }
  return visibleVal(t, named);
}

function visibleInstance(it: InstanceType, named: Named): boolean {
  const local = new Set<object>();
  const n2: Named = (o) => local.has(o) || named(o);
  for (const e of it.exports.values()) {
    if (!visibleEntity(e, n2)) return false;
    addNamed(e, local);
  }
  return true;
}

export function visibleEntity(e: Entity, named: Named): boolean {
  switch (e.sort) {
    case 'func': return visibleFunc(e.t, named);
    case 'value': return visibleVal(e.t, named);
    case 'type': return visibleContents(e.t, named);
    case 'instance': return visibleInstance(e.t, named);
  }
  return true;
}

/** The type entries an import or export of e names. */
export function addNamed(e: Entity, into: Set<object>): void {
  if (e.sort === 'type') into.add(e.t);
  else if (e.sort === 'instance') for (const x of e.t.exports.values()) addNamed(x, into);
}

/** Whether a type refers to resources anywhere (outer aliases into components may not). */
export function refersToResources(t: TypeEntry, seen = new Set<object>()): boolean {
  if (seen.has(t)) return false;
  seen.add(t);
  const v = (x: ValType | null) => !!x && refersToResources(x, seen);
  const ent = (e: Entity): boolean => (e.sort === 'func' || e.sort === 'value' || e.sort === 'type' || e.sort === 'instance' || e.sort === 'component') && refersToResources(e.t as TypeEntry, seen);
  switch (t.k) {
    case 'resource': case 'own': case 'borrow': return true;
    case 'list': case 'option': return v(t.t);
    case 'stream': case 'future': return v(t.t);
    case 'record': return t.fields.some((f) => v(f.t));
    case 'variant': return t.cases.some((c) => v(c.t));
    case 'tuple': return t.ts.some(v);
    case 'result': return v(t.ok) || v(t.err);
    case 'map': return v(t.key) || v(t.value);
    case 'func': return t.params.some((p) => v(p.t)) || v(t.result);
    case 'instance': return [...t.exports.values()].some(ent);
    case 'component': return [...t.imports.values(), ...t.exports.values()].some(ent);
  }
  return false;
}

// ---- Value size (CanonicalABI.md "Element Size", with 64-bit pointers): validation requires
// elem_size(t) < 2^28 for every defined value type, so fixed-length lists stay addressable.

export const MAX_VALUE_SIZE = 2 ** 28;
const SIZE64 = new WeakMap<object, { size: number; align: number }>();

function discriminant(n: number): number { return n <= 256 ? 1 : n <= 65536 ? 2 : 4; }
const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;

export function layout64(t: ValType): { size: number; align: number } {
  const hit = SIZE64.get(t);
  if (hit) return hit;
  let out: { size: number; align: number };
  const struct = (ts: ValType[]) => {
    let size = 0;
    let align = 1;
    for (const x of ts) { const l = layout64(x); size = alignUp(size, l.align) + l.size; align = Math.max(align, l.align); }
    return { size: alignUp(size, align), align };
  };
  const variant = (cases: (ValType | null)[]) => {
    const d = discriminant(cases.length);
    let size = 0;
    let align = d;
    for (const c of cases) if (c) { const l = layout64(c); size = Math.max(size, l.size); align = Math.max(align, l.align); }
    return { size: alignUp(alignUp(d, align) + size, align), align };
  };
  switch (t.k) {
    case 'bool': case 's8': case 'u8': out = { size: 1, align: 1 }; break;
    case 's16': case 'u16': out = { size: 2, align: 2 }; break;
    case 's64': case 'u64': case 'f64': out = { size: 8, align: 8 }; break;
    case 'string': case 'map': out = { size: 16, align: 8 }; break;
    case 'list':
      if (t.len === undefined) out = { size: 16, align: 8 };
      else { const l = layout64(t.t); out = { size: l.size * t.len, align: l.align }; }
      break;
    case 'record': out = struct(t.fields.map((f) => f.t)); break;
    case 'tuple': out = struct(t.ts); break;
    case 'variant': out = variant(t.cases.map((c) => c.t)); break;
    case 'enum': { const d = discriminant(t.names.length); out = { size: d, align: d }; break; }
    case 'flags': { const n = t.names.length; const s = n === 0 ? 0 : n <= 8 ? 1 : n <= 16 ? 2 : 4; out = { size: s, align: Math.max(s, 1) }; break; }
    case 'option': out = variant([null, t.t]); break;
    case 'result': out = variant([t.ok, t.err]); break;
    default: out = { size: 4, align: 4 }; // u32, s32, f32, char, handles, stream, future, error-context
  }
  SIZE64.set(t, out);
  return out;
}
