// Decodes a component binary into a ComponentAst: one decoder per section kind, in Binary.md's
// order. It checks the shape of the bytes only; validation of meaning is instantiate.ts's.
import { MalformedError, Reader } from './reader.js';
import type {
  Alias, AliasTarget, Canon, CanonOpts, ComponentAst, CoreExternDesc, CoreInstanceExpr, CoreSort, CoreTypeDef,
  CoreValType, Decl, DefValType, Definition, ExternDesc, InstanceExpr, ModuleDecl, NameAttr, PrimName, Sort, TypeDef,
  ValTypeRef,
} from './ast.js';

const PRIMS: Record<number, PrimName> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32',
  0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string',
  0x64: 'error-context',
};

const SORT_BYTE: Record<Sort, number> = {
  'core-func': 0x00, 'core-table': 0x01, 'core-memory': 0x02, 'core-global': 0x03, 'core-tag': 0x04,
  'core-type': 0x10, 'core-module': 0x11, 'core-instance': 0x12,
  func: 0x01, value: 0x02, type: 0x03, component: 0x04, instance: 0x05,
};

const CORE_SORTS: Record<number, CoreSort> = {
  0x00: 'core-func', 0x01: 'core-table', 0x02: 'core-memory', 0x03: 'core-global', 0x04: 'core-tag',
  0x10: 'core-type', 0x11: 'core-module', 0x12: 'core-instance',
};

/** Whether these bytes begin with the component preamble (as opposed to a core module). */
export function isComponent(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 &&
    bytes[3] === 0x6d && bytes[6] === 1 && bytes[7] === 0;
}

/** Decode a whole component binary; throws MalformedError with a byte offset. */
export function decodeComponent(bytes: Uint8Array): ComponentAst {
  return readComponent(new Reader(bytes));
}

function readComponent(r: Reader): ComponentAst {
  const start = r.pos;
  const magic = r.bytesN(4);
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    r.fail('magic header not detected: not a WebAssembly binary', start);
  }
  const version = r.byte() | (r.byte() << 8);
  const layer = r.byte() | (r.byte() << 8);
  if (layer === 0 && version === 1) {
    r.fail('this is a core WebAssembly module, not a component (wrap it with `wasm-tools component new`)', start);
  }
  if (layer !== 1) r.fail(`unknown binary layer ${layer}`, start + 6);
  if (version !== 0x0d) r.fail(`unknown component binary version 0x${version.toString(16)} (expected 0xd)`, start + 4);

  const definitions: Definition[] = [];
  const offsets: number[] = [];
  const push = (d: Definition, at: number) => { definitions.push(d); offsets.push(at); };
  // A vector section: each item is recorded at its own offset, for validation errors.
  const items = (s: Reader, item: (x: Reader) => Definition) => {
    const n = s.u32();
    for (let i = 0; i < n; i++) { const at = s.pos; push(item(s), at); }
  };
  while (!r.done) {
    const sectionAt = r.pos;
    const id = r.byte();
    const size = r.u32();
    const s = r.sub(size);
    const at = s.pos;
    switch (id) {
      case 0: s.name(); s.pos = s.end; break; // custom sections carry no semantics
      case 1: push({ kind: 'core-module', bytes: s.bytesN(size), offset: at }, at); break;
      case 2: items(s, (x) => ({ kind: 'core-instance', expr: coreInstanceExpr(x) })); break;
      case 3: items(s, (x) => ({ kind: 'core-type', type: coreType(x) })); break;
      case 4: push({ kind: 'component', component: readComponent(s) }, at); break;
      case 5: items(s, (x) => ({ kind: 'instance', expr: instanceExpr(x) })); break;
      case 6: items(s, (x) => ({ kind: 'alias', alias: readAlias(x) })); break;
      case 7: items(s, (x) => ({ kind: 'type', type: typeDef(x) })); break;
      case 8: items(s, (x) => ({ kind: 'canon', canon: readCanon(x) })); break;
      case 9: {
        const func = s.u32();
        const args = s.vec((x) => x.u32());
        const results = s.u32();
        push({ kind: 'start', func, args, results }, at);
        break;
      }
      case 10: items(s, (x) => ({ kind: 'import', ...importDecl(x) })); break;
      case 11: items(s, (x) => ({ kind: 'export', ...exportDef(x) })); break;
      default: r.fail(`malformed section id: ${id}`, sectionAt);
    }
    if (!s.done) s.fail('unexpected content after last item in section');
  }
  return { definitions, offsets };
}

