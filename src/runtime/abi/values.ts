// Loading, Storing, Flat Lifting, Flat Lowering, and Lifting and Lowering Values
// (CanonicalABI.md). Values use jco's JS mapping: records as objects with camelCase fields,
// variants as { tag, val }, enums as strings, options as the value or undefined, tuples as
// arrays, 64-bit integers as BigInt, lists of numbers as typed arrays.
import { trap, trapIf } from '../errors.js';
import {
  alignTo, alignment, despecialize, discriminantSize, elemSize, flattenType, flattenTypes,
  maxCaseAlignment, tupleOf, type CoreValType, type Case, type ValType,
} from '../types.js';
import type { LiftLowerContext } from './context.js';
import { BORROWED_OWN, ResourceHandle, checkResourceHandle } from './resources.js';
import { hostResourceObject, hostResourceRep, GuestResource, releaseHostResource } from './host-resources.js';
import type { Task } from '../concurrency/store.js';

export const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const CAMEL = new Map<string, string>();
function fieldKey(label: string): string {
  let k = CAMEL.get(label);
  if (k === undefined) { k = camel(label); CAMEL.set(label, k); }
  return k;
}

const MAX_STRING_BYTE_LENGTH = 2 ** 28 - 1;
const MAX_LIST_BYTE_LENGTH = 2 ** 28 - 1;

// ---- Bounds on one copy (ours; the spec bounds each list and string, not the whole value)
// Lists in guest memory may alias one another, so a few KiB can describe a value of 2^40
// bytes (a list<list<list<list<u8>>>> whose elements all point at one list): lifting it would
// allocate until the worker dies. Each lift (a call's parameters or results, a task.return, a
// stream or future copy) therefore has a budget of MAX_COPY_BYTES: the bytes of every list and
// string it reads, plus COPY_ELEMENT_COST for each list element lifted as a JS value of its own
// (lists of numbers move as typed arrays and cost only their bytes). That is one list as long
// as the spec allows (2^28 - 1 bytes), or about 3 million records, in one copy: more than a
// worker can hold sensibly. And a value's type may nest at most MAX_VALUE_DEPTH deep (lifting
// and lowering recurse over the type). A value beyond either bound traps before it is built.
export const MAX_COPY_BYTES = 2 ** 28;
export const COPY_ELEMENT_COST = 64;
export const MAX_VALUE_DEPTH = 100;
let copyBudget = MAX_COPY_BYTES;

/** Start the budget of one lift (see MAX_COPY_BYTES). */
export function beginCopy(): void { copyBudget = MAX_COPY_BYTES; }

function charge(bytes: number): void {
  copyBudget -= bytes;
  if (copyBudget < 0) {
    trap(`value too large to copy: its lists and strings exceed ${MAX_COPY_BYTES} bytes in all (wasip3-web's bound on one copy; lists may alias one another in memory)`);
  }
}

const DEPTH = new WeakMap<ValType, number>();
/** How deep t nests (lists, records, variants... around one another), walked with a stack of our own (a type may nest deeper than JS recursion
 * goes) and memoized per type object (shared subtypes are walked once). */
function typeDepth(root: ValType): number {
  const known = DEPTH.get(root);
  if (known !== undefined) return known;
  const kids = (t: ValType): ValType[] => {
    switch (t.k) {
      case 'list': case 'option': return [t.t];
      case 'map': return [t.key, t.value];
      case 'record': return t.fields.map((f) => f.t);
      case 'tuple': return t.ts;
      case 'variant': return t.cases.flatMap((c) => (c.t ? [c.t] : []));
      case 'result': return [t.ok, t.err].filter((u): u is ValType => u !== null);
      default: return []; // scalars, handles (a stream's elements are copied on their own)
    }
  };
  const stack: [ValType, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (DEPTH.has(t)) continue;
    if (!expanded) {
      stack.push([t, true]);
      for (const u of kids(t)) if (!DEPTH.has(u)) stack.push([u, false]);
    } else {
      // Scalars and handles are depth 0, list<u8> is 1.
      const ks = kids(t);
      let inner = 0;
      for (const u of ks) inner = Math.max(inner, DEPTH.get(u)!);
      DEPTH.set(t, ks.length === 0 ? 0 : 1 + inner);
    }
  }
  return DEPTH.get(root)!;
}

/** Above 0 while a value measured in full is built: its costs were charged already. */
let measured = 0;

const HEAP = new WeakMap<ValType, boolean>();
/** Whether a value of type t holds lists or strings of its own (pointers into memory). Types
 * are depth-checked before any lift, so the recursion is shallow. */
