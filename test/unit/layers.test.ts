// The import graph (pure logic over the sources): no cycles anywhere in src/ and workers/, and
// the runtime's layers run one way: types -> abi -> concurrency -> boundary -> canon and the
// rest. Type-only imports are erased and do not count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const files: string[] = [];
const walk = (d: string): void => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(relative(root, p));
  }
};
walk(join(root, 'src'));
walk(join(root, 'workers'));

/** Each file's value imports of other files here (`import type` and `export type` left out). */
const graph = new Map<string, string[]>(files.map((f) => {
  const src = readFileSync(join(root, f), 'utf8');
  const deps = [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'(\.[^']+)'/gms)]
    .map((m) => relative(root, resolve(dirname(join(root, f)), m[1]!.replace(/\.js$/, '.ts'))))
    .filter((d) => files.includes(d));
  return [f, deps];
}));

test('the import graph has no cycles', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].join(' -> ')); return; }
    state.set(f, 'open');
    for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

test("the runtime's layers import only downwards", () => {
  const layer = (f: string): number => {
    if (!f.startsWith('src/runtime/')) return -1;
    if (f === 'src/runtime/types.ts' || f === 'src/runtime/errors.ts' || f.startsWith('src/runtime/binary/')) return 0;
    if (f.startsWith('src/runtime/abi/')) return 1;
    if (f.startsWith('src/runtime/concurrency/')) return 2;
    if (f === 'src/runtime/boundary.ts') return 3;
    return 4; // canon, builtins, instantiate, validate, index
  };
  const upward: string[] = [];
  for (const [f, deps] of graph) {
    for (const d of deps) if (layer(f) >= 0 && layer(d) > layer(f)) upward.push(`${f} -> ${d}`);
  }
  assert.deepEqual(upward, []);
  // And the test sees the runtime at all (a wrong root would pass vacuously).
  assert.ok(graph.get('src/runtime/abi/values.ts')!.length > 0);
});
