// Instantiation (Explainer.md's definitions, in binary order): index spaces, core modules
// compiled with WebAssembly.compile and instantiated in order, nested components, aliases,
// canon definitions, and imports linked by name and checked against their declared types.
import type {
  Alias, Canon, CanonOpts, ComponentAst, Decl, Definition, ExternDesc, Sort, TypeDef, ValTypeRef,
} from './binary/ast.js';
import { decodeComponent } from './binary/decode.js';
import { validateComponent } from './validate/index.js';
import { MalformedError } from './binary/reader.js';
import { camel } from './abi/values.js';
import { LinkError, Trap, ValidationError, asTrap } from './errors.js';
import {
  ResourceType, funcTypeToString, prim, typeToString, type FuncType, type ValType,
} from './types.js';
import { ComponentInstance, Store, type FuncInst, type Options } from './concurrency/store.js';
import {
  borrowsBytes, hostFunc, isBorrowsBytes, isNeverSuspends, isThrowsErrors, liftFunc, liftInline, lowerFunc, neverSuspends,
  resultFromThrows, type CoreFunc,
} from './canon.js';
import * as B from './builtins.js';
import { ReadableFutureEnd, ReadableStreamEnd, WritableFutureEnd, WritableStreamEnd } from './concurrency/streams.js';

/** A component-level function: its type and how to call it. */
export interface FuncEntry {
  ft: FuncType;
  fn: FuncInst;
  name: string;
  inst: ComponentInstance | null;
  /** For functions that can never block: a synchronous call from an idle store. */
  inline?: ((args: unknown[]) => unknown) | null;
}

/** A component instance's exports, by name. */
export type InstanceValue = Map<string, Item>;

export type ResolvedType =
  | ValType
  | FuncType
  | { k: 'resource'; rt: ResourceType }
  | { k: 'instance-type'; decls: Decl[]; scope: Scope }
  | { k: 'component-type'; decls: Decl[]; scope: Scope };

export interface ComponentClosure { ast: ComponentAst; scope: Scope | null }

export type Item =
  | { sort: 'func'; f: FuncEntry }
  | { sort: 'instance'; i: InstanceValue }
  | { sort: 'type'; t: ResolvedType }
  | { sort: 'component'; c: ComponentClosure }
  | { sort: 'core-module'; m: WebAssembly.Module }
  | { sort: 'value'; v: unknown };

type CoreExtern =
  | { kind: 'func'; f: CoreFunc }
  | { kind: 'memory'; m: WebAssembly.Memory }
  | { kind: 'table'; t: WebAssembly.Table }
  | { kind: 'global'; g: WebAssembly.Global }
  | { kind: 'tag'; t: unknown };
type CoreInstanceValue = Map<string, CoreExtern>;

/** The index spaces of one component being instantiated; parent for outer aliases. */
export class Scope {
  readonly coreFuncs: CoreFunc[] = [];
  readonly coreTables: WebAssembly.Table[] = [];
  readonly coreMemories: WebAssembly.Memory[] = [];
  readonly coreGlobals: WebAssembly.Global[] = [];
  readonly coreTags: unknown[] = [];
  readonly coreTypes: unknown[] = [];
  readonly coreModules: WebAssembly.Module[] = [];
  readonly coreInstances: CoreInstanceValue[] = [];
  readonly funcs: FuncEntry[] = [];
  readonly values: unknown[] = [];
  readonly types: ResolvedType[] = [];
  readonly components: ComponentClosure[] = [];
  readonly instances: InstanceValue[] = [];
  constructor(readonly parent: Scope | null) {}
}

/** A decoded component with its core modules compiled. */
export interface CompiledComponent { ast: ComponentAst; modules: Map<Definition, WebAssembly.Module> }

/** Decode a component and compile all its core modules (in parallel, off the critical path).
 * `precompiled` are its core modules compiled elsewhere (the page compiles them while the
 * worker starts), in the order their definitions are met, nested components' in place. */