function coreSort(r: Reader): CoreSort {
  const at = r.pos;
  const b = r.byte();
  const s = CORE_SORTS[b];
  if (!s) r.fail(`invalid core sort byte 0x${b.toString(16)}`, at);
  return s;
}

function sort(r: Reader): Sort {
  const at = r.pos;
  const b = r.byte();
  switch (b) {
    case 0x00: return coreSort(r);
    case 0x01: return 'func';
    case 0x02: return 'value';
    case 0x03: return 'type';
    case 0x04: return 'component';
    case 0x05: return 'instance';
  }
  return r.fail(`invalid sort byte 0x${b.toString(16)}`, at);
}

/** importname' / exportname': a discriminator byte then the name, and its attributes if any. */
function externName(r: Reader): { name: string; attrs?: NameAttr[] } {
  const at = r.pos;
  const b = r.byte();
  if (b === 0x00 || b === 0x01) return { name: r.name() };
  if (b === 0x02) {
    // A name with attributes (0x00 implements, 0x02 external-id...): each a tag byte and a string.
    const name = r.name();
    const count = r.u32();
    const attrs: NameAttr[] = [];
    for (let i = 0; i < count; i++) {
      const tag = r.byte();
      if (tag > 0x02) r.fail(`invalid leading byte (0x${tag.toString(16)}) for component name attribute`, r.pos - 1);
      attrs.push({ tag, value: r.name() });
    }
    return { name, attrs };
  }
  return r.fail(`invalid leading byte (0x${b.toString(16)}) for component name`, at);
}

function coreInstanceExpr(r: Reader): CoreInstanceExpr {
  const at = r.pos;
  const b = r.byte();
  if (b === 0x00) {
    const module = r.u32();
    const args = r.vec((x) => {
      const name = x.name();
      const k = x.byte();
      if (k !== 0x12) x.fail('core instantiate argument must be an instance', x.pos - 1);
      return { name, instance: x.u32() };
    });
    return { kind: 'instantiate', module, args };
  }
  if (b === 0x01) {
    return { kind: 'exports', exports: r.vec((x) => ({ name: x.name(), sort: coreSort(x), idx: x.u32() })) };
  }
  return r.fail(`invalid core instance expression 0x${b.toString(16)}`, at);
}

function instanceExpr(r: Reader): InstanceExpr {
  const at = r.pos;
  const b = r.byte();
  if (b === 0x00) {
    const component = r.u32();
    const args = r.vec((x) => ({ name: x.name(), sort: sort(x), idx: x.u32() }));
    return { kind: 'instantiate', component, args };
  }
  if (b === 0x01) {
    return { kind: 'exports', exports: r.vec((x) => ({ ...externName(x), sort: sort(x), idx: x.u32() })) };
  }
  return r.fail(`invalid instance expression 0x${b.toString(16)}`, at);
}

function readAlias(r: Reader): Alias {
  const s = sort(r);
  const at = r.pos;
  const b = r.byte();
  let target: AliasTarget;
  if (b === 0x00) target = { kind: 'export', instance: r.u32(), name: r.name() };
  else if (b === 0x01) target = { kind: 'core-export', instance: r.u32(), name: r.name() };
  else if (b === 0x02) {
    if (s !== 'type' && s !== 'core-module' && s !== 'core-type' && s !== 'component') {
      r.fail(`invalid leading byte (0x${SORT_BYTE[s].toString(16)}) for component outer alias kind`, at - 1);
    }
    target = { kind: 'outer', count: r.u32(), idx: r.u32() };
  }
  else return r.fail(`invalid alias target 0x${b.toString(16)}`, at);
  return { sort: s, target };
}