function holdsHeap(t: ValType): boolean {
  let h = HEAP.get(t);
  if (h !== undefined) return h;
  switch (t.k) {
    case 'string': case 'map': h = true; break;
    case 'list': h = t.len === undefined || holdsHeap(t.t); break;
    case 'record': h = t.fields.some((f) => holdsHeap(f.t)); break;
    case 'tuple': h = t.ts.some(holdsHeap); break;
    case 'variant': h = t.cases.some((c) => c.t !== null && holdsHeap(c.t)); break;
    case 'option': h = holdsHeap(t.t); break;
    case 'result': h = (t.ok !== null && holdsHeap(t.ok)) || (t.err !== null && holdsHeap(t.err)); break;
    default: h = false;
  }
  HEAP.set(t, h);
  return h;
}

/** Charge what lifting length elements of type t at ptr would cost, reading only pointers and
 * lengths, with the checks and traps load would make. */
function measureElements(cx: LiftLowerContext, ptr: number, length: number, t: ValType): void {
  if (!TYPED[t.k]) charge(length * COPY_ELEMENT_COST);
  if (!holdsHeap(t)) return;
  const size = elemSize(t);
  for (let i = 0; i < length; i++) measureValue(cx, ptr + i * size, t);
}

function measureValue(cx: LiftLowerContext, ptr: number, t: ValType): void {
  const v = cx.view;
  switch (t.k) {
    case 'string': {
      const p = v.getUint32(ptr, true);
      const units = v.getUint32(ptr + 4, true);
      let bytes = units;
      let align = 1;
      if (cx.opts.stringEncoding === 'utf16') { bytes = 2 * units; align = 2; }
      else if (cx.opts.stringEncoding !== 'utf8') { align = 2; if (units & UTF16_TAG) bytes = 2 * (units ^ UTF16_TAG); }
      trapIf(bytes > MAX_STRING_BYTE_LENGTH, 'string too long');
      trapIf(p % align !== 0, 'unaligned pointer');
      if (p + bytes > cx.bytes.length) outOfBounds(cx, 'string');
      charge(bytes);
      return;
    }
    case 'list': case 'map': {
      const et = listElem(t);
      if (t.k === 'list' && t.len !== undefined) { measureElements(cx, ptr, t.len, et); return; }
      const p = v.getUint32(ptr, true);
      const n = v.getUint32(ptr + 4, true);
      const size = elemSize(et);
      trapIf(n * size > MAX_LIST_BYTE_LENGTH, 'list too long');
      trapIf(p % alignment(et) !== 0, 'unaligned pointer');
      if (p + n * size > cx.bytes.length) outOfBounds(cx, 'list');
      charge(n * size);
      measureElements(cx, p, n, et);
      return;
    }
    case 'record': case 'tuple':
      for (const u of t.k === 'record' ? t.fields.map((f) => f.t) : t.ts) {
        ptr = alignTo(ptr, alignment(u));
        measureValue(cx, ptr, u);
        ptr += elemSize(u);
      }
      return;
    case 'variant': case 'option': case 'result': {
      const cases = (despecialize(t) as { cases: Case[] }).cases;
      const idx = loadInt(cx, ptr, discriminantSize(cases.length));
      trapIf(idx >= cases.length, 'invalid variant discriminant');
      const c = cases[idx]!;
      if (c.t) measureValue(cx, alignTo(ptr + discriminantSize(cases.length), maxCaseAlignment(cases)), c.t);
      return;
    }
  }
}

/** Trap when a type nests deeper than MAX_VALUE_DEPTH. */
export function checkDepth(t: ValType): void {
  if (typeDepth(t) > MAX_VALUE_DEPTH) trap(`value nested too deeply to copy: its type nests ${typeDepth(t)} levels, more than ${MAX_VALUE_DEPTH} (wasip3-web's bound)`);
}
const UTF16_TAG = 0x8000_0000;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf16Decoder = new TextDecoder('utf-16le', { fatal: true });
const utf8Encoder = new TextEncoder();

type TypedArrayCtor = Uint8ArrayConstructor | Int8ArrayConstructor | Uint16ArrayConstructor |
  Int16ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor | BigUint64ArrayConstructor |
  BigInt64ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;
/** Lists of these element types move as typed arrays, copied memory to memory. */
export const TYPED: Partial<Record<string, TypedArrayCtor>> = {
  u8: Uint8Array, s8: Int8Array, u16: Uint16Array, s16: Int16Array, u32: Uint32Array,
  s32: Int32Array, u64: BigUint64Array, s64: BigInt64Array, f32: Float32Array, f64: Float64Array,
};

// ---- Loading

