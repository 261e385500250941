// The page's walk over a component's sections (src/page/source.ts) must find the same core
// modules, in the same order, as the runtime's decoder: the worker pairs them by position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coreModuleBytes } from '../../src/page/source.ts';
import { decodeComponent } from '../../src/runtime/binary/decode.ts';
import type { ComponentAst } from '../../src/runtime/binary/ast.ts';

const root = join(import.meta.dirname, '../..');
const suite = join(root, 'test/wasi-testsuite/wasm32-wasip3');

function decoded(ast: ComponentAst): Uint8Array[] {
  return ast.definitions.flatMap((d) => (d.kind === 'core-module' ? [d.bytes] : d.kind === 'component' ? decoded(d.component) : []));
}

test('the page finds every core module of the suite components in the decoder\'s order', () => {
  const files = readdirSync(suite).filter((f) => f.endsWith('.wasm'));
  assert.ok(files.length >= 50);
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(join(suite, f)));
    const walked = coreModuleBytes(bytes);
    const want = decoded(decodeComponent(bytes));
    assert.ok(walked, f);
    assert.equal(walked.length, want.length, f);
    walked.forEach((m, i) => assert.deepEqual(m, want[i], `${f} module ${i}`));
  }
});

test('bytes that are not a component\'s sections give null, never a throw', () => {
  const cli = new Uint8Array(readFileSync(join(suite, 'cli-env.wasm')));
  assert.equal(coreModuleBytes(new Uint8Array([1, 2, 3])), null);
  assert.equal(coreModuleBytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), null); // a core module
  assert.equal(coreModuleBytes(cli.subarray(0, cli.length - 7)), null); // cut short
  const bad = cli.slice(); bad[9] = 0xff; bad[10] = 0xff; bad[11] = 0xff; bad[12] = 0xff; bad[13] = 0xff; bad[14] = 0x7f;
  assert.equal(coreModuleBytes(bad), null); // a section size beyond the end
});