function coreValType(r: Reader): CoreValType {
  const at = r.pos;
  const b = r.byte();
  switch (b) {
    case 0x7f: return 'i32';
    case 0x7e: return 'i64';
    case 0x7d: return 'f32';
    case 0x7c: return 'f64';
    case 0x7b: return 'v128';
    case 0x70: return 'funcref';
    case 0x6f: return 'externref';
    case 0x63: case 0x64: r.s33(); return 'ref';
  }
  return r.fail(`invalid core value type 0x${b.toString(16)}`, at);
}

function limits(r: Reader): { min: number; max: number | null; shared: boolean; mem64: boolean } {
  const flags = r.byte();
  const wide = (flags & 0x04) !== 0;
  const min = wide ? r.s33() : r.u32();
  const max = flags & 0x01 ? (wide ? r.s33() : r.u32()) : null;
  return { min, max, shared: (flags & 0x02) !== 0, mem64: wide };
}

function coreImportDesc(r: Reader): CoreExternDesc {
  const at = r.pos;
  const b = r.byte();
  switch (b) {
    case 0x00: return { k: 'func', type: r.u32() };
    case 0x01: { const elem = coreValType(r); const l = limits(r); return { k: 'table', elem, min: l.min, max: l.max }; }
    case 0x02: return { k: 'memory', ...limits(r) };
    case 0x03: { const t = coreValType(r); const m = r.byte(); if (m > 1) r.fail('malformed mutability', r.pos - 1); return { k: 'global', t, mut: m === 1 }; }
    case 0x04: r.byte(); return { k: 'tag', type: r.u32() };
  }
  return r.fail(`invalid core import description 0x${b.toString(16)}`, at);
}

function coreType(r: Reader): CoreTypeDef {
  const at = r.pos;
  const b = r.byte();
  if (b === 0x60) return { k: 'func', params: r.vec(coreValType), results: r.vec(coreValType) };
  if (b === 0x00 || b === 0x4f) {
    // A GC subtype: `0x00 0x50` (non-final; 0x00-prefixed since a bare 0x50 is a module type)
    // or 0x4f (final), then supertypes and the composite type.
    if (b === 0x00 && r.byte() !== 0x50) r.fail('expected a subtype after 0x00', r.pos - 1);
    r.vec((x) => x.u32());
    return coreType(r);
  }
  // A module type, also inside a module type's declarations (Binary.md's grammar allows it there;
  // validation rejects a nested one).
  if (b === 0x50) {
    const decls = r.vec((x): ModuleDecl => {
      const dat = x.pos;
      const d = x.byte();
      switch (d) {
        case 0x00: return { k: 'import', module: x.name(), name: x.name(), desc: coreImportDesc(x) };
        case 0x01: return { k: 'type', type: coreType(x) };
        case 0x02: {
          const s = coreSort(x);
          if (s !== 'core-type') x.fail(`invalid leading byte (0x${SORT_BYTE[s].toString(16)}) for outer alias kind`, x.pos - 1);
          const tb = x.byte();
          if (tb !== 0x01) x.fail(`invalid leading byte (0x${tb.toString(16)}) for outer alias target`, x.pos - 1);
          return { k: 'alias', count: x.u32(), idx: x.u32() };
        }
        case 0x03: return { k: 'export', name: x.name(), desc: coreImportDesc(x) };
      }
      return x.fail(`invalid leading byte (0x${d.toString(16)}) for type definition`, dat);
    });
    return { k: 'module', decls };
  }
  return r.fail(`unsupported core type form 0x${b.toString(16)}`, at);
}

function valType(r: Reader): ValTypeRef {
  const b = r.peek();
  const prim = PRIMS[b];
  if (prim) { r.byte(); return { prim }; }
  const at = r.pos;
  const idx = r.s33();
  if (idx < 0) r.fail('invalid value type', at);
  return { idx };
}

