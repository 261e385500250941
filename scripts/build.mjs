#!/usr/bin/env node
// npm run build: the library builds in dist/ (see vite.config.ts).
import { build } from 'vite';
import { build as esbuild } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './lib/browser.mjs';

rmSync(join(root, 'dist'), { recursive: true, force: true });
const lib = (entry, fileName, formats, name) => build({
  root, configFile: false, logLevel: 'error',
  build: {
    outDir: 'dist', emptyOutDir: false, target: 'es2022', sourcemap: true, minify: true,
    lib: { entry: join(root, entry), fileName: () => fileName, formats, name },
    rollupOptions: { output: { codeSplitting: false } },
  },
});
// The worker is one self-contained script (no imports), built as an IIFE: fully minified (the
// ES lib format keeps whitespace), so a new worker has less to parse; it still loads as a
// module worker. V8's explicit compile hint then compiles all its functions as it loads rather
// than each at its first call: nearly all of it runs for any component (decoder, linker,
// canonical ABI, host), and one eager compile costs less than hundreds of lazy ones. Measured
// here: stdout-throughput ~0.45 -> ~0.6, load about the same (~1.3).
await lib('workers/component-worker.ts', 'component-worker.js', ['iife'], 'WasiP3WebWorker');
const workerFile = join(root, 'dist/component-worker.js');
writeFileSync(workerFile, `//# allFunctionsCalledOnLoad\n${readFileSync(workerFile, 'utf8')}`);
const map = JSON.parse(readFileSync(`${workerFile}.map`, 'utf8'));
map.mappings = `;${map.mappings}`; // the source map skips the added line
writeFileSync(`${workerFile}.map`, JSON.stringify(map));
// The page API with esbuild, which leaves `new Worker(new URL('./component-worker.js',
// import.meta.url))` as written: the form an app's bundler (Vite, webpack 5) recognises and
// rewrites to the worker it emits. (Vite's own build would try to bundle the worker here.)
const page = (entry, outfile, format, globalName) => esbuild({
  entryPoints: [join(root, entry)], outfile: join(root, 'dist', outfile), bundle: true, format, globalName,
  minify: true, sourcemap: true, target: 'es2022', legalComments: 'none', logLevel: 'error',
  // The script-tag build finds its worker beside its <script> (src/iife.ts), never through
  // import.meta, which a classic script does not have.
  ...(format === 'iife' ? { define: { 'import.meta.url': 'undefined' } } : {}),
});
await page('src/index.ts', 'wasip3-web.js', 'esm');
await page('src/iife.ts', 'wasip3-web.iife.js', 'iife', 'WasiP3WebBundle');
// The runtime for embedders (wasip3-web/runtime), and the Vite plugin (runs in Node).
await page('src/runtime/index.ts', 'runtime.js', 'esm');
await esbuild({
  entryPoints: [join(root, 'src/vite.ts')], outfile: join(root, 'dist/vite.js'), bundle: true, format: 'esm',
  platform: 'node', target: 'node20', packages: 'external', logLevel: 'error',
});
// Type declarations for every entry (dist/types/src/...).
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
console.log('built dist/wasip3-web.js, dist/component-worker.js, dist/wasip3-web.iife.js, dist/runtime.js, dist/vite.js, dist/types/');
