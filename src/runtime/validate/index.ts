// Component validation (Binary.md, Explainer.md): run over the decoded component before anything
// is instantiated, so an invalid component fails as a whole with a ValidationError naming the
// rule and the byte offset, however deep the broken part sits or whether it would ever run.
// One pass over the definitions in order, keeping each index space's static types.
import type {
  Alias, Canon, CanonOpts, ComponentAst, CoreSort, Decl, Definition, ExternDesc, NameAttr, Sort,
  TypeDef, ValTypeRef,
} from '../binary/ast.js';
import { ValidationError } from '../errors.js';
import { MalformedError } from '../binary/reader.js';
import {
  MAX_FLAT_ASYNC_PARAMS, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, ResourceType, containsBorrow, flattenFuncType,
  flattenType, prim, type FuncType, type ValType,
} from '../types.js';
import {
  CoreInvalid, coreExternSub, moduleTypeOf, moduleTypeOfDecls, sigEquals, type CoreExtern, type CoreSig,
  type ModuleType,
} from './core.js';
import { interfaceName, isKebab, parseExternName, uniquenessKey } from './names.js';
import {
  MAX_VALUE_SIZE, Matcher, Subst, addNamed, bindEntries, cloneEntry, handle, isValType, layout64, refersToResources,
  visibleEntity,
  type ComponentType, type CoreInstanceType, type Entity, type Handle, type InstanceType, type ResEntry,
  type TypeEntry,
} from './types.js';

export { isKebab, parseExternName } from './names.js';
export type { Entity } from './types.js';

/** Thrown inside the walk; the walk adds the offset of the definition being validated. */
class Invalid extends Error {}
const fail = (rule: string): never => { throw new Invalid(rule); };

type ScopeKind = 'component' | 'component-type' | 'instance-type';

const ATTRS = ['implements', 'versionsuffix', 'external-id'];

/** The names of one import or export namespace: strong uniqueness, and which resource each
 * resource-typed name denotes (for [constructor], [method] and [static] names). */
class Names {
  private readonly keys = new Map<string, string>();
  /** Resource names by type entry: a resource is named by the index it was imported or exported as. */
  private readonly resNames = new Map<object, string[]>();
  constructor(private readonly what: 'import' | 'export' | 'instance export') {}

  add(name: string, attrs: NameAttr[] | undefined, e: Entity): void {
    const p = parseExternName(name, this.what === 'import');
    if (typeof p === 'string') throw new Invalid(p);
    const key = uniquenessKey(name, p);
    const prev = this.keys.get(key);
    if (prev !== undefined) fail(`${this.what === 'import' ? 'import' : 'export'} name \`${name}\` conflicts with previous name \`${prev}\``);
    this.keys.set(key, name);
    if (attrs) {
      const kinds = new Set<number>();
      for (const a of attrs) {
        if (kinds.has(a.tag)) fail(`duplicate '${ATTRS[a.tag]}' option in name \`${name}\``);
        kinds.add(a.tag);
        if (a.tag !== 0x00) continue; // versionsuffix (🔗, gated), external-id: no rules beyond the string
        if (e.sort !== 'instance') fail('only instances can have an `implements` attribute');
        if (p.kind !== 'label') fail(`name \`${name}\` is not valid with \`implements\``);
        if (a.value === '') fail('`` is not a valid name for `implements`');
        if (typeof interfaceName(a.value) === 'string') fail(`\`implements\` value \`${a.value}\` must be an interface name`);
      }
    }
    if (p.kind === 'constructor' || p.kind === 'method' || p.kind === 'static') {
      if (e.sort !== 'func') fail(`item \`${name}\` is not a func`);
      const ft = e.t as FuncType;
      if (p.kind === 'constructor') {
        if (!ft.result) fail(`function \`${name}\` should return one value`);
        let r = ft.result!;
        if (r.k === 'result' && r.ok) r = r.ok;
        if (r.k !== 'own') fail(`function \`${name}\` should return \`(own $T)\` or \`(result (own $T))\``);
        this.checkResource(name, r as Handle, p.resource);
      } else if (p.kind === 'method') {
        if (ft.params.length === 0) fail(`function \`${name}\` should have at least one argument`);
        const self = ft.params[0]!;
        if (self.name !== 'self') fail(`function \`${name}\` should have a first argument called \`self\``);
        if (self.t.k !== 'borrow') fail(`function \`${name}\` should take a first argument of \`(borrow $T)\``);
        this.checkResource(name, self.t as Handle, p.resource);
      } else {
        let known = false;
        for (const ns of this.resNames.values()) if (ns.includes(p.resource)) known = true;
        if (!known) fail(`static resource name is not known in this context: \`${p.resource}\``);
      }
    }
    // A synthesized instance's type exports name no resource for its functions (they keep the
    // identity of the type they re-export), so annotated functions there cannot refer to them.
    if (e.sort === 'type' && e.t.k === 'resource' && this.what !== 'instance export') {
      const ns = this.resNames.get(e.t);
      if (ns) ns.push(name); else this.resNames.set(e.t, [name]);
    }
  }

