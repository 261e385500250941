// The spec's .wast tests through the decoder and the validator in node: every component a script
// defines must validate, and every `assert_invalid` must fail with a ValidationError (not a decode
// error, not only later at link time). Reads the spec suite from test/conformance/component-model
// (or, without it, ../shared/conformance/component-model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
// @ts-expect-error: a plain JS tooling module
import { parseWast } from '../../scripts/lib/wast.mjs';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { decodeComponent } from '../../src/runtime/binary/decode.ts';
import { validateComponent } from '../../src/runtime/validate/index.ts';
import { ValidationError } from '../../src/runtime/errors.ts';

const root = join(import.meta.dirname, '../..');
const dir = [join(root, 'test/conformance/component-model'), join(root, '../shared/conformance/component-model')].find(existsSync);
const files: string[] = [];
const walk = (p: string) => {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  else if (p.endsWith('.wast')) files.push(p);
};
if (dir) walk(dir);
const NOT_YET = new Set<string>();

type Source = { text?: string; binary?: Uint8Array };
type Cmd = { kind: string; line: number; source?: Source; component?: { source: Source }; message?: string };

async function bytesOf(src: Source): Promise<Uint8Array | null> {
  if (src.binary) return src.binary;
  try { return await parse(src.text!); } catch { return null; } // wasm-tools cannot build it: not ours to judge
}

for (const file of files) {
  const name = relative(dir!, file);
  test(`validation of ${name}`, { skip: NOT_YET.has(name) && 'nyi' }, async () => {
    const problems: string[] = [];
    for (const c of parseWast(readFileSync(file, 'utf8')) as Cmd[]) {
      const src = c.kind === 'component' ? c.source : c.kind === 'assert_invalid' ? c.component?.source : undefined;
      if (!src) continue;
      const bytes = await bytesOf(src);
      if (!bytes) continue;
      let err: unknown = null;
      try { validateComponent(decodeComponent(bytes), { validateModules: true }); } catch (e) { err = e; }
      // Node's engine lacks core features Chromium has (e.g. exception tags): its verdict on a
      // core module of a valid component is not ours.
      const engine = err instanceof ValidationError && err.rule.startsWith('core module is not valid');
      if (c.kind === 'component' && err && !engine) problems.push(`line ${c.line}: valid component rejected: ${(err as Error).message}`);
      if (c.kind === 'assert_invalid' && !(err instanceof ValidationError)) {
        problems.push(`line ${c.line}: expected a ValidationError ("${c.message}"), got ${err ? `${(err as Error).name}: ${(err as Error).message}` : 'none'}`);
      }
    }
    assert.deepEqual(problems, []);
  });
}