export function load(cx: LiftLowerContext, ptr: number, t: ValType): unknown {
  const v = cx.view;
  switch (t.k) {
    case 'bool': return v.getUint8(ptr) !== 0;
    case 'u8': return v.getUint8(ptr);
    case 's8': return v.getInt8(ptr);
    case 'u16': return v.getUint16(ptr, true);
    case 's16': return v.getInt16(ptr, true);
    case 'u32': return v.getUint32(ptr, true);
    case 's32': return v.getInt32(ptr, true);
    case 'u64': return v.getBigUint64(ptr, true);
    case 's64': return v.getBigInt64(ptr, true);
    // JS numbers carry no NaN payload worth keeping, so no canonicalization is needed.
    case 'f32': return v.getFloat32(ptr, true);
    case 'f64': return v.getFloat64(ptr, true);
    case 'char': return convertI32ToChar(v.getUint32(ptr, true));
    case 'string': return loadStringFromRange(cx, v.getUint32(ptr, true), v.getUint32(ptr + 4, true));
    case 'error-context': return liftErrorContext(cx, v.getUint32(ptr, true));
    case 'list':
      if (t.len !== undefined) return loadListFromValidRange(cx, ptr, t.len, t.t);
      return loadListFromRange(cx, v.getUint32(ptr, true), v.getUint32(ptr + 4, true), t.t);
    case 'map': return mapOf(cx, loadListFromRange(cx, v.getUint32(ptr, true), v.getUint32(ptr + 4, true), listElem(t)));
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const f of t.fields) {
        ptr = alignTo(ptr, alignment(f.t));
        out[fieldKey(f.name)] = load(cx, ptr, f.t);
        ptr += elemSize(f.t);
      }
      return out;
    }
    case 'tuple': {
      const out: unknown[] = [];
      for (const u of t.ts) {
        ptr = alignTo(ptr, alignment(u));
        out.push(load(cx, ptr, u));
        ptr += elemSize(u);
      }
      return out;
    }
    case 'flags': return unpackFlags(loadInt(cx, ptr, elemSize(t)), t.names);
    case 'own': return liftOwn(cx, v.getUint32(ptr, true), t);
    case 'borrow': return liftBorrow(cx, v.getUint32(ptr, true), t);
    case 'stream': return cx.inst.store.boundary.liftStream(cx, v.getUint32(ptr, true), t);
    case 'future': return cx.inst.store.boundary.liftFuture(cx, v.getUint32(ptr, true), t);
  }
  // variant, enum, option, result
  const cases = (despecialize(t) as { cases: Case[] }).cases;
  const ds = discriminantSize(cases.length);
  const idx = loadInt(cx, ptr, ds);
  trapIf(idx >= cases.length, 'invalid variant discriminant');
  const c = cases[idx]!;
  const payloadPtr = alignTo(ptr + ds, maxCaseAlignment(cases));
  const val = c.t ? load(cx, payloadPtr, c.t) : undefined;
  return makeVariant(t, idx, c, val);
}

function loadInt(cx: LiftLowerContext, ptr: number, n: number): number {
  const v = cx.view;
  return n === 1 ? v.getUint8(ptr) : n === 2 ? v.getUint16(ptr, true) : v.getUint32(ptr, true);
}


function convertI32ToChar(i: number): string {
  if (i >= 0x110000 || (i >= 0xd800 && i <= 0xdfff)) trap(`invalid \`char\` bit pattern: ${i}`);
  return String.fromCodePoint(i);
}

