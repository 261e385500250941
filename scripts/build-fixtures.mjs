#!/usr/bin/env node
// npm run fixtures: builds the test components from source into test/fixtures/build/.
//   test/fixtures/wat/*.wat       component text  -> <name>.wasm   (wasm-tools parse)
//   test/fixtures/wat/core/*.wat  core module text -> core/<name>.wasm (raw baselines)
//   test/fixtures/c/<name>.c      C + test/fixtures/c/wit -> <name>.wasm (clang-19, then
//                                 componentEmbed + componentNew with the real WIT under wit/:
//                                 WASI 0.3.0, WASI 0.2 (wit/wasi-0.2), keyvalue, messaging)
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';
import { root } from './lib/browser.mjs';

const src = join(root, 'test/fixtures');
const out = join(src, 'build');
mkdirSync(join(out, 'core'), { recursive: true });

const newer = (target, ...sources) => existsSync(target) && sources.every((s) => statSync(s).mtimeMs <= statSync(target).mtimeMs);
let built = 0;

/** Every WIT package under wit/ (WASI 0.3.0 by folder, WASI 0.2 in wit/wasi-0.2, the keyvalue
 * and messaging drafts), as `package name { ... }` blocks without their worlds. */
function witPackages() {
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.wit')) files.push(join(d, e.name));
    }
  };
  walk(join(root, 'wit'));
  // A folder is one package, named in one of its files; a file may also name a package alone.
  const folderPackage = new Map();
  for (const f of files) {
    const name = /^package\s+([^;]+);/m.exec(readFileSync(f, 'utf8'))?.[1];
    if (name && !folderPackage.has(dirname(f))) folderPackage.set(dirname(f), name);
  }
  const bodies = new Map();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const name = /^package\s+([^;]+);/m.exec(text)?.[1] ?? folderPackage.get(dirname(f));
    if (!name) continue;
    bodies.set(name, [...(bodies.get(name) ?? []), withoutWorlds(text.replace(/^package\s+[^;]+;/m, ''))]);
  }
  return [...bodies].map(([name, parts]) => `package ${name} {\n${parts.join('\n')}\n}`);
}

/** WIT text without its top-level worlds (and the attributes written before them). */
function withoutWorlds(text) {
  let out = '';
  let k = 0;
  const re = /^((?:[ \t]*@[^\n]*\n)*)[ \t]*world\s+[a-z][a-z0-9-]*\s*\{/gm;
  for (let m; (m = re.exec(text));) {
    out += text.slice(k, m.index);
    let depth = 0;
    let j = m.index + m[0].length - 1;
    for (; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) break;
    }
    k = j + 1;
    re.lastIndex = k;
  }
  return out + text.slice(k);
}

/** One WIT source: the fixture worlds (worlds.wit first: it names the package, the other files
 * add worlds to it), then every WIT package under wit/ as nested blocks. */
function fixtureWit(witDir) {
  const files = readdirSync(witDir).filter((w) => w.endsWith('.wit')).sort((a, b) => (a === 'worlds.wit' ? -1 : b === 'worlds.wit' ? 1 : a.localeCompare(b)));
  return [...files.map((w) => readFileSync(join(witDir, w), 'utf8')), ...witPackages()].join('\n');
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
    const deps = [join(cdir, f), ...readdirSync(cdir).filter((h) => h.endsWith('.h')).map((h) => join(cdir, h)), ...readdirSync(witDir).map((w) => join(witDir, w))].filter(existsSync);
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