  private checkResource(name: string, h: Handle, want: string): void {
    const ns = h.via ? this.resNames.get(h.via) : undefined;
    if (!ns) fail(`resource used in function \`${name}\` does not have a name in this context`);
    if (!ns!.includes(want)) fail(`function \`${name}\` does not match expected resource name \`${ns![0]}\``);
  }
}

class Scope {
  readonly coreFuncs: (CoreSig | null)[] = [];
  readonly coreTables: CoreExtern[] = [];
  readonly coreMemories: CoreExtern[] = [];
  readonly coreGlobals: CoreExtern[] = [];
  readonly coreTags: CoreExtern[] = [];
  readonly coreTypes: (CoreSig | ModuleType | null)[] = [];
  readonly coreModules: ModuleType[] = [];
  readonly coreInstances: CoreInstanceType[] = [];
  readonly funcs: FuncType[] = [];
  readonly values: ValType[] = [];
  readonly types: TypeEntry[] = [];
  readonly components: ComponentType[] = [];
  readonly instances: InstanceType[] = [];
  readonly imports = new Map<string, Entity>();
  readonly exports = new Map<string, Entity>();
  readonly importNames = new Names('import');
  readonly exportNames = new Names('export');
  /** Types visible to imports (imported ones) and to exports (imported and exported ones). */
  readonly namedImports = new Set<object>();
  readonly namedAll = new Set<object>();
  readonly bound = new Set<ResourceType>();
  readonly created = new Set<ResourceType>();
  /** Resources defined here by `(type (resource ...))`: the ones resource.new/rep may use. */
  readonly local = new Set<ResourceType>();
  /** Collects resources made while a type ascription is read (abstract, to be matched). */
  recent: ResourceType[] | null = null;
  constructor(readonly kind: ScopeKind, readonly parent: Scope | null) {}

  newRT(name: string): ResourceType {
    const r = new ResourceType(name, null);
    this.created.add(r);
    this.recent?.push(r);
    return r;
  }
}

const at = <T>(arr: T[], i: number, what: string): T => {
  const v = arr[i];
  if (v === undefined) fail(`${what} index out of bounds: ${what} ${i} (of ${arr.length})`);
  return v as T;
};

// ---- Types

function valType(ref: ValTypeRef, sp: Scope): ValType {
  if ('prim' in ref) return prim(ref.prim);
  const t = at(sp.types, ref.idx, 'type');
  if (!isValType(t)) fail(`type index ${ref.idx} is not a defined type`);
  return t as ValType;
}

function resourceAt(idx: number, sp: Scope): ResEntry {
  const t = at(sp.types, idx, 'type');
  if (t.k !== 'resource') fail(`type index ${idx} is not a resource type`);
  return t as ResEntry;
}

function labels(names: string[], what: string, prevWhat: string): void {
  const seen = new Map<string, string>();
  for (const n of names) {
    if (n === '') fail(`${what} name cannot be empty`);
    if (!isKebab(n)) fail(`${what} name \`${n}\` is not in kebab case`);
    const k = n.toLowerCase();
    const prev = seen.get(k);
    if (prev !== undefined) fail(`${what} name \`${n}\` conflicts with previous ${prevWhat} name \`${prev}\``);
    seen.set(k, n);
  }
}

function noBorrow(t: ValType | null, what: string): void {
  if (containsBorrow(t)) fail(`${what} cannot contain a \`borrow\` type`);
}

function defineType(d: TypeDef, sp: Scope, v: Validator): TypeEntry {
  const t = defineType1(d, sp, v);
  // Only fixed-length lists, or aggregates of them, can grow this large; nothing else is measured.
  if (mayBeLarge(d) && isValType(t) && layout64(t).size >= MAX_VALUE_SIZE) {
    fail(`type of ${layout64(t).size} bytes exceeds maximum byte size (${MAX_VALUE_SIZE})`);
  }
  return t;
}

function mayBeLarge(d: TypeDef): boolean {
  if (d.k === 'list') return d.len !== undefined;
  return d.k === 'record' || d.k === 'tuple' || d.k === 'variant' || d.k === 'option' || d.k === 'result';
}

