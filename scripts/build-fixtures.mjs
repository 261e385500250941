#!/usr/bin/env node
// npm run fixtures: builds the test components from source into test/fixtures/build/.
//   test/fixtures/wat/*.wat       component text  -> <name>.wasm   (wasm-tools parse)
//   test/fixtures/wat/core/*.wat  core module text -> core/<name>.wasm (raw baselines)
//   test/fixtures/c/<name>.c      C + test/fixtures/c/wit -> <name>.wasm (clang-19, then
//                                 componentEmbed + componentNew with the real WASI 0.3.0 WIT)
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';
import { root } from './lib/browser.mjs';

const src = join(root, 'test/fixtures');
const out = join(src, 'build');
mkdirSync(join(out, 'core'), { recursive: true });

const newer = (target, ...sources) => existsSync(target) && sources.every((s) => statSync(s).mtimeMs <= statSync(target).mtimeMs);
let built = 0;

/** One WIT source: the fixture worlds, then the WASI 0.3.0 packages they use (cli, clocks,
 * random, from wit/) as nested `package ... { }` blocks, without their worlds. */
function fixtureWit(witDir) {
  const parts = readdirSync(witDir).filter((w) => w.endsWith('.wit')).sort().map((w) => readFileSync(join(witDir, w), 'utf8'));
  for (const pkg of ['cli', 'clocks', 'random']) {
    const dir = join(root, 'wit', pkg);
    let name = null;
    const bodies = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.wit')).sort()) {
      const text = readFileSync(join(dir, f), 'utf8');
      name = /^package\s+([^;]+);/m.exec(text)?.[1] ?? name;
      if (/^\s*world\s/m.test(text)) continue;
      bodies.push(text.replace(/^package\s+[^;]+;/m, ''));
    }
    parts.push(`package ${name} {\n${bodies.join('\n')}\n}`);
  }
  return parts.join('\n');
}

async function wat(dir, outDir) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.wat'))) {
    const target = join(outDir, f.replace(/\.wat$/, '.wasm'));
    if (newer(target, join(dir, f))) continue;
    writeFileSync(target, await parse(readFileSync(join(dir, f), 'utf8')));
    built++;
  }
}
await wat(join(src, 'wat'), out);
await wat(join(src, 'wat/core'), join(out, 'core'));

const cdir = join(src, 'c');
if (existsSync(cdir)) {
  const cfiles = readdirSync(cdir).filter((x) => x.endsWith('.c'));
  const witDir = join(cdir, 'wit');
  const clang = process.env.CLANG || 'clang-19';
  for (const f of cfiles) {
    const name = f.replace(/\.c$/, '');
    const target = join(out, `${name}.wasm`);
    const deps = [join(cdir, f), join(cdir, 'p3.h'), ...readdirSync(witDir).map((w) => join(witDir, w))].filter(existsSync);
    if (newer(target, ...deps)) continue;
    const core = join(out, `${name}.core.wasm`);
    try {
      execFileSync(clang, ['--target=wasm32-wasi', '-O2', '-nostdlib', '-Wl,--no-entry', '-Wl,--export-dynamic',
        '-fuse-ld=lld', `-I${cdir}`, join(cdir, f), '-o', core], { stdio: 'inherit' });
    } catch (e) {
      console.error(`\nCould not compile ${f} with ${clang}. Install Debian's clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 (scripts/setup.sh does), or set CLANG.`);
      process.exit(1);
    }
    // The world is named after the file: `world <name>` in test/fixtures/c/wit/worlds.wit.
    const witSource = fixtureWit(witDir);
    try {
      const embedded = await componentEmbed({ binary: readFileSync(core), witSource, world: name });
      writeFileSync(target, await componentNew(embedded, undefined));
    } catch (e) {
      console.error(`Could not make a component of ${f}: ${e?.message ?? e} ${e?.payload ?? ''}`);
      process.exit(1);
    }
    built++;
  }
}
console.log(`fixtures: ${built} built, in ${out}`);