export async function compileComponent(bytes: Uint8Array, precompiled?: readonly WebAssembly.Module[] | null): Promise<CompiledComponent> {
  const ast = decodeComponent(bytes);
  const defs: Extract<Definition, { kind: 'core-module' }>[] = [];
  const collect = (c: ComponentAst) => {
    for (const d of c.definitions) {
      if (d.kind === 'core-module') defs.push(d);
      else if (d.kind === 'component') collect(d.component);
    }
  };
  collect(ast);
  const modules = new Map<Definition, WebAssembly.Module>();
  const jobs: Promise<void>[] = [];
  defs.forEach((d, i) => {
    const given = precompiled?.length === defs.length ? precompiled[i] : undefined;
    if (given) { modules.set(d, given); return; }
    jobs.push(WebAssembly.compile(d.bytes as Uint8Array<ArrayBuffer>).then((m) => { modules.set(d, m); },
      // The validator has checked the module's shape: what the engine rejects now is invalid.
      (e: unknown) => { throw new ValidationError(`core module is not valid: ${(e as Error).message}`, d.offset); }));
  });
  // Validation runs while the engine compiles the core modules.
  try {
    validateComponent(ast);
  } catch (e) {
    void Promise.allSettled(jobs);
    throw e;
  }
  await Promise.all(jobs);
  return { ast, modules };
}

/** Host imports: interface or function name -> JS value (functions, objects of functions). */
export type HostImports = Record<string, unknown>;

const bad = (msg: string): never => { throw new LinkError(msg); };
const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** Instantiate a compiled component in store; returns its exports. */
export async function instantiate(compiled: CompiledComponent, hostImports: HostImports, store: Store): Promise<{ exports: InstanceValue; instance: ComponentInstance }> {
  const inst = new ComponentInstance(store, null, 'root');
  const exports = await instantiateIn(compiled, compiled.ast, new Map(), hostImports, inst, null);
  return { exports, instance: inst };
}

async function instantiateIn(compiled: CompiledComponent, ast: ComponentAst, args: Map<string, Item>,
  host: HostImports | null, ci: ComponentInstance, outer: Scope | null): Promise<InstanceValue> {
  const sp = new Scope(outer);
  const exports: InstanceValue = new Map();
  for (let di = 0; di < ast.definitions.length; di++) {
    const d = ast.definitions[di]!;
    try {
      await define(compiled, d, sp, ci, args, host, exports);
    } catch (e) {
      if (e instanceof LinkError || e instanceof Trap) throw e;
      throw new LinkError(`${(e as Error).message} (definition at byte offset ${ast.offsets[di]})`);
    }
  }
  return exports;
}

function pushItem(sp: Scope, item: Item): void {
  switch (item.sort) {
    case 'func': sp.funcs.push(item.f); break;
    case 'instance': sp.instances.push(item.i); break;
    case 'type': sp.types.push(item.t); break;
    case 'component': sp.components.push(item.c); break;
    case 'core-module': sp.coreModules.push(item.m); break;
    case 'value': sp.values.push(item.v); break;
  }
}

function getItem(sp: Scope, sort: Sort, idx: number): Item {
  const get = <T>(arr: T[], what: string): T => {
    const v = arr[idx];
    if (v === undefined) bad(`unknown ${what} ${idx}: ${what} index out of bounds`);
    return v as T;
  };
  switch (sort) {
    case 'func': return { sort, f: get(sp.funcs, 'function') };
    case 'instance': return { sort, i: get(sp.instances, 'instance') };
    case 'type': return { sort, t: get(sp.types, 'type') };
    case 'component': return { sort, c: get(sp.components, 'component') };
    case 'core-module': return { sort, m: get(sp.coreModules, 'module') };
    case 'value': return { sort, v: get(sp.values, 'value') };
  }
  return bad(`cannot refer to ${sort} here`);
}

function getCoreExtern(sp: Scope, sort: Sort, idx: number): CoreExtern {
  const get = <T>(arr: T[], what: string): T => {
    const v = arr[idx];
    if (v === undefined) bad(`unknown core ${what} ${idx}: core ${what} index out of bounds`);
    return v as T;
  };
  switch (sort) {
    case 'core-func': return { kind: 'func', f: get(sp.coreFuncs, 'func') };
    case 'core-memory': return { kind: 'memory', m: get(sp.coreMemories, 'memory') };
    case 'core-table': return { kind: 'table', t: get(sp.coreTables, 'table') };
    case 'core-global': return { kind: 'global', g: get(sp.coreGlobals, 'global') };
    case 'core-tag': return { kind: 'tag', t: get(sp.coreTags, 'tag') };
  }
  return bad(`cannot export core ${sort} from a core instance`);
}

function pushCoreExtern(sp: Scope, e: CoreExtern): void {
  switch (e.kind) {
    case 'func': sp.coreFuncs.push(e.f); break;
    case 'memory': sp.coreMemories.push(e.m); break;
    case 'table': sp.coreTables.push(e.t); break;
    case 'global': sp.coreGlobals.push(e.g); break;
    case 'tag': sp.coreTags.push(e.t); break;
  }
}

