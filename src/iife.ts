// The script-tag build: defines globalThis.WasiP3Web. Its worker is dist/component-worker.js,
// found beside this script (and serveFromServiceWorker's, service-worker.js, likewise).
import { borrow, loadComponent, network, openBucket, openDirectory, serveFromServiceWorker, setWorkerUrl } from './index.js';

const script = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src;
if (script) setWorkerUrl(new URL('component-worker.js', script));

/** The page API, for pages without a bundler. */
export const WasiP3Web = { loadComponent, borrow, setWorkerUrl, openDirectory, openBucket, network, serveFromServiceWorker };
(globalThis as unknown as { WasiP3Web: typeof WasiP3Web }).WasiP3Web = WasiP3Web;
