#!/usr/bin/env node
// npm run demo: serves the demo page (demo/index.html) with Vite on loopback.
import { createServer } from 'vite';
import { devWorker, root } from './lib/browser.mjs';

const port = Number(process.env.PORT || 5173);
const server = await createServer({ root, configFile: false, logLevel: 'info', server: { host: '127.0.0.1', port, strictPort: false }, plugins: [devWorker] });
await server.listen();
const addr = server.httpServer.address();
console.log(`\n  wasip3-web demo: http://127.0.0.1:${addr.port}/demo/\n`);