const CORE_KIND: Record<string, CoreExtern['kind']> = { 'core-func': 'func', 'core-memory': 'memory', 'core-table': 'table', 'core-global': 'global', 'core-tag': 'tag' };

async function define(compiled: CompiledComponent, d: Definition, sp: Scope, ci: ComponentInstance,
  args: Map<string, Item>, host: HostImports | null, exports: InstanceValue): Promise<void> {
  switch (d.kind) {
    case 'core-module': {
      const m = compiled.modules.get(d)!;
      MODULE_BYTES.set(m, d.bytes as Uint8Array);
      sp.coreModules.push(m);
      return;
    }
    case 'core-type': sp.coreTypes.push(d.type); return;
    case 'core-instance': {
      const e = d.expr;
      if (e.kind === 'exports') {
        const m: CoreInstanceValue = new Map();
        for (const x of e.exports) m.set(x.name, getCoreExtern(sp, x.sort, x.idx));
        sp.coreInstances.push(m);
        return;
      }
      let module = sp.coreModules[e.module] ?? bad(`unknown module ${e.module}`);
      const importObject: Record<string, Record<string, unknown>> = {};
      let calls = false;
      for (const a of e.args) {
        const ci2 = sp.coreInstances[a.instance] ?? bad(`unknown core instance ${a.instance}`);
        const o: Record<string, unknown> = {};
        for (const [name, x] of ci2) {
          if (x.kind === 'func') {
            o[name] = x.f.importable;
            calls = true;
            if (x.f.suspends) ci.needsJSPI = true;
          } else o[name] = x.kind === 'memory' ? x.m : x.kind === 'table' ? x.t : x.kind === 'global' ? x.g : x.t;
        }
        importObject[a.name] = o;
      }
      // A start function that calls imports (lowered functions, built-ins such as context.set)
      // needs a task, and a JSPI frame if they may wait; the engine's own start call has
      // neither. So the module is instantiated without its start section, and its start
      // function then runs as a sync task of the instance.
      const deferred = calls ? deferredStart(module) : null;
      if (deferred) module = deferred;
      for (const imp of WebAssembly.Module.imports(module)) {
        if (!importObject[imp.module] || !(imp.name in importObject[imp.module]!)) {
          bad(`core module import "${imp.module}" "${imp.name}" (${imp.kind}) is not provided: unknown import`);
        }
      }
      let instance: WebAssembly.Instance;
      try {
        // Workers may instantiate synchronously (no event-loop hop per core instance); the main
        // thread refuses that for large modules, so it stays asynchronous there.
        instance = inWorker ? new WebAssembly.Instance(module, importObject as WebAssembly.Imports)
          : await WebAssembly.instantiate(module, importObject as WebAssembly.Imports);
      } catch (err) {
        if (err instanceof WebAssembly.LinkError) bad(`core instance link error: ${err.message}`);
        throw asTrap(err);
      }
      const m: CoreInstanceValue = new Map();
      for (const ex of WebAssembly.Module.exports(module)) {
        if (deferred && ex.name === START_EXPORT) continue;
        const v = instance.exports[ex.name];
        switch (ex.kind) {
          case 'function': m.set(ex.name, { kind: 'func', f: { call: v as (...a: unknown[]) => unknown, importable: v, suspends: false } }); break;
          case 'memory': m.set(ex.name, { kind: 'memory', m: v as WebAssembly.Memory }); break;
          case 'table': m.set(ex.name, { kind: 'table', t: v as WebAssembly.Table }); break;
          case 'global': m.set(ex.name, { kind: 'global', g: v as WebAssembly.Global }); break;
          default: m.set(ex.name, { kind: 'tag', t: v });
        }
      }
      if (deferred) await runCoreStart(instance.exports[START_EXPORT] as (...a: unknown[]) => unknown, ci);
      sp.coreInstances.push(m);
      return;
    }
    case 'component': sp.components.push({ ast: d.component, scope: sp }); return;
    case 'instance': {
      const e = d.expr;
      if (e.kind === 'exports') {
        const m: InstanceValue = new Map();
        for (const x of e.exports) m.set(x.name, getItem(sp, x.sort, x.idx));
        sp.instances.push(m);
        return;
      }
      const c = sp.components[e.component] ?? bad(`unknown component ${e.component}`);
      const a = new Map<string, Item>();
      for (const x of e.args) a.set(x.name, getItem(sp, x.sort, x.idx));
      const child = new ComponentInstance(ci.store, ci, 'child');
      sp.instances.push(await instantiateIn(compiled, c.ast, a, null, child, c.scope));
      return;
    }
    case 'alias': return defineAlias(d.alias, sp);
    case 'type': sp.types.push(resolveTypeDef(d.type, sp, ci)); return;
    case 'canon': return defineCanon(d.canon, sp, ci);
    case 'start': {
      const f = sp.funcs[d.func] ?? bad(`unknown function ${d.func}`);
      const fargs = d.args.map((i) => sp.values[i]);
      const results = await new Promise<unknown[]>((resolve, reject) => {
        ci.store.enter<unknown[]>(async (done, fail) => {
          try {
            await f.fn(() => fargs, (r) => done(r ?? []), null);
          } catch (err) { fail(asTrap(err)); }
        }).then(resolve, reject);
      });
      for (const r of results) sp.values.push(r);
      return;
    }
    case 'import': {
      let item = args.get(d.name);
      if (!item) {
        if (!host) bad(`missing import: "${d.name}"`);
        item = hostItem(d.name, d.desc, sp, host!);
      }
      checkImport(d.name, d.desc, item, sp);
      pushItem(sp, item);
      return;
    }
    case 'export': {
      const item = getItem(sp, d.sort, d.idx);
      if (exports.has(d.name)) bad(`duplicate export "${d.name}"`);
      exports.set(d.name, item);
      pushItem(sp, item);
      return;
    }
  }
}