function defineType1(d: TypeDef, sp: Scope, v: Validator): TypeEntry {
  const val = (r: ValTypeRef) => valType(r, sp);
  switch (d.k) {
    case 'prim': return prim(d.prim);
    case 'record':
      if (d.fields.length === 0) fail('record type must have at least one field');
      labels(d.fields.map((f) => f.name), 'record field', 'field');
      return { k: 'record', fields: d.fields.map((f) => ({ name: f.name, t: val(f.t) })) };
    case 'variant':
      if (d.cases.length === 0) fail('variant type must have at least one case');
      labels(d.cases.map((c) => c.name), 'variant case', 'case');
      return { k: 'variant', cases: d.cases.map((c) => ({ name: c.name, t: c.t ? val(c.t) : null })) };
    case 'list':
      if (d.len === 0) fail('fixed-length list must have a non-zero length');
      return d.len !== undefined ? { k: 'list', t: val(d.t), len: d.len } : { k: 'list', t: val(d.t) };
    case 'tuple':
      if (d.ts.length === 0) fail('tuple type must have at least one type');
      return { k: 'tuple', ts: d.ts.map(val) };
    case 'flags':
      if (d.names.length === 0) fail('flags must have at least one entry');
      if (d.names.length > 32) fail('cannot have more than 32 flags');
      labels(d.names, 'flag', 'flag');
      return { k: 'flags', names: d.names };
    case 'enum':
      if (d.names.length === 0) fail('enum type must have at least one variant');
      labels(d.names, 'enum tag', 'tag');
      return { k: 'enum', names: d.names };
    case 'option': return { k: 'option', t: val(d.t) };
    case 'result': return { k: 'result', ok: d.ok ? val(d.ok) : null, err: d.err ? val(d.err) : null };
    case 'own': case 'borrow': return handle(d.k, resourceAt(d.idx, sp));
    case 'stream': case 'future': {
      const t = d.t ? val(d.t) : null;
      if (d.k === 'stream' && t?.k === 'char') fail('`stream<char>` is not valid');
      noBorrow(t, `${d.k} payload`);
      return { k: d.k, t };
    }
    case 'map': return { k: 'map', key: val(d.key), value: val(d.value) };
    case 'func': {
      labels(d.params.map((p) => p.name), 'function parameter', 'parameter');
      const result = d.result ? val(d.result) : null;
      noBorrow(result, 'function result');
      return { k: 'func', async: d.async, params: d.params.map((p) => ({ name: p.name, t: val(p.t) })), result };
    }
    case 'resource': {
      if (sp.kind !== 'component') fail('resources can only be defined within a concrete component');
      if (d.dtor !== null) {
        const sig = at(sp.coreFuncs, d.dtor, 'core function');
        if (sig && !sigEquals(sig, { params: ['i32'], results: [] })) fail('wrong signature for a destructor: expected [i32] -> []');
      }
      if (d.async || d.callback !== null) fail('async resource destructors require the 🚝 feature');
      const rt = sp.newRT(`resource-${sp.types.length}`);
      sp.local.add(rt);
      return { k: 'resource', rt };
    }
    case 'component': return v.typeScope(d.decls, sp, 'component-type') as ComponentType;
    case 'instance': return v.typeScope(d.decls, sp, 'instance-type') as InstanceType;
  }
}

// ---- Canonical options and built-ins

const I32 = 'i32';
const sig = (params: string[], results: string[]): CoreSig => ({ params, results });

function containsPtrs(t: ValType | null): boolean {
  if (!t) return false;
  switch (t.k) {
    case 'string': return true;
    case 'list': return t.len === undefined || containsPtrs(t.t);
    case 'record': return t.fields.some((f) => containsPtrs(f.t));
    case 'variant': return t.cases.some((c) => containsPtrs(c.t));
    case 'tuple': return t.ts.some(containsPtrs);
    case 'option': return containsPtrs(t.t);
    case 'result': return containsPtrs(t.ok) || containsPtrs(t.err);
    case 'map': return true;
  }
  return false;
}

const flatLen = (ts: (ValType | null)[]) => ts.reduce((n, t) => n + (t ? flattenType(t).length : 0), 0);

interface OptNeeds { memory: boolean; realloc: boolean }

function checkOpts(o: CanonOpts, sp: Scope, needs: OptNeeds, allowed: { realloc: boolean; postReturn: boolean; async: boolean; callback: boolean; encoding: boolean }): void {
  if (o.repeated) fail(o.repeated[0]!);
  if (o.stringEncoding && !allowed.encoding) fail('canonical option `string-encoding` is not allowed here');
  if (o.memory !== undefined) {
    const m = at(sp.coreMemories, o.memory, 'memory');
    if (m.k !== 'memory' || m.mem64) fail('canonical option `memory` must be a 32-bit memory');
  }
  if (o.realloc !== undefined) {
    if (!allowed.realloc) fail('canonical option `realloc` is not allowed here');
    const s = at(sp.coreFuncs, o.realloc, 'core function');
    if (!sigEquals(s, sig([I32, I32, I32, I32], [I32]))) fail('canonical option `realloc` uses a core function with an incorrect signature');
    if (o.memory === undefined) fail('canonical option `realloc` requires `memory` to also be specified');
  }
  if (o.postReturn !== undefined && !allowed.postReturn) fail('canonical option `post-return` cannot be specified for lowerings');
  if (o.async && !allowed.async) fail('canonical option `async` is not allowed here');
  if (o.callback !== undefined && !allowed.callback) fail('canonical option `callback` is not allowed here');
  if (needs.memory && o.memory === undefined) fail('canonical option `memory` is required');
  if (needs.realloc && o.realloc === undefined) fail('canonical option `realloc` is required');
}

