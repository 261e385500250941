#!/usr/bin/env node
// npm run build: the library builds in dist/ (see vite.config.ts).
import { build } from 'vite';
import { rmSync } from 'node:fs';
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
await lib('workers/component-worker.ts', 'component-worker.js', ['es']);
await lib('src/index.ts', 'wasip3-web.js', ['es']);
await lib('src/iife.ts', 'wasip3-web.iife.js', ['iife'], 'WasiP3WebBundle');
console.log('built dist/wasip3-web.js, dist/component-worker.js, dist/wasip3-web.iife.js');