function optValType(r: Reader): ValTypeRef | null {
  const at = r.pos;
  const b = r.byte();
  if (b === 0x00) return null;
  if (b === 0x01) return valType(r);
  return r.fail(`invalid optional value type 0x${b.toString(16)}`, at);
}

function defValType(r: Reader, b: number, at: number): DefValType {
  const prim = PRIMS[b];
  if (prim) return { k: 'prim', prim };
  switch (b) {
    case 0x72: return { k: 'record', fields: r.vec((x) => ({ name: x.name(), t: valType(x) })) };
    case 0x71: return {
      k: 'variant',
      cases: r.vec((x) => {
        const name = x.name();
        const t = optValType(x);
        const refines = x.byte();
        if (refines !== 0) x.fail('variant case refinement is not supported', x.pos - 1);
        return { name, t };
      }),
    };
    case 0x70: return { k: 'list', t: valType(r) };
    case 0x67: { const t = valType(r); return { k: 'list', t, len: r.u32() }; }
    case 0x6f: return { k: 'tuple', ts: r.vec(valType) };
    case 0x6e: return { k: 'flags', names: r.vec((x) => x.name()) };
    case 0x6d: return { k: 'enum', names: r.vec((x) => x.name()) };
    case 0x6b: return { k: 'option', t: valType(r) };
    case 0x6a: return { k: 'result', ok: optValType(r), err: optValType(r) };
    case 0x69: return { k: 'own', idx: r.u32() };
    case 0x68: return { k: 'borrow', idx: r.u32() };
    case 0x66: return { k: 'stream', t: optValType(r) };
    case 0x65: return { k: 'future', t: optValType(r) };
    case 0x63: return { k: 'map', key: valType(r), value: valType(r) };
  }
  return r.fail(`invalid type 0x${b.toString(16)}`, at);
}

function externDesc(r: Reader): ExternDesc {
  const at = r.pos;
  const b = r.byte();
  switch (b) {
    case 0x00: {
      if (r.byte() !== 0x11) r.fail('core extern descriptor must name a module type', r.pos - 1);
      return { sort: 'core-module', type: r.u32() };
    }
    case 0x01: return { sort: 'func', type: r.u32() };
    case 0x02: {
      const vb = r.byte();
      if (vb === 0x00) { r.u32(); return { sort: 'value', t: { prim: 'bool' } }; }
      return { sort: 'value', t: valType(r) };
    }
    case 0x03: {
      const tb = r.byte();
      if (tb === 0x00) return { sort: 'type', bound: { eq: r.u32() } };
      if (tb === 0x01) return { sort: 'type', bound: { subResource: true } };
      return r.fail(`invalid type bound 0x${tb.toString(16)}`, r.pos - 1);
    }
    case 0x04: return { sort: 'component', type: r.u32() };
    case 0x05: return { sort: 'instance', type: r.u32() };
  }
  return r.fail(`invalid extern descriptor 0x${b.toString(16)}`, at);
}

function decls(r: Reader, allowImports: boolean): Decl[] {
  return r.vec((x) => {
    const at = x.pos;
    const b = x.byte();
    switch (b) {
      case 0x00: return { kind: 'core-type', type: coreType(x) };
      case 0x01: return { kind: 'type', type: typeDef(x) };
      case 0x02: return { kind: 'alias', alias: readAlias(x) };
      case 0x03:
        if (!allowImports) break;
        return { kind: 'import', ...externName(x), desc: externDesc(x) };
      case 0x04: return { kind: 'export', ...externName(x), desc: externDesc(x) };
    }
    return x.fail(`invalid ${allowImports ? 'component' : 'instance'} type declaration 0x${b.toString(16)}`, at);
  });
}

