// Pure logic in node: the binary decoder and the Canonical ABI's type functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeComponent, isComponent } from '../../src/runtime/binary/decode.ts';
import { MalformedError } from '../../src/runtime/binary/reader.ts';
import { alignment, elemSize, flattenFuncType, flattenType, prim, type ValType } from '../../src/runtime/types.ts';

const preamble = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

test('an empty component decodes to no definitions', () => {
  assert.deepEqual(decodeComponent(new Uint8Array(preamble)).definitions, []);
});

test('a core module is told apart from a component', () => {
  const core = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.equal(isComponent(core), false);
  assert.throws(() => decodeComponent(core), (e: unknown) => e instanceof MalformedError && /core WebAssembly module/.test(e.message));
});

test('malformed input names the byte offset', () => {
  assert.throws(() => decodeComponent(new Uint8Array([...preamble, 0x0d, 0x00])),
    (e: unknown) => e instanceof MalformedError && e.offset === 8 && /section id: 13/.test(e.message));
  assert.throws(() => decodeComponent(new Uint8Array([0x00, 0x61, 0x73])), (e: unknown) => e instanceof MalformedError && /end-of-file/.test(e.message));
  // custom section whose name claims 5 bytes but has 2
  assert.throws(() => decodeComponent(new Uint8Array([...preamble, 0x00, 0x03, 0x05, 0x61, 0x62])), MalformedError);
});

test('a type section with a record and an async function type decodes', () => {
  // (type (record (field "a" u32))) (type (func async (param "x" 0) (result string)))
  const bytes = new Uint8Array([...preamble, 0x07, 0x0d, 0x02, 0x72, 0x01, 0x01, 0x61, 0x79,
    0x43, 0x01, 0x01, 0x78, 0x00, 0x00, 0x73]);
  const defs = decodeComponent(bytes).definitions;
  assert.equal(defs.length, 2);
  assert.deepEqual(defs[0], { kind: 'type', type: { k: 'record', fields: [{ name: 'a', t: { prim: 'u32' } }] } });
  assert.deepEqual(defs[1], { kind: 'type', type: { k: 'func', async: true, params: [{ name: 'x', t: { idx: 0 } }], result: { prim: 'string' } } });
});

test('sizes, alignments and flattening follow the Canonical ABI', () => {
  const rec: ValType = { k: 'record', fields: [{ name: 'a', t: prim('u8') }, { name: 'b', t: prim('u64') }, { name: 'c', t: prim('u16') }] };
  assert.equal(alignment(rec), 8);
  assert.equal(elemSize(rec), 24);
  const v: ValType = { k: 'variant', cases: [{ name: 'a', t: prim('f32') }, { name: 'b', t: prim('u32') }, { name: 'c', t: prim('f64') }] };
  assert.deepEqual(flattenType(v), ['i32', 'i64']);
  assert.deepEqual(flattenType({ k: 'option', t: prim('f32') }), ['i32', 'f32']);
  assert.equal(elemSize({ k: 'flags', names: Array.from({ length: 9 }, (_, i) => `f${i}`) }), 2);
  assert.deepEqual(flattenType(prim('string')), ['i32', 'i32']);
  const ft = { k: 'func' as const, async: true, params: [1, 2, 3, 4, 5].map((i) => ({ name: `p${i}`, t: prim('u32') })), result: prim('string') };
  assert.deepEqual(flattenFuncType(ft, { async: true }, 'lower'), { params: ['i32', 'i32'], results: ['i32'] });
  assert.deepEqual(flattenFuncType(ft, { async: false }, 'lift'), { params: ['i32', 'i32', 'i32', 'i32', 'i32'], results: ['i32'] });
});