const fmtTypes = (ts: string[]) => `[${ts.map((t) => t.toUpperCase()).join(', ')}]`;

function canon(c: Canon, sp: Scope): void {
  const core = (s: CoreSig | null) => { sp.coreFuncs.push(s); };
  const elem = (idx: number, k: 'stream' | 'future'): ValType | null => {
    const t = at(sp.types, idx, 'type');
    if (t.k !== k) fail(`type index ${idx} is not a ${k} type`);
    return (t as { t: ValType | null }).t;
  };
  switch (c.op) {
    case 'lift': {
      const callee = at(sp.coreFuncs, c.func, 'core function');
      const ft = at(sp.types, c.type, 'type');
      if (ft.k !== 'func') fail(`type index ${c.type} is not a function type`);
      const f = ft as FuncType;
      const o = c.opts;
      if (o.async && !f.async) fail('the `async` canonical option requires an async function type');
      if (o.callback !== undefined && !o.async) fail('canonical option `callback` requires `async`');
      if (o.postReturn !== undefined && o.async) fail('canonical option `post-return` cannot be used with `async`');
      const params = f.params.map((p) => p.t);
      const ptrParams = params.some(containsPtrs) || flatLen(params) > MAX_FLAT_PARAMS;
      const needs = {
        memory: ptrParams || (!o.async && (containsPtrs(f.result) || flatLen([f.result]) > MAX_FLAT_RESULTS)),
        realloc: ptrParams,
      };
      checkOpts(o, sp, needs, { realloc: true, postReturn: true, async: true, callback: true, encoding: true });
      const want = flattenFuncType(f, o, 'lift');
      if (callee) {
        if (!sigEquals(sig(callee.params, []), sig(want.params, []))) {
          fail(`lowered parameter types \`${fmtTypes(want.params)}\` do not match parameter types \`${fmtTypes(callee.params)}\` of the core function`);
        }
        if (!sigEquals(sig([], callee.results), sig([], want.results))) {
          fail(`lowered result types \`${fmtTypes(want.results)}\` do not match result types \`${fmtTypes(callee.results)}\` of the core function`);
        }
      }
      if (o.postReturn !== undefined) {
        const pr = at(sp.coreFuncs, o.postReturn, 'core function');
        if (!sigEquals(pr, sig(want.results, []))) fail('canonical option `post-return` uses a core function with an incorrect signature');
      }
      if (o.callback !== undefined) {
        const cb = at(sp.coreFuncs, o.callback, 'core function');
        if (!sigEquals(cb, sig([I32, I32, I32], [I32]))) fail('canonical option `callback` uses a core function with an incorrect signature');
      }
      sp.funcs.push(f);
      return;
    }
    case 'lower': {
      const f = at(sp.funcs, c.func, 'function');
      const o = c.opts;
      if (o.async && !f.async) fail('the `async` canonical option requires an async function type');
      const params = f.params.map((p) => p.t);
      const nflat = flatLen(params);
      const needs = o.async
        ? { memory: params.some(containsPtrs) || nflat > MAX_FLAT_ASYNC_PARAMS || !!f.result, realloc: containsPtrs(f.result) }
        : { memory: params.some(containsPtrs) || nflat > MAX_FLAT_PARAMS || containsPtrs(f.result) || flatLen([f.result]) > MAX_FLAT_RESULTS, realloc: containsPtrs(f.result) };
      checkOpts(o, sp, needs, { realloc: true, postReturn: false, async: true, callback: false, encoding: true });
      return core(flattenFuncType(f, o, 'lower'));
    }
    case 'resource.new': case 'resource.rep': {
      const e = resourceAt(c.type, sp);
      if (!sp.local.has(e.rt)) fail(`type index ${c.type} is not a local resource`);
      return core(sig([I32], [I32]));
    }
    case 'resource.drop': resourceAt(c.type, sp); return core(sig([I32], []));
    case 'backpressure.inc': case 'backpressure.dec': case 'task.cancel': return core(sig([], []));
    case 'backpressure.set': return core(sig([I32], []));
    case 'task.return': {
      const r = c.result ? valType(c.result, sp) : null;
      const n = r ? flattenType(r).length : 0;
      checkOpts(c.opts, sp, { memory: containsPtrs(r) || n > MAX_FLAT_PARAMS, realloc: false },
        { realloc: false, postReturn: false, async: false, callback: false, encoding: true });
      return core(sig(n > MAX_FLAT_PARAMS ? [I32] : r ? flattenType(r) : [], []));
    }
    case 'context.get': case 'context.set':
      if (c.i > 1) fail(`context slot ${c.i} is out of bounds (there are 2)`);
      return core(c.op === 'context.get' ? sig([], [I32]) : sig([I32], []));
    case 'thread.yield': return core(sig([], [I32]));
    case 'subtask.cancel': return core(sig([I32], [I32]));
    case 'subtask.drop': case 'waitable-set.drop': case 'error-context.drop': return core(sig([I32], []));
    case 'waitable-set.new': case 'thread.index': return core(sig([], [I32]));
    case 'waitable.join': return core(sig([I32, I32], []));
    case 'waitable-set.wait': case 'waitable-set.poll':
      at(sp.coreMemories, c.memory, 'memory');
      return core(sig([I32, I32], [I32]));
    case 'stream.new': case 'future.new': elem(c.type, c.op === 'stream.new' ? 'stream' : 'future'); return core(sig([], ['i64']));
    case 'stream.read': case 'stream.write': case 'future.read': case 'future.write': {
      const isStream = c.op.startsWith('stream');
      const t = elem(c.type, isStream ? 'stream' : 'future');
      const reading = c.op.endsWith('read');
      checkOpts(c.opts, sp, { memory: !!t, realloc: reading && containsPtrs(t) },
        { realloc: true, postReturn: false, async: true, callback: false, encoding: true });
      return core(sig(isStream ? [I32, I32, I32] : [I32, I32], [I32]));
    }
    case 'stream.cancel-read': case 'stream.cancel-write': case 'future.cancel-read': case 'future.cancel-write':
      elem(c.type, c.op.startsWith('stream') ? 'stream' : 'future');
      return core(sig([I32], [I32]));
    case 'stream.drop-readable': case 'stream.drop-writable': case 'future.drop-readable': case 'future.drop-writable':
      elem(c.type, c.op.startsWith('stream') ? 'stream' : 'future');
      return core(sig([I32], []));
    case 'error-context.new':
      checkOpts(c.opts, sp, { memory: true, realloc: false }, { realloc: false, postReturn: false, async: false, callback: false, encoding: true });
      return core(sig([I32, I32], [I32]));
    case 'error-context.debug-message':
      checkOpts(c.opts, sp, { memory: true, realloc: true }, { realloc: true, postReturn: false, async: false, callback: false, encoding: true });
      return core(sig([I32, I32], []));
    case 'gated': return core(null);
  }
}