function typeDef(r: Reader): TypeDef {
  const at = r.pos;
  const b = r.byte();
  switch (b) {
    case 0x40: case 0x43: {
      const params = r.vec((x) => ({ name: x.name(), t: valType(x) }));
      const rb = r.byte();
      let result: ValTypeRef | null;
      if (rb === 0x00) result = valType(r);
      else if (rb === 0x01) {
        if (r.byte() !== 0x00) r.fail('named function results are no longer supported', r.pos - 1);
        result = null;
      } else return r.fail(`invalid function result list 0x${rb.toString(16)}`, r.pos - 1);
      return { k: 'func', async: b === 0x43, params, result };
    }
    case 0x41: return { k: 'component', decls: decls(r, true) };
    case 0x42: return { k: 'instance', decls: decls(r, false) };
    case 0x3f: case 0x3e: {
      if (r.byte() !== 0x7f) r.fail('resource representation must be i32', r.pos - 1);
      const opt = () => { const f = r.byte(); return f === 0x01 ? r.u32() : f === 0x00 ? null : r.fail('invalid optional index', r.pos - 1); };
      const dtor = opt();
      const callback = b === 0x3e ? opt() : null;
      return { k: 'resource', dtor, callback, async: b === 0x3e };
    }
  }
  return defValType(r, b, at);
}

function importDecl(r: Reader): { name: string; attrs?: NameAttr[]; desc: ExternDesc } {
  return { ...externName(r), desc: externDesc(r) };
}

function exportDef(r: Reader): { name: string; attrs?: NameAttr[]; sort: Sort; idx: number; desc: ExternDesc | null } {
  const n = externName(r);
  const s = sort(r);
  const idx = r.u32();
  const at = r.pos;
  const b = r.byte();
  let desc: ExternDesc | null = null;
  if (b === 0x01) desc = externDesc(r);
  else if (b !== 0x00) r.fail(`invalid export type ascription 0x${b.toString(16)}`, at);
  return { ...n, sort: s, idx, desc };
}

const ENCODINGS = ['utf8', 'utf16', 'latin1+utf16'] as const;

function canonOpts(r: Reader): CanonOpts {
  const opts: CanonOpts = {};
  const n = r.u32();
  // A repeated option is well-formed but invalid: kept for the validator to report.
  const repeat = (what: string) => { (opts.repeated ??= []).push(what); };
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const b = r.byte();
    switch (b) {
      case 0x00: case 0x01: case 0x02: {
        const enc = ENCODINGS[b]!;
        if (opts.stringEncoding) repeat(`canonical encoding option \`${opts.stringEncoding}\` conflicts with option \`${enc}\``);
        else opts.stringEncoding = enc;
        break;
      }
      case 0x03: { const v = r.u32(); if (opts.memory !== undefined) repeat('canonical option `memory` is specified more than once'); else opts.memory = v; break; }
      case 0x04: { const v = r.u32(); if (opts.realloc !== undefined) repeat('canonical option `realloc` is specified more than once'); else opts.realloc = v; break; }
      case 0x05: { const v = r.u32(); if (opts.postReturn !== undefined) repeat('canonical option `post-return` is specified more than once'); else opts.postReturn = v; break; }
      case 0x06: if (opts.async) repeat('canonical option `async` is specified more than once'); opts.async = true; break;
      case 0x07: { const v = r.u32(); if (opts.callback !== undefined) repeat('canonical option `callback` is specified more than once'); else opts.callback = v; break; }
      default: r.fail(`invalid canonical option 0x${b.toString(16)}`, at);
    }
  }
  return opts;
}

function flag(r: Reader, what: string): boolean {
  const b = r.byte();
  if (b > 1) r.fail(`invalid ${what} immediate 0x${b.toString(16)}`, r.pos - 1);
  return b === 1;
}