function unpackFlags(i: number, names: string[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  names.forEach((n, k) => { out[fieldKey(n)] = ((i >>> k) & 1) === 1; });
  return out;
}

/** Build the JS value of a variant-like case (jco's mapping). */
function makeVariant(t: ValType, idx: number, c: Case, val: unknown): unknown {
  switch (t.k) {
    case 'enum': return c.name;
    case 'option':
      if (idx === 0) return undefined;
      return t.t.k === 'option' ? { tag: 'some', val } : val;
    case 'result': return idx === 0 ? { tag: 'ok', val } : { tag: 'err', val };
  }
  return c.t ? { tag: c.name, val } : { tag: c.name };
}

export function loadStringFromRange(cx: LiftLowerContext, ptr: number, taggedCodeUnits: number): string {
  let byteLength: number;
  let align: number;
  let enc: 'utf8' | 'utf16' | 'latin1';
  switch (cx.opts.stringEncoding) {
    case 'utf8': align = 1; byteLength = taggedCodeUnits; enc = 'utf8'; break;
    case 'utf16': align = 2; byteLength = 2 * taggedCodeUnits; enc = 'utf16'; break;
    default:
      align = 2;
      if (taggedCodeUnits & UTF16_TAG) { byteLength = 2 * (taggedCodeUnits ^ UTF16_TAG); enc = 'utf16'; }
      else { byteLength = taggedCodeUnits; enc = 'latin1'; }
  }
  trapIf(byteLength > MAX_STRING_BYTE_LENGTH, 'string too long');
  trapIf(ptr % align !== 0, 'unaligned pointer');
  if (ptr + byteLength > cx.bytes.length) outOfBounds(cx, 'string');
  if (measured === 0) charge(byteLength);
  const all = cx.bytes;
  if (enc === 'utf8' && byteLength <= SHORT_STRING) {
    // Short ASCII straight out (see storeStringIntoRange): a decoder call costs more.
    let s = '';
    let i = ptr;
    const end = ptr + byteLength;
    for (; i < end; i++) {
      const c = all[i]!;
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  const bytes = all.subarray(ptr, ptr + byteLength);
  try {
    if (enc === 'utf8') return utf8Decoder.decode(bytes);
    if (enc === 'utf16') return utf16Decoder.decode(bytes);
    let s = '';
    for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return s;
  } catch {
    return trap(enc === 'utf8' ? utf8Error(bytes) : 'invalid utf-16: lone surrogate found');
  }
}

/** A string or list range beyond the end of memory, worded as the spec's tests expect: the
 * host's lift names the range, the fused adapter between guests names the content. */
function outOfBounds(cx: LiftLowerContext, what: 'string' | 'list'): never {
  return trap(cx.host ? `${what} pointer/length out of bounds of memory` : `wasm trap: ${what} content out-of-bounds`);
}

/** Why bytes are not UTF-8: a sequence cut short by the end of the string is "incomplete",
 * anything else "invalid" (the spec tests' wording, after Rust's Utf8Error). */
function utf8Error(b: Uint8Array): string {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    // Expected length and the range of the first continuation byte (RFC 3629's table).
    let n: number; let lo = 0x80; let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) { n = 3; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return `invalid utf-8 sequence of 1 bytes from index ${i}`;
    for (let k = 1; k < n; k++) {
      if (i + k >= b.length) return `incomplete utf-8 byte sequence from index ${i}`;
      const d = b[i + k]!;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return `invalid utf-8 sequence of ${k} bytes from index ${i}`;
    }
    i += n;
  }
  return 'invalid utf-8';
}

function liftErrorContext(cx: LiftLowerContext, i: number): unknown {
  const e = cx.inst.handles.get(i);
  trapIf(!(e instanceof ErrorContextValue), 'handle is not an error-context');
  return e;
}

/** The debug message carried by an error-context (📝, gated in 0.3.0). */
export class ErrorContextValue {
  constructor(readonly message: string) {}
}

export function loadListFromRange(cx: LiftLowerContext, ptr: number, length: number, t: ValType): unknown {
  const size = elemSize(t);
  trapIf(length * size > MAX_LIST_BYTE_LENGTH, 'list too long');
  trapIf(ptr % alignment(t) !== 0, 'unaligned pointer');
  if (ptr + length * size > cx.bytes.length) outOfBounds(cx, 'list');
  if (measured === 0) charge(length * size);
  return loadListFromValidRange(cx, ptr, length, t);
}

export function loadListFromValidRange(cx: LiftLowerContext, ptr: number, length: number, t: ValType): unknown {
  // Elements that hold lists or strings of their own: measure the whole value first, without
  // building anything, so a value past the budget traps before it allocates.
  if (measured === 0 && holdsHeap(t)) {
    measureElements(cx, ptr, length, t);
    measured++;
    try {
      return buildList(cx, ptr, length, t);
    } finally {
      measured--;
    }
  }
  return buildList(cx, ptr, length, t);
}

function buildList(cx: LiftLowerContext, ptr: number, length: number, t: ValType): unknown {
  const Typed = TYPED[t.k];
  if (Typed) {
    if (t.k === 'u8') return cx.borrowBytes ? cx.bytes.subarray(ptr, ptr + length) : cx.bytes.slice(ptr, ptr + length);
    // Copy the bytes out in one move; the typed array owns an aligned copy.
    const bytes = cx.bytes.slice(ptr, ptr + length * Typed.BYTES_PER_ELEMENT);
    return new Typed(bytes.buffer);
  }
  if (measured === 0) charge(length * COPY_ELEMENT_COST);
  const size = elemSize(t);
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) out[i] = load(cx, ptr + i * size, t);
  return out;
}

// ---- Storing

export function store(cx: LiftLowerContext, v: unknown, t: ValType, ptr: number): void {
  const dv = cx.view;
  switch (t.k) {
    case 'bool': dv.setUint8(ptr, v ? 1 : 0); return;
    case 'u8': case 's8': dv.setUint8(ptr, Number(v)); return;
    case 'u16': case 's16': dv.setUint16(ptr, Number(v), true); return;
    case 'u32': case 's32': dv.setUint32(ptr, Number(v) >>> 0, true); return;
    case 'u64': case 's64': dv.setBigUint64(ptr, BigInt.asUintN(64, BigInt(v as bigint)), true); return;
    case 'f32': dv.setFloat32(ptr, Number(v), true); return;
    case 'f64': dv.setFloat64(ptr, Number(v), true); return;
    case 'char': dv.setUint32(ptr, charToI32(v), true); return;
    case 'string': {
      const [p, n] = storeStringIntoRange(cx, v);
      cx.view.setUint32(ptr, p, true);
      cx.view.setUint32(ptr + 4, n, true);
      return;
    }
    case 'error-context': dv.setUint32(ptr, lowerErrorContext(cx, v), true); return;
    case 'list': case 'map': {
      const et = listElem(t);
      if (t.k === 'list' && t.len !== undefined) { storeListIntoValidRange(cx, v, ptr, et); return; }
      const [p, n] = storeListIntoRange(cx, mapToList(t, v), et);
      cx.view.setUint32(ptr, p, true);
      cx.view.setUint32(ptr + 4, n, true);
      return;
    }
    case 'record': {
      const o = v as Record<string, unknown>;
      for (const f of t.fields) {
        ptr = alignTo(ptr, alignment(f.t));
        store(cx, fieldOf(o, f.name), f.t, ptr);
        ptr += elemSize(f.t);
      }
      return;
    }
    case 'tuple': {
      const a = v as unknown[];
      t.ts.forEach((u, i) => {
        ptr = alignTo(ptr, alignment(u));
        store(cx, a[i], u, ptr);
        ptr += elemSize(u);
      });
      return;
    }
    case 'flags': {
      const n = packFlags(v, t.names);
      const s = elemSize(t);
      if (s === 1) dv.setUint8(ptr, n); else if (s === 2) dv.setUint16(ptr, n, true); else dv.setUint32(ptr, n, true);
      return;
    }
    case 'own': dv.setUint32(ptr, lowerOwn(cx, v, t), true); return;
    case 'borrow': dv.setUint32(ptr, lowerBorrow(cx, v, t), true); return;
    case 'stream': dv.setUint32(ptr, cx.inst.store.boundary.lowerStream(cx, v, t), true); return;
    case 'future': dv.setUint32(ptr, cx.inst.store.boundary.lowerFuture(cx, v, t), true); return;
  }
  const cases = (despecialize(t) as { cases: Case[] }).cases;
  const [idx, val] = matchCase(t, v, cases);
  const ds = discriminantSize(cases.length);
  if (ds === 1) dv.setUint8(ptr, idx); else if (ds === 2) dv.setUint16(ptr, idx, true); else dv.setUint32(ptr, idx, true);
  const c = cases[idx]!;
  if (c.t) store(cx, val, c.t, alignTo(ptr + ds, maxCaseAlignment(cases)));
}

function listElem(t: ValType): ValType {
  const d = despecialize(t);
  return (d as { t: ValType }).t;
}

/** A map's entries as the list<tuple<k, v>> it is in the ABI: from a Map, an array of
 * [key, value] pairs, or a plain object. */
function mapToList(t: ValType, v: unknown): unknown {
  if (t.k !== 'map') return v;
  return v instanceof Map ? [...v.entries()] : Array.isArray(v) ? v : Object.entries(v as object);
}

/** A lifted map: a Map for the host; between guests the list of pairs itself, since a map in
 * the ABI may repeat a key and a Map would drop all but the last. */
function mapOf(cx: LiftLowerContext, entries: unknown): unknown {
  return cx.host ? new Map((entries as unknown[][]).map((e) => [e[0], e[1]])) : entries;
}

function fieldOf(o: Record<string, unknown>, label: string): unknown {
  const k = fieldKey(label);
  return k in o ? o[k] : o[label];
}

function charToI32(v: unknown): number {
  const s = String(v);
  const cp = s.codePointAt(0);
  if (cp === undefined || s.length > (cp > 0xffff ? 2 : 1)) trap(`not a single char: ${JSON.stringify(s)}`);
  return cp!;
}

function packFlags(v: unknown, names: string[]): number {
  const o = v as Record<string, unknown>;
  let n = 0;
  names.forEach((name, k) => { if (fieldOf(o, name)) n |= 1 << k; });
  return n >>> 0;
}

/** match_case: which case a JS value is, and its payload. */
function matchCase(t: ValType, v: unknown, cases: Case[]): [number, unknown] {
  switch (t.k) {
    case 'enum': {
      const i = t.names.indexOf(v as string);
      if (i < 0) throw new TypeError(`${JSON.stringify(v)} is not a case of enum { ${t.names.join(', ')} }`);
      return [i, undefined];
    }
    case 'option':
      if (v === undefined || v === null) return [0, undefined];
      if (t.t.k === 'option') {
        const o = v as { tag?: string; val?: unknown };
        if (o.tag === 'none') return [0, undefined];
        return [1, o.val];
      }
      return [1, v];
    case 'result': {
      const o = v as { tag?: string; val?: unknown };
      if (o && o.tag === 'ok') return [0, o.val];
      if (o && (o.tag === 'err' || o.tag === 'error')) return [1, o.val];
      throw new TypeError('a result value must be { tag: "ok" | "err", val }');
    }
  }
  const o = v as { tag?: string; val?: unknown };
  const i = cases.findIndex((c) => c.name === o?.tag);
  if (i < 0) throw new TypeError(`${JSON.stringify(o?.tag)} is not a case of variant { ${cases.map((c) => c.name).join(', ')} }`);
  return [i, o.val];
}

const SHORT_STRING = 256;
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Lower a JS string into guest memory in the guest's encoding; returns [ptr, tagged length]. */
export function storeStringIntoRange(cx: LiftLowerContext, v: unknown): [number, number] {
  const s = String(v);
  switch (cx.opts.stringEncoding) {
    case 'utf8': {
      // Short ASCII (names, topics, header fields: most strings a host returns) is written
      // straight in: TextEncoder's new array costs more than the whole copy for these.
      const n = s.length;
      if (n <= SHORT_STRING && isAscii(s)) {
        const ptr = cx.allocate(1, n, 'string');
        const b = cx.bytes;
        for (let i = 0; i < n; i++) b[ptr + i] = s.charCodeAt(i);
        return [ptr, n];
      }
      const bytes = utf8Encoder.encode(s);
      trapIf(bytes.length > MAX_STRING_BYTE_LENGTH, 'string too long');
      const ptr = cx.allocate(1, bytes.length, 'string');
      cx.bytes.set(bytes, ptr);
      return [ptr, bytes.length];
    }
    case 'utf16': {
      trapIf(2 * s.length > MAX_STRING_BYTE_LENGTH, 'string too long');
      const ptr = cx.allocate(2, 2 * s.length, 'string');
      writeUtf16(cx, s, ptr);
      return [ptr, s.length];
    }
    default: {
      let latin1 = true;
      for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) { latin1 = false; break; }
      if (latin1) {
        const ptr = cx.allocate(2, s.length, 'string');
        const b = cx.bytes;
        for (let i = 0; i < s.length; i++) b[ptr + i] = s.charCodeAt(i);
        return [ptr, s.length];
      }
      const ptr = cx.allocate(2, 2 * s.length, 'string');
      writeUtf16(cx, s, ptr);
      return [ptr, s.length | UTF16_TAG];
    }
  }
}

