// Core wasm at the component level: the types of a core module's imports and exports, read from
// its type, import, function, table, memory, tag, global and export sections (the code is not
// read: WebAssembly.compile validates it), and module-type matching (Explainer.md "Type checking").
import { Reader } from '../binary/reader.js';
import type { CoreExternDesc, CoreValType, ModuleDecl } from '../binary/ast.js';

/** A core function signature; a value type is 'i32' .. 'v128' or 'ref:<code>' for references. */
export interface CoreSig { params: string[]; results: string[] }

export type CoreExtern =
  | { k: 'func'; sig: CoreSig | null }
  | { k: 'table'; elem: string; min: number; max: number | null }
  | { k: 'memory'; min: number; max: number | null; shared: boolean; mem64: boolean }
  | { k: 'global'; t: string; mut: boolean }
  | { k: 'tag'; sig: CoreSig | null };

export interface ModuleType {
  /** Keyed by module and name joined with ':' (how the two-level names are unique). */
  imports: Map<string, { module: string; name: string; t: CoreExtern }>;
  exports: Map<string, CoreExtern>;
}

export class CoreInvalid extends Error {}
const invalid = (m: string): never => { throw new CoreInvalid(m); };

const NUM: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

function valType(r: Reader): string {
  const b = r.byte();
  const n = NUM[b];
  if (n) return n;
  if (b === 0x63 || b === 0x64) { r.s33(); return 'ref'; } // typed references: compared loosely
  return `ref null:${b}`; // abstract heap type shorthands (funcref, externref, anyref...)
}

function storageType(r: Reader): void {
  const b = r.peek();
  if (b === 0x78 || b === 0x77) r.byte(); else valType(r);
  r.byte(); // mutability
}

function limits(r: Reader): { min: number; max: number | null; shared: boolean; mem64: boolean } {
  const flags = r.byte();
  const wide = (flags & 0x04) !== 0;
  const min = wide ? r.s33() : r.u32();
  const max = flags & 0x01 ? (wide ? r.s33() : r.u32()) : null;
  if (flags & 0x08) r.u32(); // custom page size
  return { min, max, shared: (flags & 0x02) !== 0, mem64: wide };
}

/** Skip a constant expression (init of a global or table): the opcodes constant expressions use. */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b: return;
      case 0x41: r.s33(); break; // i32.const (an s32 fits s33's reader)
      case 0x42: skipLeb(r); break; // i64.const
      case 0x43: r.bytesN(4); break;
      case 0x44: r.bytesN(8); break;
      case 0xd0: r.s33(); break; // ref.null ht
      case 0xd2: case 0x23: r.u32(); break; // ref.func, global.get
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // i32/i64 add sub mul
      case 0xfd: r.u32(); r.bytesN(16); break; // v128.const
      case 0xfb: { // GC constant instructions: struct.new*, array.new*, ref.i31, any/extern.convert
        const sub = r.u32();
        if (sub <= 1 || sub === 6 || sub === 7) r.u32();
        else if (sub === 8) { r.u32(); r.u32(); }
        break;
      }
      default: throw new CoreInvalid(`unsupported constant expression opcode 0x${op.toString(16)}`);
    }
  }
}

function skipLeb(r: Reader): void { while (r.byte() & 0x80) { /* continue */ } }

/** The import and export types of a core module binary. Throws CoreInvalid on what the
 * component model forbids beyond core validation (duplicate two-level import names). */
