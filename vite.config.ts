// Vite serves the demo (npm run demo) and builds the library (npm run build, scripts/build.mjs):
//   dist/wasip3-web.js       ESM page API (import { loadComponent } from 'wasip3-web')
//   dist/component-worker.js the component worker (ESM; module workers)
//   dist/wasip3-web.iife.js  the script-tag build: globalThis.WasiP3Web
import { defineConfig } from 'vite';

export default defineConfig({
  root: '.',
  server: { host: '127.0.0.1', port: 5173 },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: false, sourcemap: true },
});