function writeUtf16(cx: LiftLowerContext, s: string, ptr: number): void {
  const dv = cx.view;
  for (let i = 0; i < s.length; i++) dv.setUint16(ptr + 2 * i, s.charCodeAt(i), true);
}

function lowerErrorContext(cx: LiftLowerContext, v: unknown): number {
  return cx.inst.handles.add(v instanceof ErrorContextValue ? v : new ErrorContextValue(String(v)));
}

export function storeListIntoRange(cx: LiftLowerContext, v: unknown, t: ValType): [number, number] {
  const length = (v as ArrayLike<unknown>).length;
  const size = elemSize(t);
  trapIf(length * size > MAX_LIST_BYTE_LENGTH, 'list too long');
  const ptr = cx.allocate(alignment(t), length * size, 'list');
  storeListIntoValidRange(cx, v, ptr, t);
  return [ptr, length];
}

/** Store list elements at ptr (already allocated and checked). */
export function storeListIntoValidRange(cx: LiftLowerContext, v: unknown, ptr: number, t: ValType): void {
  const Typed = TYPED[t.k];
  if (Typed && ArrayBuffer.isView(v) && (v as object).constructor === Typed) {
    // Same element type: one memory move.
    const view = v as ArrayBufferView;
    cx.bytes.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), ptr);
    return;
  }
  if (Typed && Array.isArray(v) && t.k !== 'u64' && t.k !== 's64') {
    const tmp = new (Typed as Float64ArrayConstructor)(v as number[]);
    cx.bytes.set(new Uint8Array(tmp.buffer), ptr);
    return;
  }
  const a = v as ArrayLike<unknown>;
  const size = elemSize(t);
  for (let i = 0; i < a.length; i++) store(cx, a[i], t, ptr + i * size);
}

