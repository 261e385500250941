#!/usr/bin/env node
// npm run build: the library builds in dist/ (see vite.config.ts).
import { build } from 'vite';
import { build as esbuild } from 'esbuild';
import { rmSync } from 'node:fs';
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
// The worker is an ES module, fully minified; the host packages that few components import
// (filesystem, http, sockets, keyvalue, messaging) are chunks of their own, loaded when a
// component imports them (src/host/registry.ts), so every other component's worker downloads
// and compiles less. No compile hints: V8 compiles each function at its first call, and a
// worker that compiled all of its ~165 KB eagerly took 25-80 ms longer to start (measured with
// the cacheable dist/ files: start to first answer 95-107 ms lazy against 124-279 ms eager).
const worker = await esbuild({
  entryPoints: { 'component-worker': join(root, 'workers/component-worker.ts') }, outdir: join(root, 'dist'),
  chunkNames: 'component-worker-[name]-[hash]', bundle: true, splitting: true, format: 'esm', minify: true,
  sourcemap: true, target: 'es2022', legalComments: 'none', logLevel: 'error',
});

// The Service Worker of serveFromServiceWorker: one self-contained module (a Service Worker may
// not import() chunks), outside the size budget: only pages that serve from it load it.
await esbuild({
  entryPoints: { 'service-worker': join(root, 'workers/service-worker.ts') }, outdir: join(root, 'dist'),
  bundle: true, format: 'esm', minify: true, sourcemap: true, target: 'es2022', legalComments: 'none', logLevel: 'error',
});

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
console.log('built dist/wasip3-web.js, dist/component-worker.js, dist/service-worker.js, dist/wasip3-web.iife.js, dist/runtime.js, dist/vite.js, dist/types/');