// ---- The walk

const CORE_SPACE: Record<string, 'func' | 'table' | 'memory' | 'global' | 'tag'> = {
  'core-func': 'func', 'core-table': 'table', 'core-memory': 'memory', 'core-global': 'global', 'core-tag': 'tag',
};

class Validator {
  offset = 0;

  component(ast: ComponentAst, sp: Scope): ComponentType {
    for (let i = 0; i < ast.definitions.length; i++) {
      this.offset = ast.offsets[i] ?? this.offset;
      this.definition(ast.definitions[i]!, sp);
    }
    return this.componentType(sp);
  }

  private componentType(sp: Scope): ComponentType {
    const created = new Set<ResourceType>();
    for (const r of sp.created) if (!sp.bound.has(r)) created.add(r);
    return { k: 'component', imports: sp.imports, exports: sp.exports, bound: sp.bound, created };
  }

  typeScope(decls: Decl[], parent: Scope, kind: 'component-type' | 'instance-type'): ComponentType | InstanceType {
    const sp = new Scope(kind, parent);
    for (const d of decls) {
      switch (d.kind) {
        case 'core-type': this.coreType(d.type, sp); break;
        case 'type': sp.types.push(defineType(d.type, sp, this)); break;
        case 'alias':
          if (d.alias.target.kind === 'core-export') fail('core export aliases are not allowed in a type');
          if (d.alias.target.kind === 'export' && d.alias.sort !== 'type' && d.alias.sort !== 'instance') fail('an alias in a type may only refer to types or instances');
          if (d.alias.target.kind === 'outer' && d.alias.sort !== 'type' && d.alias.sort !== 'core-type') fail('an outer alias in a type may only refer to types or instances');
          this.alias(d.alias, sp);
          break;
        case 'import': this.importDecl(d.name, d.attrs, d.desc, sp); break;
        case 'export': this.exportDecl(d.name, d.attrs, d.desc, sp); break;
      }
    }
    if (kind === 'instance-type') return { k: 'instance', exports: sp.exports, created: sp.created };
    return this.componentType(sp);
  }

  private coreType(t: import('../binary/ast.js').CoreTypeDef, sp: Scope): void {
    if (t.k === 'func') { sp.coreTypes.push(sig(t.params.map(coreName), t.results.map(coreName))); return; }
    try {
      sp.coreTypes.push(moduleTypeOfDecls(t.decls, (count, idx) => {
        let s: Scope | null = sp;
        for (let i = 1; i < count && s; i++) s = s.parent;
        if (!s) fail('invalid outer alias count');
        return at(s!.coreTypes, idx, 'core type');
      }));
    } catch (e) {
      if (e instanceof CoreInvalid) fail(e.message);
      throw e;
    }
  }