// ---- Resources

function liftOwn(cx: LiftLowerContext, i: number, t: { rt: import('../types.js').ResourceType }): unknown {
  const rh = checkResourceHandle(i, cx.inst.handles.get(i), t.rt);
  trapIf(rh.numLends !== 0, BORROWED_OWN);
  cx.inst.handles.remove(i);
  trapIf(!rh.own, 'cannot lift a borrow handle as own');
  return cx.host ? toHostResource(t.rt, rh.rep, true) : rh.rep;
}

function liftBorrow(cx: LiftLowerContext, i: number, t: { rt: import('../types.js').ResourceType }): unknown {
  const rh = checkResourceHandle(i, cx.inst.handles.get(i), t.rt);
  const scope = cx.borrowScope;
  if (scope && 'addLender' in scope) scope.addLender(rh);
  return cx.host ? toHostResource(t.rt, rh.rep, false) : rh.rep;
}

function toHostResource(rt: import('../types.js').ResourceType, rep: number, own: boolean): unknown {
  if (rt.impl !== null) return new GuestResource(rt, rep, own);
  // An owned host resource handed back to the host is the host's again: its rep is forgotten
  // (a later pass to a guest registers it anew), or every message sent would stay in the table.
  return (own && releaseHostResource(rt, rep)) || hostResourceObject(rt, rep, own);
}

