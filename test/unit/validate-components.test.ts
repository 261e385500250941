// Real components nobody here wrote must validate: every component of the WASI 0.3 test suite,
// and our own fixtures, through the decoder and the validator (node runs both; only
// instantiation needs a browser's JSPI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeComponent, isComponent } from '../../src/runtime/binary/decode.ts';
import { validateComponent } from '../../src/runtime/validate/index.ts';

const root = join(import.meta.dirname, '../..');
const suiteDirs = [join(root, 'test/wasi-testsuite/wasm32-wasip3'), join(root, '../shared/wasi-testsuite/wasm32-wasip3')];
const suite = suiteDirs.find((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.wasm')));
const fixtures = join(root, 'test/fixtures/build');

function components(dir: string | undefined): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.wasm')).map((f) => join(dir, f))
    .filter((p) => isComponent(readFileSync(p)));
}

for (const [what, files] of [['wasi-testsuite', components(suite)], ['fixtures', components(fixtures)]] as const) {
  test(`every ${what} component validates (${files.length})`, { skip: files.length === 0 && `no ${what} components found` }, () => {
    const failures: string[] = [];
    for (const f of files) {
      try {
        validateComponent(decodeComponent(readFileSync(f)), { validateModules: true });
      } catch (e) {
        failures.push(`${f}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });
}