// Core sections in their required order (custom sections, id 0, may go anywhere).
const SECTION_ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export function moduleTypeOf(bytes: Uint8Array): ModuleType {
  const r = new Reader(bytes, 0);
  // The preamble and the section order are the module's shape (a malformed module, not an invalid one).
  const head = r.bytesN(8);
  if (head[0] !== 0 || head[1] !== 0x61 || head[2] !== 0x73 || head[3] !== 0x6d) r.fail('magic header not detected', 0);
  if (head[4] !== 1 || head[5] !== 0 || head[6] !== 0 || head[7] !== 0) r.fail('expected a version header for a module', 4);
  let last = 0;
  let typed = false;
  const types: (CoreSig | null)[] = [];
  const funcs: (CoreSig | null)[] = [];
  const tables: CoreExtern[] = [];
  const memories: CoreExtern[] = [];
  const globals: CoreExtern[] = [];
  const tags: CoreExtern[] = [];
  const mt: ModuleType = { imports: new Map(), exports: new Map() };
  const sig = (i: number) => types[i] ?? null;
  while (!r.done) {
    const idAt = r.pos;
    const id = r.byte();
    const size = r.u32();
    const s = r.sub(size);
    if (id !== 0) {
      const o = SECTION_ORDER[id];
      if (o === undefined) r.fail(`malformed section id: ${id}`, idAt);
      if (o! <= last) r.fail('section out of order', idAt);
      last = o!;
    }
    if (typed) continue; // past the export section: only the order is checked
    switch (id) {
      case 1: {
        const n = s.u32();
        const sub = (): void => {
          const b = s.byte();
          if (b === 0x50 || b === 0x4f) { s.vec((x) => x.u32()); return sub(); }
          if (b === 0x60) { types.push({ params: s.vec(valType), results: s.vec(valType) }); return; }
          if (b === 0x5f) { s.vec(storageType); types.push(null); return; }
          if (b === 0x5e) { storageType(s); types.push(null); return; }
          if (b === 0x5d) { s.u32(); types.push(null); return; } // continuation type
          invalid(`unknown core type form 0x${b.toString(16)}`);
        };
        for (let i = 0; i < n; i++) {
          if (s.peek() === 0x4e) { s.byte(); const m = s.u32(); for (let j = 0; j < m; j++) sub(); }
          else sub();
        }
        break;
      }
      case 2: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const module = s.name();
          const name = s.name();
          const k = s.byte();
          let t: CoreExtern;
          switch (k) {
            case 0x00: t = { k: 'func', sig: sig(s.u32()) }; funcs.push(t.sig); break;
            case 0x01: { const elem = valType(s); t = { k: 'table', elem, ...limits(s) }; tables.push(t); break; }
            case 0x02: t = { k: 'memory', ...limits(s) }; memories.push(t); break;
            case 0x03: { const vt = valType(s); t = { k: 'global', t: vt, mut: s.byte() === 1 }; globals.push(t); break; }
            case 0x04: s.byte(); t = { k: 'tag', sig: sig(s.u32()) }; tags.push(t); break;
            default: return invalid(`unknown core import kind 0x${k.toString(16)}`);
          }
          const key = `${module}:${name}`;
          if (mt.imports.has(key)) invalid(`duplicate import name \`${key}\``);
          mt.imports.set(key, { module, name, t });
        }
        break;
      }
      case 3: {
        // Thousands of entries in a real module, nearly all one-byte indices: read them inline.
        const n = s.u32();
        const b = s.bytes;
        for (let i = 0; i < n; i++) {
          const x = b[s.pos]!;
          if (x < 0x80 && s.pos < s.end) { s.pos++; funcs.push(sig(x)); } else funcs.push(sig(s.u32()));
        }
        break;
      }
      case 4: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const withInit = s.peek() === 0x40;
          if (withInit) { s.byte(); s.byte(); }
          const elem = valType(s);
          tables.push({ k: 'table', elem, ...limits(s) });
          if (withInit) skipConstExpr(s);
        }
        break;
      }
      case 5: { const n = s.u32(); for (let i = 0; i < n; i++) memories.push({ k: 'memory', ...limits(s) }); break; }
      case 13: { const n = s.u32(); for (let i = 0; i < n; i++) { s.byte(); tags.push({ k: 'tag', sig: sig(s.u32()) }); } break; }
      case 6: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const vt = valType(s);
          globals.push({ k: 'global', t: vt, mut: s.byte() === 1 });
          skipConstExpr(s);
        }
        break;
      }
      case 7: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const name = s.name();
          const k = s.byte();
          const idx = s.u32();
          const list = k === 0 ? null : k === 1 ? tables : k === 2 ? memories : k === 3 ? globals : tags;
          mt.exports.set(name, list ? list[idx] ?? invalid('export index out of bounds') : { k: 'func', sig: funcs[idx] ?? null });
        }
        typed = true; // nothing after the export section bears on the module's type
        break;
      }
    }
  }
  return mt;
}

const coreValName = (t: CoreValType): string => (t === 'funcref' ? 'ref null:112' : t === 'externref' ? 'ref null:111' : t);

/** A module type declared in a component (core:moduletype), resolving its own type index space
 * (outer aliases reach the enclosing core types through outerType). */