function lowerOwn(cx: LiftLowerContext, v: unknown, t: { rt: import('../types.js').ResourceType }): number {
  const rep = cx.host ? hostResourceRep(t.rt, v, true) : (v as number);
  return cx.inst.handles.add(new ResourceHandle(t.rt, rep, true));
}

function lowerBorrow(cx: LiftLowerContext, v: unknown, t: { rt: import('../types.js').ResourceType }): number {
  const rep = cx.host ? hostResourceRep(t.rt, v, false) : (v as number);
  if (cx.inst === t.rt.impl) return rep;
  const task = cx.borrowScope as Task;
  const h = new ResourceHandle(t.rt, rep, false, task);
  task.numBorrows++;
  return cx.inst.handles.add(h);
}

// ---- Flat lifting

/** An iterator over flat core values, as the spec's CoreValueIter. */
export class CoreValueIter {
  i = 0;
  constructor(readonly values: ArrayLike<unknown>) {}
  next(): unknown { return this.values[this.i++]; }
}

type ValueIter = { next(want: CoreValType): unknown };

export function liftFlat(cx: LiftLowerContext, vi: ValueIter, t: ValType): unknown {
  switch (t.k) {
    case 'bool': return (vi.next('i32') as number) !== 0;
    case 'u8': return (vi.next('i32') as number) & 0xff;
    case 's8': return ((vi.next('i32') as number) << 24) >> 24;
    case 'u16': return (vi.next('i32') as number) & 0xffff;
    case 's16': return ((vi.next('i32') as number) << 16) >> 16;
    case 'u32': return (vi.next('i32') as number) >>> 0;
    case 's32': return (vi.next('i32') as number) | 0;
    case 'u64': return BigInt.asUintN(64, vi.next('i64') as bigint);
    case 's64': return BigInt.asIntN(64, vi.next('i64') as bigint);
    case 'f32': return vi.next('f32');
    case 'f64': return vi.next('f64');
    case 'char': return convertI32ToChar((vi.next('i32') as number) >>> 0);
    case 'string': {
      const ptr = (vi.next('i32') as number) >>> 0;
      return loadStringFromRange(cx, ptr, (vi.next('i32') as number) >>> 0);
    }
    case 'error-context': return liftErrorContext(cx, vi.next('i32') as number);
    case 'list': case 'map': {
      const et = listElem(t);
      if (t.k === 'list' && t.len !== undefined) {
        const out: unknown[] = [];
        for (let i = 0; i < t.len; i++) out.push(liftFlat(cx, vi, et));
        return out;
      }
      const ptr = (vi.next('i32') as number) >>> 0;
      const len = (vi.next('i32') as number) >>> 0;
      const l = loadListFromRange(cx, ptr, len, et);
      return t.k === 'map' ? mapOf(cx, l) : l;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[fieldKey(f.name)] = liftFlat(cx, vi, f.t);
      return out;
    }
    case 'tuple': return t.ts.map((u) => liftFlat(cx, vi, u));
    case 'flags': return unpackFlags((vi.next('i32') as number) >>> 0, t.names);
    case 'own': return liftOwn(cx, vi.next('i32') as number, t);
    case 'borrow': return liftBorrow(cx, vi.next('i32') as number, t);
    case 'stream': return cx.inst.store.boundary.liftStream(cx, vi.next('i32') as number, t);
    case 'future': return cx.inst.store.boundary.liftFuture(cx, vi.next('i32') as number, t);
  }
  const cases = (despecialize(t) as { cases: Case[] }).cases;
  const flat = flattenType(t); // cached per type (a variant's is its cases' joined)
  let k = 1;
  const idx = (vi.next('i32') as number) >>> 0;
  trapIf(idx >= cases.length, 'invalid variant discriminant');
  const coerce: ValueIter = {
    next(want: CoreValType): unknown {
      const have = flat[k++]!;
      const x = vi.next(have);
      if (have === want) return x;
      if (have === 'i32' && want === 'f32') return i32ToF32(x as number);
      if (have === 'i64' && want === 'i32') return Number(BigInt.asIntN(32, x as bigint));
      if (have === 'i64' && want === 'f32') return i32ToF32(Number(BigInt.asIntN(32, x as bigint)));
      if (have === 'i64' && want === 'f64') return i64ToF64(x as bigint);
      return x;
    },
  };
  const c = cases[idx]!;
  const val = c.t ? liftFlat(cx, coerce, c.t) : undefined;
  while (k < flat.length) vi.next(flat[k++]!);
  return makeVariant(t, idx, c, val);
}