  private definition(d: Definition, sp: Scope): void {
    switch (d.kind) {
      case 'core-module': {
        try { sp.coreModules.push(moduleTypeOf(d.bytes)); } catch (e) {
          if (e instanceof CoreInvalid) fail(`core module: ${e.message}`);
          // Offsets in the module's bytes, made offsets in the component's.
          if (e instanceof MalformedError) throw new MalformedError(`core module: ${e.message.replace(/ \(at byte offset \d+\)$/, '')}`, d.offset + e.offset);
          throw e;
        }
        return;
      }
      case 'core-type': return this.coreType(d.type, sp);
      case 'core-instance': return this.coreInstance(d, sp);
      case 'component': {
        const child = new Scope('component', sp);
        const saved = this.offset;
        sp.components.push(this.component(d.component, child));
        this.offset = saved;
        return;
      }
      case 'instance': return this.instance(d, sp);
      case 'alias': return this.alias(d.alias, sp);
      case 'type': sp.types.push(defineType(d.type, sp, this)); return;
      case 'canon': return canon(d.canon, sp);
      case 'start': {
        const f = at(sp.funcs, d.func, 'function');
        if (d.args.length !== f.params.length) fail(`start function takes ${f.params.length} arguments, given ${d.args.length}`);
        d.args.forEach((i, k) => {
          const v = at(sp.values, i, 'value');
          const why = new Matcher(new Set()).val(v, f.params[k]!.t);
          if (why) fail(`start function argument ${k}: ${why}`);
        });
        if (d.results !== (f.result ? 1 : 0)) fail(`start function has ${f.result ? 1 : 0} results, declared ${d.results}`);
        if (f.result) sp.values.push(f.result);
        return;
      }
      case 'import': return this.importDecl(d.name, d.attrs, d.desc, sp);
      case 'export': {
        const e = this.entityAt(d.sort, d.idx, sp);
        this.exportDef(d.name, d.attrs, e, d.desc, sp);
        return;
      }
    }
  }

  private coreInstance(d: Extract<Definition, { kind: 'core-instance' }>, sp: Scope): void {
    const e = d.expr;
    if (e.kind === 'exports') {
      const m: CoreInstanceType = new Map();
      for (const x of e.exports) {
        if (m.has(x.name)) fail(`export name \`${x.name}\` already defined`);
        m.set(x.name, this.coreItem(x.sort, x.idx, sp));
      }
      sp.coreInstances.push(m);
      return;
    }
    const mt = at(sp.coreModules, e.module, 'module');
    const args = new Map<string, CoreInstanceType>();
    for (const a of e.args) {
      if (args.has(a.name)) fail(`duplicate module instantiation argument named \`${a.name}\``);
      args.set(a.name, at(sp.coreInstances, a.instance, 'core instance'));
    }
    for (const imp of mt.imports.values()) {
      const inst = args.get(imp.module);
      if (!inst) fail(`missing module instantiation argument named \`${imp.module}\``);
      const got = inst!.get(imp.name);
      if (!got) fail(`module instantiation argument \`${imp.module}\` does not export an item named \`${imp.name}\``);
      const why = coreExternSub(got!, imp.t);
      if (why) fail(`type mismatch for export \`${imp.name}\` of module instantiation argument \`${imp.module}\`: ${why}`);
    }
    sp.coreInstances.push(mt.exports);
  }

  private coreItem(s: CoreSort, idx: number, sp: Scope): CoreExtern {
    switch (s) {
      case 'core-func': return { k: 'func', sig: at(sp.coreFuncs, idx, 'core function') };
      case 'core-table': return at(sp.coreTables, idx, 'table');
      case 'core-memory': return at(sp.coreMemories, idx, 'memory');
      case 'core-global': return at(sp.coreGlobals, idx, 'global');
      case 'core-tag': return at(sp.coreTags, idx, 'tag');
    }
    return fail(`a core instance cannot export a ${s}`);
  }

  private pushCore(x: CoreExtern, sp: Scope): void {
    switch (x.k) {
      case 'func': sp.coreFuncs.push(x.sig); break;
      case 'table': sp.coreTables.push(x); break;
      case 'memory': sp.coreMemories.push(x); break;
      case 'global': sp.coreGlobals.push(x); break;
      case 'tag': sp.coreTags.push(x); break;
    }
  }

  private entityAt(s: Sort, idx: number, sp: Scope): Entity {
    switch (s) {
      case 'func': return { sort: 'func', t: at(sp.funcs, idx, 'function') };
      case 'value': return { sort: 'value', t: at(sp.values, idx, 'value') };
      case 'type': return { sort: 'type', t: at(sp.types, idx, 'type') };
      case 'instance': return { sort: 'instance', t: at(sp.instances, idx, 'instance') };
      case 'component': return { sort: 'component', t: at(sp.components, idx, 'component') };
      case 'core-module': return { sort: 'core-module', t: at(sp.coreModules, idx, 'module') };
    }
    return fail(`a ${s} cannot be used here`);
  }

  private push(e: Entity, sp: Scope): void {
    switch (e.sort) {
      case 'func': sp.funcs.push(e.t); break;
      case 'value': sp.values.push(e.t); break;
      case 'type': sp.types.push(e.t); break;
      case 'instance': sp.instances.push(e.t); break;
      case 'component': sp.components.push(e.t); break;
      case 'core-module': sp.coreModules.push(e.t); break;
    }
  }

