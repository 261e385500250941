// Component value and function types after index resolution, with the Canonical ABI's pure type
// functions: despecialize, alignment, elem_size, flatten (CanonicalABI.md, "Despecialization"
// through "Flattening"). Results are cached per type object.
import type { PrimName, StringEncoding } from './binary/ast.js';

export type CoreValType = 'i32' | 'i64' | 'f32' | 'f64';

/** A resource type: defined by a component instance (impl) or by the host (impl null). */
export class ResourceType {
  constructor(
    readonly name: string,
    /** The component instance that defines it; null for host resources. */
    readonly impl: object | null,
    /** The destructor: a core function for guest resources, a JS function for host ones. */
    readonly dtor: ((rep: number) => unknown) | null = null,
  ) {}
}

export type ValType =
  | { k: PrimName }
  | { k: 'list'; t: ValType; len?: number }
  | { k: 'record'; fields: { name: string; t: ValType }[] }
  | { k: 'variant'; cases: { name: string; t: ValType | null }[] }
  | { k: 'tuple'; ts: ValType[] }
  | { k: 'flags'; names: string[] }
  | { k: 'enum'; names: string[] }
  | { k: 'option'; t: ValType }
  | { k: 'result'; ok: ValType | null; err: ValType | null }
  | { k: 'own'; rt: ResourceType }
  | { k: 'borrow'; rt: ResourceType }
  | { k: 'stream'; t: ValType | null }
  | { k: 'future'; t: ValType | null }
  | { k: 'map'; key: ValType; value: ValType };

export type Case = { name: string; t: ValType | null };

export interface FuncType {
  k: 'func';
  async: boolean;
  params: { name: string; t: ValType }[];
  result: ValType | null;
}

const PRIM_CACHE = new Map<string, ValType>();
/** The shared object for a primitive type. */
export function prim(name: PrimName): ValType {
  let t = PRIM_CACHE.get(name);
  if (!t) { t = { k: name }; PRIM_CACHE.set(name, t); }
  return t;
}

/** Whether a type is a number type (streams of these may be copied within one instance). */
export function isNumberType(t: ValType | null): boolean {
  if (t === null) return true;
  switch (t.k) {
    case 'u8': case 'u16': case 'u32': case 'u64': case 's8': case 's16': case 's32': case 's64':
    case 'f32': case 'f64': return true;
  }
  return false;
}

// ---- Despecialization: tuple, enum, option, result and map become record, variant and list.

export type Despecialized =
  | { k: PrimName }
  | { k: 'list'; t: ValType; len?: number }
  | { k: 'record'; fields: { name: string; t: ValType }[] }
  | { k: 'variant'; cases: Case[] }
  | { k: 'flags'; names: string[] }
  | { k: 'own'; rt: ResourceType }
  | { k: 'borrow'; rt: ResourceType }
  | { k: 'stream'; t: ValType | null }
  | { k: 'future'; t: ValType | null };

const DESPEC = new WeakMap<ValType, Despecialized>();
export function despecialize(t: ValType): Despecialized {
  let d = DESPEC.get(t);
  if (d) return d;
  switch (t.k) {
    case 'tuple': d = { k: 'record', fields: t.ts.map((u, i) => ({ name: String(i), t: u })) }; break;
    case 'enum': d = { k: 'variant', cases: t.names.map((name) => ({ name, t: null })) }; break;
    case 'option': d = { k: 'variant', cases: [{ name: 'none', t: null }, { name: 'some', t: t.t }] }; break;
    case 'result': d = { k: 'variant', cases: [{ name: 'ok', t: t.ok }, { name: 'error', t: t.err }] }; break;
    case 'map': d = { k: 'list', t: { k: 'tuple', ts: [t.key, t.value] } }; break;
    default: d = t as Despecialized;
  }
  DESPEC.set(t, d);
  return d;
}

// ---- Alignment and size (32-bit memories).

export function alignTo(ptr: number, alignment: number): number {
  return Math.ceil(ptr / alignment) * alignment;
}