const conv = new DataView(new ArrayBuffer(8));
function i32ToF32(i: number): number { conv.setInt32(0, i, true); return conv.getFloat32(0, true); }
function f32ToI32(f: number): number { conv.setFloat32(0, f, true); return conv.getInt32(0, true); }
function i64ToF64(i: bigint): number { conv.setBigInt64(0, i, true); return conv.getFloat64(0, true); }
function f64ToI64(f: number): bigint { conv.setFloat64(0, f, true); return conv.getBigInt64(0, true); }

// ---- Flat lowering

export function lowerFlat(cx: LiftLowerContext, v: unknown, t: ValType, out: unknown[]): void {
  switch (t.k) {
    case 'bool': out.push(v ? 1 : 0); return;
    case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': out.push(Number(v) | 0); return;
    case 'u64': case 's64': out.push(BigInt.asIntN(64, BigInt(v as bigint))); return;
    case 'f32': case 'f64': out.push(Number(v)); return;
    case 'char': out.push(charToI32(v)); return;
    case 'string': { const [p, n] = storeStringIntoRange(cx, v); out.push(p, n | 0); return; }
    case 'error-context': out.push(lowerErrorContext(cx, v)); return;
    case 'list': case 'map': {
      const et = listElem(t);
      if (t.k === 'list' && t.len !== undefined) {
        for (const e of v as unknown[]) lowerFlat(cx, e, et, out);
        return;
      }
      const [p, n] = storeListIntoRange(cx, mapToList(t, v), et);
      out.push(p, n);
      return;
    }
    case 'record': for (const f of t.fields) lowerFlat(cx, fieldOf(v as Record<string, unknown>, f.name), f.t, out); return;
    case 'tuple': t.ts.forEach((u, i) => lowerFlat(cx, (v as unknown[])[i], u, out)); return;
    case 'flags': out.push(packFlags(v, t.names) | 0); return;
    case 'own': out.push(lowerOwn(cx, v, t)); return;
    case 'borrow': out.push(lowerBorrow(cx, v, t)); return;
    case 'stream': out.push(cx.inst.store.boundary.lowerStream(cx, v, t)); return;
    case 'future': out.push(cx.inst.store.boundary.lowerFuture(cx, v, t)); return;
  }
  const cases = (despecialize(t) as { cases: Case[] }).cases;
  const [idx, val] = matchCase(t, v, cases);
  const flat = flattenType(t); // cached per type (a variant's is its cases' joined)
  out.push(idx);
  const c = cases[idx]!;
  let k = 1;
  if (c.t) {
    const payload: unknown[] = [];
    lowerFlat(cx, val, c.t, payload);
    const have = flattenType(c.t);
    payload.forEach((fv, i) => {
      const want = flat[k++]!;
      const h = have[i]!;
      if (h === want) out.push(fv);
      else if (h === 'f32' && want === 'i32') out.push(f32ToI32(fv as number));
      else if (h === 'i32' && want === 'i64') out.push(BigInt(fv as number));
      else if (h === 'f32' && want === 'i64') out.push(BigInt(f32ToI32(fv as number)));
      else if (h === 'f64' && want === 'i64') out.push(f64ToI64(fv as number));
      else out.push(fv);
    });
  }
  while (k < flat.length) out.push(flat[k++] === 'i64' ? 0n : 0);
}

// ---- Lifting and lowering values

export function liftFlatValues(cx: LiftLowerContext, maxFlat: number, vi: CoreValueIter, ts: ValType[]): unknown[] {
  for (const t of ts) checkDepth(t);
  beginCopy();
  const { tuple, flat } = tupleOf(ts);
  if (flat > maxFlat) {
    const ptr = (vi.next() as number) >>> 0;
    trapIf(ptr % alignment(tuple) !== 0, 'unaligned pointer');
    trapIf(ptr + elemSize(tuple) > cx.bytes.length, 'pointer out of bounds of memory');
    return load(cx, ptr, tuple) as unknown[];
  }
  return ts.map((t) => liftFlat(cx, vi, t));
}

export function lowerFlatValues(cx: LiftLowerContext, maxFlat: number, vs: unknown[], ts: ValType[], outParam?: CoreValueIter): unknown[] {
  for (const t of ts) checkDepth(t);
  const { tuple, flat } = tupleOf(ts);
  if (flat > maxFlat) {
    let ptr: number;
    let result: unknown[];
    if (outParam === undefined) {
      ptr = cx.allocate(alignment(tuple), elemSize(tuple));
      result = [ptr];
    } else {
      ptr = (outParam.next() as number) >>> 0;
      result = [];
    }
    trapIf(ptr % alignment(tuple) !== 0, 'unaligned pointer');
    trapIf(ptr + elemSize(tuple) > cx.bytes.length, 'pointer out of bounds of memory');
    store(cx, vs, tuple, ptr);
    return result;
  }
  const out: unknown[] = [];
  ts.forEach((t, i) => lowerFlat(cx, vs[i], t, out));
  return out;
}