  private instance(d: Extract<Definition, { kind: 'instance' }>, sp: Scope): void {
    const e = d.expr;
    if (e.kind === 'exports') {
      const names = new Names('instance export');
      const exports = new Map<string, Entity>();
      for (const x of e.exports) {
        const ent = this.entityAt(x.sort, x.idx, sp);
        names.add(x.name, x.attrs, ent);
        exports.set(x.name, ent);
      }
      sp.instances.push({ k: 'instance', exports, created: new Set() });
      return;
    }
    const ct = at(sp.components, e.component, 'component');
    const args = new Map<string, Entity>();
    const seen = new Map<string, string>();
    for (const a of e.args) {
      const k = a.name.toLowerCase();
      const prev = seen.get(k);
      if (prev !== undefined) fail(`instantiation argument \`${a.name}\` conflicts with previous argument \`${prev}\``);
      seen.set(k, a.name);
      args.set(a.name, this.entityAt(a.sort, a.idx, sp));
    }
    sp.instances.push(this.instantiate(ct, args, sp));
  }

  /** The instance a component type gives for these arguments: its imports checked against them
   * (binding its imported resources), its exports with those substituted and its own resources
   * fresh. */
  private instantiate(ct: ComponentType, args: Map<string, Entity>, sp: Scope): InstanceType {
    const m = new Matcher(ct.bound);
    const entries = new Map<object, object>();
    for (const [name, want] of ct.imports) {
      const got = args.get(name);
      if (!got) fail(`missing import named \`${name}\``);
      const why = m.entity(got!, want);
      if (why) fail(`type mismatch for component instantiation argument \`${name}\`: ${why}`);
      bindEntries(want, got!, entries);
    }
    const s = new Subst(m.m, ct.created, (r) => sp.created.add(r), entries);
    const exports = new Map<string, Entity>();
    for (const [n, x] of ct.exports) exports.set(n, s.entity(x));
    return { k: 'instance', exports, created: new Set() };
  }

  alias(a: Alias, sp: Scope): void {
    const t = a.target;
    if (t.kind === 'export') {
      const inst = at(sp.instances, t.instance, 'instance');
      const e = inst.exports.get(t.name);
      if (!e) fail(`instance ${t.instance} has no export named \`${t.name}\``);
      if (e!.sort !== a.sort) fail(`export \`${t.name}\` for instance ${t.instance} is a ${e!.sort}, not a ${a.sort}`);
      this.push(e!, sp);
      return;
    }
    if (t.kind === 'core-export') {
      const inst = at(sp.coreInstances, t.instance, 'core instance');
      const x = inst.get(t.name);
      if (!x) fail(`core instance ${t.instance} has no export named \`${t.name}\``);
      if (CORE_SPACE[a.sort] !== x!.k) fail(`core instance ${t.instance} export \`${t.name}\` is a ${x!.k}, not a ${a.sort}`);
      this.pushCore(x!, sp);
      return;
    }
    // An outer alias: count enclosing scopes up; crossing a component's boundary, a type must not
    // refer to resources (a resource belongs to one component instance).
    let s: Scope = sp;
    let crossesComponent = false;
    for (let i = 0; i < t.count; i++) {
      if (s.kind === 'component') crossesComponent = true;
      if (!s.parent) fail('invalid outer alias count');
      s = s.parent!;
    }
    switch (a.sort) {
      case 'type': {
        const e = at(s.types, t.idx, 'type');
        if (crossesComponent && refersToResources(e)) fail(`type index ${t.idx} transitively refers to resources and cannot be aliased into a nested component`);
        sp.types.push(e);
        return;
      }
      case 'core-type': sp.coreTypes.push(at(s.coreTypes, t.idx, 'core type')); return;
      case 'core-module': sp.coreModules.push(at(s.coreModules, t.idx, 'module')); return;
      case 'component': sp.components.push(at(s.components, t.idx, 'component')); return;
    }
    fail(`an outer alias may not refer to a ${a.sort}`);
  }

  /** The entity an extern description declares (a fresh resource for a `sub resource` bound). */
  private described(name: string, desc: ExternDesc, sp: Scope): Entity {
    switch (desc.sort) {
      case 'func': {
        const t = at(sp.types, desc.type, 'type');
        if (t.k !== 'func') fail(`type index ${desc.type} is not a function type`);
        return { sort: 'func', t: t as FuncType };
      }
      case 'instance': {
        const t = at(sp.types, desc.type, 'type');
        if (t.k !== 'instance') fail(`type index ${desc.type} is not an instance type`);
        const it = t as InstanceType;
        // Each instance of an instance type has its own abstract resources.
        if (it.created.size === 0) return { sort: 'instance', t: it };
        return { sort: 'instance', t: new Subst(new Map(), it.created, (r) => { sp.created.add(r); sp.recent?.push(r); }).instance(it) };
      }
      case 'component': {
        const t = at(sp.types, desc.type, 'type');
        if (t.k !== 'component') fail(`type index ${desc.type} is not a component type`);
        return { sort: 'component', t: t as ComponentType };
      }
      case 'core-module': {
        const t = at(sp.coreTypes, desc.type, 'core type');
        if (!t || !('imports' in t)) fail(`core type index ${desc.type} is not a module type`);
        return { sort: 'core-module', t: t as ModuleType };
      }
      case 'value': return { sort: 'value', t: valType(desc.t, sp) };
      case 'type': {
        if ('eq' in desc.bound) return { sort: 'type', t: cloneEntry(at(sp.types, desc.bound.eq, 'type')) };
        return { sort: 'type', t: { k: 'resource', rt: sp.newRT(name) } };
      }
    }
  }