export function moduleTypeOfDecls(decls: ModuleDecl[], outerType: (count: number, idx: number) => CoreSig | ModuleType | null): ModuleType {
  const types: (CoreSig | null)[] = [];
  const mt: ModuleType = { imports: new Map(), exports: new Map() };
  const desc = (d: CoreExternDesc): CoreExtern => {
    switch (d.k) {
      case 'func': case 'tag': {
        if (d.type >= types.length) invalid(`type index out of bounds`);
        return { k: d.k, sig: types[d.type] ?? null };
      }
      case 'memory': {
        const lim = d.mem64 ? 2 ** 48 : 65536;
        if (d.min > lim || (d.max !== null && d.max > lim)) invalid(`memory size must be at most ${lim} pages (4GiB)`);
        if (d.max !== null && d.max < d.min) invalid('size minimum must not be greater than maximum');
        return { k: 'memory', min: d.min, max: d.max, shared: d.shared, mem64: d.mem64 };
      }
      case 'table':
        if (d.max !== null && d.max < d.min) invalid('size minimum must not be greater than maximum');
        return { k: 'table', elem: coreValName(d.elem), min: d.min, max: d.max };
      case 'global': return { k: 'global', t: coreValName(d.t), mut: d.mut };
    }
  };
  for (const d of decls) {
    switch (d.k) {
      case 'type':
        if (d.type.k === 'module') throw new CoreInvalid('module types cannot be nested');
        types.push({ params: d.type.params.map(coreValName), results: d.type.results.map(coreValName) });
        break;
      case 'alias': {
        const t = outerType(d.count, d.idx);
        types.push(t && 'params' in t ? t : null);
        break;
      }
      case 'import': {
        const key = `${d.module}:${d.name}`;
        if (mt.imports.has(key)) invalid(`duplicate import name \`${key}\``);
        mt.imports.set(key, { module: d.module, name: d.name, t: desc(d.desc) });
        break;
      }
      case 'export':
        if (mt.exports.has(d.name)) invalid(`export name \`${d.name}\` already defined`);
        mt.exports.set(d.name, desc(d.desc));
        break;
    }
  }
  return mt;
}

export function sigEquals(a: CoreSig | null, b: CoreSig | null): boolean {
  if (!a || !b) return true; // a type we do not model (GC): core validation has the last word
  return a.params.length === b.params.length && a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) && a.results.every((p, i) => p === b.results[i]);
}

export const sigToString = (s: CoreSig): string => `[${s.params.join(' ')}] -> [${s.results.join(' ')}]`;

/** Whether extern a (what is given) may stand for extern b (what is expected); null or why not. */
export function coreExternSub(a: CoreExtern, b: CoreExtern): string | null {
  if (a.k !== b.k) return `expected ${b.k}, found ${a.k}`;
  switch (a.k) {
    case 'func': case 'tag': return sigEquals(a.sig, (b as typeof a).sig) ? null : `expected ${sigToString((b as typeof a).sig!)}, found ${sigToString(a.sig!)}`;
    case 'global': { const o = b as typeof a; return a.t === o.t && a.mut === o.mut ? null : 'global types differ'; }
    case 'table': case 'memory': {
      const o = b as typeof a;
      if (a.k === 'table' && a.elem !== (o as typeof a).elem) return 'table element types differ';
      if (a.k === 'memory' && (a.shared !== (o as typeof a).shared || a.mem64 !== (o as typeof a).mem64)) return 'memory types differ';
      if (a.min < o.min) return 'mismatch in the limits minimum';
      if (o.max !== null && (a.max === null || a.max > o.max)) return 'mismatch in the limits maximum';
      return null;
    }
  }
}

/** Module subtyping: a's imports are all among b's, and b's exports all among a's. */
export function moduleSub(a: ModuleType, b: ModuleType): string | null {
  for (const [key, imp] of a.imports) {
    const want = b.imports.get(key);
    if (!want) return `missing expected import \`${imp.module}::${imp.name}\``;
    const why = coreExternSub(want.t, imp.t);
    if (why) return `type mismatch in import \`${imp.module}::${imp.name}\`: ${why}`;
  }
  for (const [name, exp] of b.exports) {
    const got = a.exports.get(name);
    if (!got) return `missing expected export \`${name}\``;
    const why = coreExternSub(got, exp);
    if (why) return `type mismatch in export \`${name}\`: ${why}`;
  }
  return null;
}