export function discriminantSize(n: number): 1 | 2 | 4 {
  return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

function flagsSize(n: number): number {
  return n <= 8 ? 1 : n <= 16 ? 2 : 4;
}

const ALIGN = new WeakMap<ValType, number>();
export function alignment(t: ValType): number {
  let a = ALIGN.get(t);
  if (a !== undefined) return a;
  const d = despecialize(t);
  switch (d.k) {
    case 'bool': case 's8': case 'u8': a = 1; break;
    case 's16': case 'u16': a = 2; break;
    case 's32': case 'u32': case 'f32': case 'char': case 'error-context': a = 4; break;
    case 's64': case 'u64': case 'f64': a = 8; break;
    case 'string': a = 4; break;
    case 'list': a = d.len !== undefined ? alignment(d.t) : 4; break;
    case 'record': a = d.fields.reduce((m, f) => Math.max(m, alignment(f.t)), 1); break;
    case 'variant': a = Math.max(discriminantSize(d.cases.length), maxCaseAlignment(d.cases)); break;
    case 'flags': a = flagsSize(d.names.length); break;
    default: a = 4;
  }
  ALIGN.set(t, a);
  return a;
}

export function maxCaseAlignment(cases: Case[]): number {
  let a = 1;
  for (const c of cases) if (c.t) a = Math.max(a, alignment(c.t));
  return a;
}

const SIZE = new WeakMap<ValType, number>();
export function elemSize(t: ValType): number {
  let s = SIZE.get(t);
  if (s !== undefined) return s;
  const d = despecialize(t);
  switch (d.k) {
    case 'bool': case 's8': case 'u8': s = 1; break;
    case 's16': case 'u16': s = 2; break;
    case 's32': case 'u32': case 'f32': case 'char': case 'error-context': s = 4; break;
    case 's64': case 'u64': case 'f64': s = 8; break;
    case 'string': s = 8; break;
    case 'list': s = d.len !== undefined ? d.len * elemSize(d.t) : 8; break;
    case 'record': {
      let n = 0;
      for (const f of d.fields) { n = alignTo(n, alignment(f.t)); n += elemSize(f.t); }
      s = alignTo(n, alignment(t));
      break;
    }
    case 'variant': {
      let n: number = discriminantSize(d.cases.length);
      n = alignTo(n, maxCaseAlignment(d.cases));
      let cs = 0;
      for (const c of d.cases) if (c.t) cs = Math.max(cs, elemSize(c.t));
      s = alignTo(n + cs, alignment(t));
      break;
    }
    case 'flags': s = flagsSize(d.names.length); break;
    default: s = 4;
  }
  SIZE.set(t, s);
  return s;
}

// ---- Flattening.

export const MAX_FLAT_PARAMS = 16;
export const MAX_FLAT_RESULTS = 1;
export const MAX_FLAT_ASYNC_PARAMS = 4;

const FLAT = new WeakMap<ValType, CoreValType[]>();
export function flattenType(t: ValType): CoreValType[] {
  let f = FLAT.get(t);
  if (f) return f;
  const d = despecialize(t);
  switch (d.k) {
    case 's64': case 'u64': f = ['i64']; break;
    case 'f32': f = ['f32']; break;
    case 'f64': f = ['f64']; break;
    case 'string': f = ['i32', 'i32']; break;
    case 'list':
      if (d.len !== undefined) { f = []; for (let i = 0; i < d.len; i++) f.push(...flattenType(d.t)); }
      else f = ['i32', 'i32'];
      break;
    case 'record': f = d.fields.flatMap((x) => flattenType(x.t)); break;
    case 'variant': f = flattenVariant(d.cases); break;
    default: f = ['i32'];
  }
  FLAT.set(t, f);
  return f;
}

export function flattenVariant(cases: Case[]): CoreValType[] {
  const flat: CoreValType[] = [];
  for (const c of cases) {
    if (!c.t) continue;
    flattenType(c.t).forEach((ft, i) => {
      if (i < flat.length) flat[i] = join(flat[i]!, ft);
      else flat.push(ft);
    });
  }
  return ['i32', ...flat];
}

function join(a: CoreValType, b: CoreValType): CoreValType {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

export function flattenTypes(ts: ValType[]): CoreValType[] {
  return ts.flatMap(flattenType);
}

export interface CoreFuncSig { params: CoreValType[]; results: CoreValType[] }

// One array per function type, so everything keyed by it (the flat tuple below, the caches of
// alignment, size and flattening) is computed once, not at every call.
const RESULT_TYPES = new WeakMap<FuncType, ValType[]>();
const PARAM_TYPES = new WeakMap<FuncType, ValType[]>();
export function resultTypes(ft: FuncType): ValType[] {
  let ts = RESULT_TYPES.get(ft);
  if (!ts) RESULT_TYPES.set(ft, ts = ft.result ? [ft.result] : []);
  return ts;
}
export function paramTypes(ft: FuncType): ValType[] {
  let ts = PARAM_TYPES.get(ft);
  if (!ts) PARAM_TYPES.set(ft, ts = ft.params.map((p) => p.t));
  return ts;
}

const TUPLE_OF = new WeakMap<ValType[], { tuple: ValType; flat: number }>();
/** The tuple of a list of types and its flat length, made once per list: values that do not
 * fit in flat core values go through memory as this tuple. */
export function tupleOf(ts: ValType[]): { tuple: ValType; flat: number } {
  let e = TUPLE_OF.get(ts);
  if (!e) TUPLE_OF.set(ts, e = { tuple: { k: 'tuple', ts }, flat: flattenTypes(ts).length });
  return e;
}

/** flatten_functype: the core signature of a lifted or lowered function. */
export function flattenFuncType(ft: FuncType, opts: { async?: boolean; callback?: unknown }, context: 'lift' | 'lower'): CoreFuncSig {
  let params = flattenTypes(paramTypes(ft));
  let results = flattenTypes(resultTypes(ft));
  if (!opts.async) {
    if (params.length > MAX_FLAT_PARAMS) params = ['i32'];
    if (results.length > MAX_FLAT_RESULTS) {
      if (context === 'lift') results = ['i32'];
      else { params = [...params, 'i32']; results = []; }
    }
    return { params, results };
  }
  if (context === 'lift') {
    if (params.length > MAX_FLAT_PARAMS) params = ['i32'];
    results = opts.callback !== undefined ? ['i32'] : [];
  } else {
    if (params.length > MAX_FLAT_ASYNC_PARAMS) params = ['i32'];
    if (results.length > 0) params = [...params, 'i32'];
    results = ['i32'];
  }
  return { params, results };
}

// ---- Type equality (resources by identity), for stream/future ends and import checks.

// Pairs found equal: types do not change once made, and the same two (a future's element type
// as the built-in names it and as the end holds it) are compared at every stream or future
// operation and every task.return; a deep compare of error-code's cases costs microseconds.
const EQUAL = new WeakMap<object, WeakSet<object>>();

export function typeEquals(a: ValType | null, b: ValType | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.k !== b.k) return false;
  if (EQUAL.get(a)?.has(b)) return true;
  const eq = structurallyEqual(a, b);
  if (eq) {
    let known = EQUAL.get(a);
    if (!known) EQUAL.set(a, known = new WeakSet());
    known.add(b);
  }
  return eq;
}

function structurallyEqual(a: ValType, b: ValType): boolean {
  switch (a.k) {
    case 'list': { const o = b as typeof a; return a.len === o.len && typeEquals(a.t, o.t); }
    case 'record': { const o = b as typeof a; return a.fields.length === o.fields.length && a.fields.every((f, i) => f.name === o.fields[i]!.name && typeEquals(f.t, o.fields[i]!.t)); }
    case 'variant': { const o = b as typeof a; return a.cases.length === o.cases.length && a.cases.every((c, i) => c.name === o.cases[i]!.name && typeEquals(c.t, o.cases[i]!.t)); }
    case 'tuple': { const o = b as typeof a; return a.ts.length === o.ts.length && a.ts.every((t, i) => typeEquals(t, o.ts[i]!)); }
    case 'flags': case 'enum': { const o = b as typeof a; return a.names.join(',') === o.names.join(','); }
    case 'option': return typeEquals(a.t, (b as typeof a).t);
    case 'result': { const o = b as typeof a; return typeEquals(a.ok, o.ok) && typeEquals(a.err, o.err); }
    case 'own': case 'borrow': return a.rt === (b as typeof a).rt;
    case 'stream': case 'future': return typeEquals(a.t, (b as typeof a).t);
    case 'map': { const o = b as typeof a; return typeEquals(a.key, o.key) && typeEquals(a.value, o.value); }
  }
  return true;
}

export function funcTypeEquals(a: FuncType, b: FuncType): boolean {
  return a.async === b.async && a.params.length === b.params.length &&
    a.params.every((p, i) => p.name === b.params[i]!.name && typeEquals(p.t, b.params[i]!.t)) &&
    typeEquals(a.result, b.result);
}

export function containsBorrow(t: ValType | null): boolean {
  return contains(t, (u) => u.k === 'borrow');
}
export function containsAsyncValue(t: ValType | null): boolean {
  return contains(t, (u) => u.k === 'stream' || u.k === 'future');
}
function contains(t: ValType | null, p: (u: ValType) => boolean): boolean {
  if (!t) return false;
  if (p(t)) return true;
  const d = despecialize(t);
  switch (d.k) {
    case 'list': case 'stream': case 'future': return contains(d.t, p);
    case 'record': return d.fields.some((f) => contains(f.t, p));
    case 'variant': return d.cases.some((c) => contains(c.t, p));
  }
  return false;
}

export function typeToString(t: ValType | null): string {
  if (!t) return '_';
  switch (t.k) {
    case 'list': return `list<${typeToString(t.t)}${t.len !== undefined ? `, ${t.len}` : ''}>`;
    case 'record': return `record { ${t.fields.map((f) => `${f.name}: ${typeToString(f.t)}`).join(', ')} }`;
    case 'variant': return `variant { ${t.cases.map((c) => c.t ? `${c.name}(${typeToString(c.t)})` : c.name).join(', ')} }`;
    case 'tuple': return `tuple<${t.ts.map(typeToString).join(', ')}>`;
    case 'flags': return `flags { ${t.names.join(', ')} }`;
    case 'enum': return `enum { ${t.names.join(', ')} }`;
    case 'option': return `option<${typeToString(t.t)}>`;
    case 'result': return `result<${typeToString(t.ok)}, ${typeToString(t.err)}>`;
    case 'own': return `own<${t.rt.name}>`;
    case 'borrow': return `borrow<${t.rt.name}>`;
    case 'stream': return t.t ? `stream<${typeToString(t.t)}>` : 'stream';
    case 'future': return t.t ? `future<${typeToString(t.t)}>` : 'future';
    case 'map': return `map<${typeToString(t.key)}, ${typeToString(t.value)}>`;
  }
  return t.k;
}

export function funcTypeToString(ft: FuncType): string {
  return `${ft.async ? 'async ' : ''}func(${ft.params.map((p) => `${p.name}: ${typeToString(p.t)}`).join(', ')})${ft.result ? ` -> ${typeToString(ft.result)}` : ''}`;
}

export type { StringEncoding };