  importDecl(name: string, attrs: NameAttr[] | undefined, desc: ExternDesc, sp: Scope): void {
    if (sp.kind === 'instance-type') fail('an instance type cannot import');
    sp.recent = [];
    const e = this.described(name, desc, sp);
    for (const r of sp.recent) sp.bound.add(r);
    sp.recent = null;
    if (sp.kind !== 'instance-type' && !visibleEntity(e, (o) => sp.namedImports.has(o))) fail(`${e.sort} not valid to be used as import`);
    sp.importNames.add(name, attrs, e);
    addNamed(e, sp.namedImports);
    addNamed(e, sp.namedAll);
    sp.imports.set(name, e);
    this.push(e, sp);
  }

  /** An export declared in a component or instance type. */
  exportDecl(name: string, attrs: NameAttr[] | undefined, desc: ExternDesc, sp: Scope): void {
    const e = this.described(name, desc, sp);
    // Instance types defer visibility until they are imported or exported; component types check now.
    if (sp.kind === 'component-type' && !visibleEntity(e, (o) => sp.namedAll.has(o))) fail(`${e.sort} not valid to be used as export`);
    sp.exportNames.add(name, attrs, e);
    addNamed(e, sp.namedAll);
    sp.exports.set(name, e);
    this.push(e, sp);
  }

  /** An export definition of a component, with its optional type ascription. */
  private exportDef(name: string, attrs: NameAttr[] | undefined, given: Entity, desc: ExternDesc | null, sp: Scope): void {
    let e = given;
    if (desc) {
      sp.recent = [];
      const want = this.described(name, desc, sp);
      const m = new Matcher(new Set(sp.recent));
      sp.recent = null;
      const why = m.entity(given, want);
      if (why) fail(`type mismatch in export \`${name}\`: ${why}`);
      e = want;
    } else if (e.sort === 'type') {
      e = { sort: 'type', t: cloneEntry(e.t) };
    }
    if (!visibleEntity(e, (o) => sp.namedAll.has(o))) fail(`${e.sort} not valid to be used as export`);
    sp.exportNames.add(name, attrs, e);
    addNamed(e, sp.namedAll);
    sp.exports.set(name, e);
    this.push(e, sp);
  }
}

const coreName = (t: string): string => (t === 'funcref' ? 'ref null:112' : t === 'externref' ? 'ref null:111' : t);

/** Validate a decoded component; throws ValidationError naming the broken rule and its offset.
 * Core modules are read for their import and export types only: their code is validated by
 * WebAssembly.compile (compileComponent), or by WebAssembly.validate when validateModules is set. */
export function validateComponent(ast: ComponentAst, options: { validateModules?: boolean } = {}): void {
  const v = new Validator();
  try {
    if (options.validateModules) checkModules(ast, v);
    v.component(ast, new Scope('component', null));
  } catch (e) {
    if (e instanceof Invalid) throw new ValidationError(e.message, v.offset);
    if (e instanceof RangeError || e instanceof TypeError) throw new ValidationError(`internal validator error: ${e.message}`, v.offset);
    throw e;
  }
}

/** The types of a component's imports and exports, by name, as validation finds them (a
 * tool's view: wasip3-web/vite types exports from it, the demo shows both). Throws as
 * validateComponent does. */
export function componentInterface(ast: ComponentAst): { imports: Map<string, Entity>; exports: Map<string, Entity> } {
  const v = new Validator();
  const sp = new Scope('component', null);
  try {
    v.component(ast, sp);
  } catch (e) {
    if (e instanceof Invalid) throw new ValidationError(e.message, v.offset);
    throw e;
  }
  return { imports: sp.imports, exports: sp.exports };
}

/** The types of a component's exports, by name (see componentInterface). */
export const componentExports = (ast: ComponentAst): Map<string, Entity> => componentInterface(ast).exports;

function checkModules(ast: ComponentAst, v: Validator): void {
  ast.definitions.forEach((d, i) => {
    if (d.kind === 'core-module' && !WebAssembly.validate(d.bytes as Uint8Array<ArrayBuffer>)) {
      v.offset = ast.offsets[i]!;
      fail('core module is not valid (WebAssembly.validate)');
    }
    if (d.kind === 'component') checkModules(d.component, v);
  });
}