function readCanon(r: Reader): Canon {
  const at = r.pos;
  const op = r.byte();
  switch (op) {
    case 0x00: {
      if (r.byte() !== 0x00) r.fail('canon lift must take a core function', r.pos - 1);
      const func = r.u32();
      const opts = canonOpts(r);
      return { op: 'lift', func, opts, type: r.u32() };
    }
    case 0x01: {
      if (r.byte() !== 0x00) r.fail('canon lower must take a function', r.pos - 1);
      return { op: 'lower', func: r.u32(), opts: canonOpts(r) };
    }
    case 0x02: return { op: 'resource.new', type: r.u32() };
    case 0x03: return { op: 'resource.drop', type: r.u32() };
    case 0x07: return { op: 'resource.drop', type: r.u32(), async: true };
    case 0x04: return { op: 'resource.rep', type: r.u32() };
    case 0x08: return { op: 'backpressure.set' };
    case 0x24: return { op: 'backpressure.inc' };
    case 0x25: return { op: 'backpressure.dec' };
    case 0x09: {
      const rb = r.byte();
      let result: ValTypeRef | null;
      if (rb === 0x00) result = valType(r);
      else if (rb === 0x01) { if (r.byte() !== 0) r.fail('named results are not supported', r.pos - 1); result = null; }
      else return r.fail(`invalid result list 0x${rb.toString(16)}`, r.pos - 1);
      return { op: 'task.return', result, opts: canonOpts(r) };
    }
    case 0x05: return { op: 'task.cancel' };
    case 0x0a: case 0x0b: {
      const t = r.byte();
      if (t !== 0x7f) r.fail(`invalid leading byte (0x${t.toString(16)}) for context.${op === 0x0a ? 'get' : 'set'}`, r.pos - 1);
      return { op: op === 0x0a ? 'context.get' : 'context.set', i: r.u32() };
    }
    case 0x0c: return { op: 'thread.yield', cancellable: flag(r, 'cancellable') };
    case 0x06: return { op: 'subtask.cancel', async: flag(r, 'async') };
    case 0x0d: return { op: 'subtask.drop' };
    case 0x0e: return { op: 'stream.new', type: r.u32() };
    case 0x0f: return { op: 'stream.read', type: r.u32(), opts: canonOpts(r) };
    case 0x10: return { op: 'stream.write', type: r.u32(), opts: canonOpts(r) };
    case 0x11: return { op: 'stream.cancel-read', type: r.u32(), async: flag(r, 'async') };
    case 0x12: return { op: 'stream.cancel-write', type: r.u32(), async: flag(r, 'async') };
    case 0x13: return { op: 'stream.drop-readable', type: r.u32() };
    case 0x14: return { op: 'stream.drop-writable', type: r.u32() };
    case 0x15: return { op: 'future.new', type: r.u32() };
    case 0x16: return { op: 'future.read', type: r.u32(), opts: canonOpts(r) };
    case 0x17: return { op: 'future.write', type: r.u32(), opts: canonOpts(r) };
    case 0x18: return { op: 'future.cancel-read', type: r.u32(), async: flag(r, 'async') };
    case 0x19: return { op: 'future.cancel-write', type: r.u32(), async: flag(r, 'async') };
    case 0x1a: return { op: 'future.drop-readable', type: r.u32() };
    case 0x1b: return { op: 'future.drop-writable', type: r.u32() };
    case 0x1c: return { op: 'error-context.new', opts: canonOpts(r) };
    case 0x1d: return { op: 'error-context.debug-message', opts: canonOpts(r) };
    case 0x1e: return { op: 'error-context.drop' };
    case 0x1f: return { op: 'waitable-set.new' };
    case 0x20: case 0x21: {
      const cancellable = flag(r, 'cancellable');
      return { op: op === 0x20 ? 'waitable-set.wait' : 'waitable-set.poll', cancellable, memory: r.u32() };
    }
    case 0x22: return { op: 'waitable-set.drop' };
    case 0x23: return { op: 'waitable.join' };
    case 0x26: return { op: 'thread.index' };
    case 0x27: r.u32(); r.u32(); return { op: 'gated', name: 'thread.new-indirect' };
    case 0x28: return { op: 'gated', name: 'thread.resume-later' };
    case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
      flag(r, 'cancellable');
      return { op: 'gated', name: 'thread.suspend/resume' };
  }
  return r.fail(`invalid canonical function opcode 0x${op.toString(16)}`, at);
}

export { MalformedError };
