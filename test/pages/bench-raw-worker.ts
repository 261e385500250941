// Raw baselines for the page-level benchmarks: what the platform does without us.
import * as Comlink from 'comlink';

const api = {
  /** Post n bytes to the page as transferred chunks (the stdout-throughput baseline). */
  post(port: MessagePort, total: number, chunk: number): void {
    for (let off = 0; off < total; off += chunk) {
      const b = new Uint8Array(chunk);
      b[0] = off & 0xff;
      port.postMessage(b.buffer, [b.buffer]);
    }
    port.postMessage(null);
  },
  /** Fetch and compile a core module (the load baseline). */
  async compile(url: string): Promise<number> {
    const m = await WebAssembly.compile(await (await fetch(url)).arrayBuffer());
    return WebAssembly.Module.exports(m).length;
  },
  /** A trivial function (the export-round-trip baseline). */
  add1(x: number): number { return x + 1; },
};
export type RawApi = typeof api;
Comlink.expose(api);