// ---- Core start functions that may suspend

const MODULE_BYTES = new WeakMap<WebAssembly.Module, Uint8Array>();
const DEFERRED = new WeakMap<WebAssembly.Module, WebAssembly.Module | null>();
const START_EXPORT = '\u0000wasip3-web start';

/** The module with its start section turned into an export (START_EXPORT), or null when it has
 * no start function. Compiled once per module. */
function deferredStart(module: WebAssembly.Module): WebAssembly.Module | null {
  let d = DEFERRED.get(module);
  if (d === undefined) {
    const bytes = MODULE_BYTES.get(module);
    const rewritten = bytes ? exportStart(bytes) : null;
    d = rewritten ? new WebAssembly.Module(rewritten as Uint8Array<ArrayBuffer>) : null;
    DEFERRED.set(module, d);
  }
  return d;
}

/** Rewrite core module bytes: drop the start section (id 8) and export its function instead,
 * in the export section (id 7, which precedes it; made when absent). Null without a start. */
function exportStart(b: Uint8Array): Uint8Array | null {
  const leb = (p: number): [number, number] => {
    let v = 0; let shift = 0; let c: number;
    do { c = b[p++]!; v |= (c & 0x7f) << shift; shift += 7; } while (c & 0x80);
    return [v >>> 0, p];
  };
  const u32 = (v: number): number[] => {
    const out: number[] = [];
    do { let c = v & 0x7f; v >>>= 7; if (v) c |= 0x80; out.push(c); } while (v);
    return out;
  };
  type Sec = { id: number; start: number; body: number; end: number };
  const secs: Sec[] = [];
  for (let p = 8; p < b.length;) {
    const id = b[p]!;
    const [size, body] = leb(p + 1);
    secs.push({ id, start: p, body, end: body + size });
    p = body + size;
  }
  const start = secs.find((s) => s.id === 8);
  if (!start) return null;
  const [func] = leb(start.body);
  const name = [...new TextEncoder().encode(START_EXPORT)];
  const entry = [...u32(name.length), ...name, 0x00, ...u32(func)];
  const exp = secs.find((s) => s.id === 7);
  let body: number[];
  if (exp) {
    const [n, rest] = leb(exp.body);
    body = [...u32(n + 1), ...Array.from(b.subarray(rest, exp.end)), ...entry];
  } else {
    body = [1, ...entry];
  }
  const section = new Uint8Array([7, ...u32(body.length), ...body]);
  // The augmented export section takes the old one's place, or the start section's.
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  for (const s of secs) {
    if (s === exp || (s === start && !exp)) parts.push(section);
    else if (s !== start) parts.push(b.subarray(s.start, s.end));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const START_FT: FuncType = { k: 'func', async: false, params: [], result: null };
const START_OPTS: Options = { stringEncoding: 'utf8', memory: null, realloc: null, postReturn: null, async: false, callback: null };

/** Run a core start function as a sync task of ci, entered from the host, as a component's
 * start function is (through JSPI, so the lowered calls it makes may wait). */
async function runCoreStart(f: (...a: unknown[]) => unknown, ci: ComponentInstance): Promise<void> {
  const fn = liftFunc({ call: f, importable: f, suspends: false }, START_FT, START_OPTS, ci);
  await ci.store.enter<void>(async (done, fail) => {
    try {
      await fn(() => [], () => done(), null);
    } catch (err) { fail(asTrap(err)); }
  });
}

function defineAlias(a: Alias, sp: Scope): void {
  const t = a.target;
  if (t.kind === 'export') {
    const inst = sp.instances[t.instance] ?? bad(`unknown instance ${t.instance}`);
    const item = inst.get(t.name) ?? bad(`instance ${t.instance} has no export named "${t.name}"`);
    if (item.sort !== a.sort) bad(`export "${t.name}" is a ${item.sort}, not a ${a.sort}`);
    pushItem(sp, item);
    return;
  }
  if (t.kind === 'core-export') {
    const inst = sp.coreInstances[t.instance] ?? bad(`unknown core instance ${t.instance}`);
    const x = inst.get(t.name) ?? bad(`core instance ${t.instance} has no export named "${t.name}"`);
    if (CORE_KIND[a.sort] !== x.kind) bad(`core export "${t.name}" is a ${x.kind}, not a ${a.sort}`);
    pushCoreExtern(sp, x);
    return;
  }
  let s: Scope | null = sp;
  for (let i = 0; i < t.count && s; i++) s = s.parent;
  if (!s) bad('outer alias count too large');
  if (a.sort === 'core-type') { sp.coreTypes.push(s!.coreTypes[t.idx] ?? bad('unknown outer core type')); return; }
  pushItem(sp, getItem(s!, a.sort, t.idx));
}

// ---- Types

function resolveValType(ref: ValTypeRef, sp: Scope): ValType {
  if ('prim' in ref) return prim(ref.prim);
  const t = sp.types[ref.idx] ?? bad(`unknown type ${ref.idx}: type index out of bounds`);
  if (t.k === 'func' || t.k === 'resource' || t.k === 'instance-type' || t.k === 'component-type') {
    bad(`type ${ref.idx} is not a value type`);
  }
  return t as ValType;
}

function resourceAt(idx: number, sp: Scope): ResourceType {
  const t = sp.types[idx] ?? bad(`unknown type ${idx}`);
  if (t.k !== 'resource') bad(`type ${idx} is not a resource type`);
  return (t as { rt: ResourceType }).rt;
}

export function resolveTypeDef(d: TypeDef, sp: Scope, ci: ComponentInstance | null): ResolvedType {
  const v = (r: ValTypeRef) => resolveValType(r, sp);
  const opt = (r: ValTypeRef | null) => (r ? v(r) : null);
  switch (d.k) {
    case 'prim': return prim(d.prim);
    case 'record': return { k: 'record', fields: d.fields.map((f) => ({ name: f.name, t: v(f.t) })) };
    case 'variant': return { k: 'variant', cases: d.cases.map((c) => ({ name: c.name, t: opt(c.t) })) };
    case 'list': return d.len !== undefined ? { k: 'list', t: v(d.t), len: d.len } : { k: 'list', t: v(d.t) };
    case 'tuple': return { k: 'tuple', ts: d.ts.map(v) };
    case 'flags': return { k: 'flags', names: d.names };
    case 'enum': return { k: 'enum', names: d.names };
    case 'option': return { k: 'option', t: v(d.t) };
    case 'result': return { k: 'result', ok: opt(d.ok), err: opt(d.err) };
    case 'own': return { k: 'own', rt: resourceAt(d.idx, sp) };
    case 'borrow': return { k: 'borrow', rt: resourceAt(d.idx, sp) };
    case 'stream': return { k: 'stream', t: opt(d.t) };
    case 'future': return { k: 'future', t: opt(d.t) };
    case 'map': return { k: 'map', key: v(d.key), value: v(d.value) };
    case 'func': return { k: 'func', async: d.async, params: d.params.map((p) => ({ name: p.name, t: v(p.t) })), result: opt(d.result) };
    case 'instance': return { k: 'instance-type', decls: d.decls, scope: sp };
    case 'component': return { k: 'component-type', decls: d.decls, scope: sp };
    case 'resource': {
      let dtor: ((rep: number) => unknown) | null = null;
      if (d.dtor !== null) {
        const f = sp.coreFuncs[d.dtor] ?? bad(`unknown core function ${d.dtor}`);
        dtor = f.call as (rep: number) => unknown;
      }
      return { k: 'resource', rt: new ResourceType(`resource-${sp.types.length}`, ci, dtor) };
    }
  }
}

function funcTypeAt(idx: number, sp: Scope): FuncType {
  const t = sp.types[idx] ?? bad(`unknown type ${idx}`);
  if (t.k !== 'func') bad(`type ${idx} is not a function type`);
  return t as FuncType;
}

// ---- Canon definitions

function resolveOpts(o: CanonOpts, sp: Scope): Options {
  const mem = o.memory !== undefined ? sp.coreMemories[o.memory] ?? bad(`unknown memory ${o.memory}`) : null;
  const fn = (i: number | undefined) => (i === undefined ? null : (sp.coreFuncs[i] ?? bad(`unknown core function ${i}`)).call);
  return {
    stringEncoding: o.stringEncoding ?? 'utf8',
    memory: mem,
    realloc: fn(o.realloc) as Options['realloc'],
    postReturn: fn(o.postReturn) as Options['postReturn'],
    async: o.async ?? false,
    callback: fn(o.callback) as Options['callback'],
  };
}

function elemTypeAt(idx: number, sp: Scope, k: 'stream' | 'future'): ValType | null {
  const t = sp.types[idx] ?? bad(`unknown type ${idx}`);
  if (t.k !== k) bad(`type ${idx} is not a ${k} type`);
  return (t as { t: ValType | null }).t;
}

function defineCanon(c: Canon, sp: Scope, ci: ComponentInstance): void {
  const core = (f: CoreFunc) => { sp.coreFuncs.push(f); };
  switch (c.op) {
    case 'lift': {
      const ft = funcTypeAt(c.type, sp);
      const callee = sp.coreFuncs[c.func] ?? bad(`unknown core function ${c.func}`);
      const opts = resolveOpts(c.opts, sp);
      if (opts.async && !ft.async) bad('the `async` canonical option requires an async function type');
      sp.funcs.push({ ft, fn: liftFunc(callee, ft, opts, ci), name: `lifted#${sp.funcs.length}`, inst: ci, inline: liftInline(callee, ft, opts, ci) });
      return;
    }
    case 'lower': {
      const f = sp.funcs[c.func] ?? bad(`unknown function ${c.func}`);
      const opts = resolveOpts(c.opts, sp);
      if (opts.async && !f.ft.async) bad('the `async` canonical option requires an async function type');
      return core(lowerFunc(f.fn, f.ft, opts, ci));
    }
    case 'resource.new': return core(B.resourceNew(ci, resourceAt(c.type, sp)));
    case 'resource.drop': return core(B.resourceDrop(ci, resourceAt(c.type, sp)));
    case 'resource.rep': return core(B.resourceRep(ci, resourceAt(c.type, sp)));
    case 'backpressure.inc': return core(B.backpressureInc(ci));
    case 'backpressure.dec': return core(B.backpressureDec(ci));
    case 'backpressure.set': return core(B.gated(ci, 'backpressure.set (removed: use backpressure.inc/dec)'));
    case 'task.return': return core(B.taskReturn(ci, c.result ? resolveValType(c.result, sp) : null, resolveOpts(c.opts, sp)));
    case 'task.cancel': return core(B.taskCancel(ci));
    case 'context.get': return core(B.contextGet(ci, c.i));
    case 'context.set': return core(B.contextSet(ci, c.i));
    case 'thread.yield': return core(B.threadYield(ci, c.cancellable));
    case 'subtask.cancel': return core(B.subtaskCancel(ci, c.async));
    case 'subtask.drop': return core(B.subtaskDrop(ci));
    case 'stream.new': return core(B.streamNew(ci, elemTypeAt(c.type, sp, 'stream')));
    case 'stream.read': return core(B.streamCopy(ci, elemTypeAt(c.type, sp, 'stream'), resolveOpts(c.opts, sp), true));
    case 'stream.write': return core(B.streamCopy(ci, elemTypeAt(c.type, sp, 'stream'), resolveOpts(c.opts, sp), false));
    case 'stream.cancel-read': return core(B.cancelCopy(ci, elemTypeAt(c.type, sp, 'stream'), c.async, ReadableStreamEnd));
    case 'stream.cancel-write': return core(B.cancelCopy(ci, elemTypeAt(c.type, sp, 'stream'), c.async, WritableStreamEnd));
    case 'stream.drop-readable': return core(B.dropEnd(ci, elemTypeAt(c.type, sp, 'stream'), ReadableStreamEnd));
    case 'stream.drop-writable': return core(B.dropEnd(ci, elemTypeAt(c.type, sp, 'stream'), WritableStreamEnd));
    case 'future.new': return core(B.futureNew(ci, elemTypeAt(c.type, sp, 'future')));
    case 'future.read': return core(B.futureCopy(ci, elemTypeAt(c.type, sp, 'future'), resolveOpts(c.opts, sp), true));
    case 'future.write': return core(B.futureCopy(ci, elemTypeAt(c.type, sp, 'future'), resolveOpts(c.opts, sp), false));
    case 'future.cancel-read': return core(B.cancelCopy(ci, elemTypeAt(c.type, sp, 'future'), c.async, ReadableFutureEnd));
    case 'future.cancel-write': return core(B.cancelCopy(ci, elemTypeAt(c.type, sp, 'future'), c.async, WritableFutureEnd));
    case 'future.drop-readable': return core(B.dropEnd(ci, elemTypeAt(c.type, sp, 'future'), ReadableFutureEnd));
    case 'future.drop-writable': return core(B.dropEnd(ci, elemTypeAt(c.type, sp, 'future'), WritableFutureEnd));
    case 'error-context.new': return core(B.errorContextNew(ci, resolveOpts(c.opts, sp)));
    case 'error-context.debug-message': return core(B.errorContextDebugMessage(ci, resolveOpts(c.opts, sp)));
    case 'error-context.drop': return core(B.errorContextDrop(ci));
    case 'waitable-set.new': return core(B.waitableSetNew(ci));
    case 'waitable-set.wait': case 'waitable-set.poll': {
      const mem = sp.coreMemories[c.memory] ?? bad(`unknown memory ${c.memory}`);
      return core(c.op === 'waitable-set.wait' ? B.waitableSetWait(ci, c.cancellable, mem) : B.waitableSetPoll(ci, c.cancellable, mem));
    }
    case 'waitable-set.drop': return core(B.waitableSetDrop(ci));
    case 'waitable.join': return core(B.waitableJoin(ci));
    case 'thread.index': return core(B.gated(ci, 'thread.index'));
    case 'gated': return core(B.gated(ci, c.name));
  }
}

// ---- Imports: host values, and checks against declared types

/** The import's declared type, resolved: a function type or the exports of an instance type. */
function declaredFuncType(desc: ExternDesc, sp: Scope): FuncType {
  if (desc.sort !== 'func') bad('not a function import');
  return funcTypeAt((desc as { type: number }).type, sp);
}

/** Build an Item for an import the host provides as JS. */
function hostItem(name: string, desc: ExternDesc, sp: Scope, host: HostImports): Item {
  const v = lookupHost(host, name);
  switch (desc.sort) {
    case 'func': {
      const ft = declaredFuncType(desc, sp);
      if (typeof v !== 'function') bad(`missing import: function "${name}" is not provided`);
      return { sort: 'func', f: { ft, fn: hostFunc(v as (...a: unknown[]) => unknown, ft, name), name, inst: null } };
    }
    case 'instance': {
      const it = sp.types[desc.type];
      if (!it || it.k !== 'instance-type') bad(`import "${name}": type ${desc.type} is not an instance type`);
      if (v === undefined || v === null || typeof v !== 'object') bad(`missing import: interface "${name}" is not provided`);
      return { sort: 'instance', i: hostInstance(name, (it as { decls: Decl[]; scope: Scope }), v as Record<string, unknown>) };
    }
    case 'type': {
      return { sort: 'type', t: { k: 'resource', rt: new ResourceType(name, null) } };
    }
  }
  return bad(`missing import: "${name}" (a ${desc.sort}) cannot be provided by the host`);
}

function lookupHost(host: HostImports, name: string): unknown {
  if (name in host) return host[name];
  const unversioned = name.replace(/@[^/]*$/, '');
  if (unversioned in host) return host[unversioned];
  return host[camel(name)];
}

/** An instance built from a host object for an imported instance type. */
function hostInstance(iname: string, it: { decls: Decl[]; scope: Scope }, obj: Record<string, unknown>): InstanceValue {
  const local = new Scope(it.scope);
  const out: InstanceValue = new Map();
  for (const d of it.decls) {
    switch (d.kind) {
      case 'type': local.types.push(resolveTypeDef(d.type, local, null)); break;
      case 'core-type': local.coreTypes.push(d.type); break;
      case 'alias': defineAlias(d.alias, local); break;
      case 'export': {
        const desc = d.desc;
        let item: Item;
        if (desc.sort === 'type') {
          if ('eq' in desc.bound) item = { sort: 'type', t: local.types[desc.bound.eq] ?? bad('unknown type') };
          else item = { sort: 'type', t: { k: 'resource', rt: new ResourceType(d.name, null) } };
        } else if (desc.sort === 'func') {
          const ft = funcTypeAt(desc.type, local);
          let f = hostFunction(obj, d.name);
          if (!f) bad(`missing import: "${iname}" has no function "${d.name}" (looked for "${camel(d.name.replace(/^\[[a-z]+\]/, ''))}")`);
          if (ft.result?.k === 'result' && isThrowsErrors(obj)) f = resultFromThrows(f!);
          item = { sort: 'func', f: { ft, fn: hostFunc(f!, ft, `${iname}#${d.name}`), name: d.name, inst: null } };
        } else if (desc.sort === 'instance') {
          const sub = local.types[desc.type];
          if (!sub || sub.k !== 'instance-type') bad('unknown instance type');
          item = { sort: 'instance', i: hostInstance(`${iname}/${d.name}`, sub as { decls: Decl[]; scope: Scope }, (obj[camel(d.name)] ?? {}) as Record<string, unknown>) };
        } else {
          bad(`host instance "${iname}" cannot provide ${desc.sort} "${d.name}"`);
        }
        out.set(d.name, item!);
        pushItem(local, item!);
        break;
      }
    }
  }
  return out;
}

const pascal = (s: string): string => { const c = camel(s); return c.charAt(0).toUpperCase() + c.slice(1); };

/** Find the host function for a WIT function name, following jco's naming:
 * `get-thing` -> getThing; `[method]res.do-x` -> Res.prototype.doX; `[static]res.make` -> Res.make;
 * `[constructor]res` -> new Res(...). */
function hostFunction(obj: Record<string, unknown>, name: string): ((...a: unknown[]) => unknown) | null {
  const m = /^\[(method|static|constructor)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) {
    const f = obj[camel(name)] ?? obj[name];
    if (typeof f !== 'function') return null;
    const bound = (f as (...a: unknown[]) => unknown).bind(obj);
    if (isBorrowsBytes(f)) borrowsBytes(bound);
    return isNeverSuspends(f) ? neverSuspends(bound) : bound;
  }
  const [, kind, res, fn] = m;
  const cls = (obj[pascal(res!)] ?? obj[res!]) as (new (...a: unknown[]) => object) & Record<string, unknown> | undefined;
  if (typeof cls !== 'function') return null;
  // A constructor, static or method marked neverSuspends (the class, or the function on it or
  // its prototype) is called as a plain import, as a marked function is.
  const plain = <F extends object>(marked: unknown, g: F): F => {
    if (isBorrowsBytes(marked as object)) borrowsBytes(g);
    return isNeverSuspends(marked as object) ? neverSuspends(g) : g;
  };
  if (kind === 'constructor') return plain(cls, (...a: unknown[]) => new cls(...a));
  if (kind === 'static') {
    const f = cls[camel(fn!)];
    return typeof f === 'function' ? plain(f, (f as (...a: unknown[]) => unknown).bind(cls)) : null;
  }
  const key = camel(fn!);
  const method = (cls.prototype as Record<string, unknown>)[key];
  if (typeof method !== 'function') return null;
  return plain(method, (self: unknown, ...a: unknown[]) => (self as Record<string, (...x: unknown[]) => unknown>)[key]!(...a));
}

function checkImport(name: string, desc: ExternDesc, item: Item, sp: Scope): void {
  if (desc.sort !== item.sort) bad(`import "${name}": expected a ${desc.sort}, given a ${item.sort}`);
  if (desc.sort === 'func' && item.sort === 'func') {
    const want = declaredFuncType(desc, sp);
    if (!sameShape(want, item.f.ft)) {
      bad(`import "${name}": type mismatch: expected ${funcTypeToString(want)}, given ${funcTypeToString(item.f.ft)}`);
    }
  }
  if (desc.sort === 'instance' && item.sort === 'instance') {
    const it = sp.types[desc.type];
    if (it && it.k === 'instance-type') {
      for (const d of (it as { decls: Decl[] }).decls) {
        if (d.kind !== 'export') continue;
        const got = item.i.get(d.name);
        if (!got) bad(`import "${name}": missing export "${d.name}"`);
        if (got!.sort !== d.desc.sort) bad(`import "${name}": export "${d.name}" should be a ${d.desc.sort}`);
      }
    }
  }
}

/** Function types match in shape (resource identities are checked when handles cross). */
function sameShape(a: FuncType, b: FuncType): boolean {
  if (a.async !== b.async || a.params.length !== b.params.length) return false;
  const s = (t: ValType | null) => (t ? typeToString(t).replace(/own<[^>]*>/g, 'own').replace(/borrow<[^>]*>/g, 'borrow') : '_');
  return a.params.every((p, i) => p.name === b.params[i]!.name && s(p.t) === s(b.params[i]!.t)) && s(a.result) === s(b.result);
}
