// A component's bytes are fetched, and its core modules compiled, on the page while the
// component's worker starts: the worker's start-up (its scripts fetched and compiled) is the
// longest part of a load, and nothing of the component's own depends on it. Compiled
// WebAssembly.Modules cross to the worker without a copy; the worker decodes, validates,
// links and instantiates, and compiles for itself whatever arrives without a module.
import type { Progress } from '../channel/protocol.js';

/** Fetch a component's bytes, reporting progress as they arrive. */
export async function fetchComponent(url: string, onProgress?: (p: Progress) => void): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not fetch ${url}: ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body || !onProgress) return res.arrayBuffer();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.byteLength;
    onProgress({ phase: 'fetch', loaded, total });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out.buffer;
}

/** The core modules of a component binary, nested components' too, in the order the
 * runtime meets their definitions (pre-order); null when the bytes are not a well-formed
 * component's sections (the worker then reports what is wrong). */
export function coreModuleBytes(bytes: Uint8Array): Uint8Array[] | null {
  const modules: Uint8Array[] = [];
  const walk = (b: Uint8Array): boolean => {
    // magic, then version 0x0d and layer 1: a component
    if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d || b[6] !== 1 || b[7] !== 0) return false;
    let p = 8;
    while (p < b.length) {
      const id = b[p++]!;
      let size = 0;
      for (let shift = 0; ; shift += 7) {
        if (p >= b.length || shift > 28) return false;
        const x = b[p++]!;
        size += (x & 0x7f) * 2 ** shift;
        if (x < 0x80) break;
      }
      if (p + size > b.length) return false;
      const body = b.subarray(p, p + size);
      if (id === 1) modules.push(body);
      else if (id === 4 && !walk(body)) return false;
      p += size;
    }
    return true;
  };
  return walk(bytes) ? modules : null;
}

/** Start compiling a component's core modules (WebAssembly.compile copies the bytes at once,
 * so the buffer may be transferred right after). Resolves to null if any fails: the worker
 * then compiles them and reports the failure with its offset. */
export function compileCoreModules(bytes: Uint8Array): Promise<WebAssembly.Module[] | null> {
  const modules = coreModuleBytes(bytes);
  if (!modules) return Promise.resolve(null);
  try {
    return Promise.all(modules.map((m) => WebAssembly.compile(m as Uint8Array<ArrayBuffer>))).catch(() => null);
  } catch {
    return Promise.resolve(null); // a page whose CSP forbids compiling leaves it to the worker
  }
}
