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
  /** The same, each buffer filled first (what an owned chunk costs: new memory, written). */
  postFilled(port: MessagePort, total: number, chunk: number): void {
    for (let off = 0; off < total; off += chunk) {
      const b = new Uint8Array(chunk);
      b.fill(off & 0xff);
      port.postMessage(b.buffer, [b.buffer]);
    }
    port.postMessage(null);
  },
  /** Count what arrives on a port until null (the stream-worker-to-worker baseline's reader). */
  receive(port: MessagePort): Promise<number> {
    return new Promise((resolve) => {
      let got = 0;
      port.onmessage = (e: MessageEvent<ArrayBuffer | null>) => {
        if (e.data === null) { port.close(); resolve(got); } else got += e.data.byteLength;
      };
    });
  },
  /** Fetch and compile a core module (the load baseline). */
  async compile(url: string): Promise<number> {
    const m = await WebAssembly.compile(await (await fetch(url)).arrayBuffer());
    return WebAssembly.Module.exports(m).length;
  },
  /** Fetch a component and compile each of its core modules, nested ones too, in parallel
   * (the load-real baseline: what any host must do before it can run the component). */
  async compileComponent(url: string): Promise<number> {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const modules: Uint8Array[] = [];
    const walk = (b: Uint8Array): void => {
      let p = 8; // magic and version
      const leb = (): number => { let r = 0; let s = 0; for (;;) { const x = b[p++]!; r |= (x & 0x7f) << s; s += 7; if (x < 0x80) return r >>> 0; } };
      while (p < b.length) {
        const id = b[p++]!;
        const size = leb();
        const body = b.subarray(p, p + size);
        if (id === 1) modules.push(body); // a core module
        else if (id === 4) walk(body); // a nested component
        p += size;
      }
    };
    walk(bytes);
    const compiled = await Promise.all(modules.map((m) => WebAssembly.compile(m)));
    return compiled.length;
  },
  /** A trivial function (the export-round-trip baseline). */
  add1(x: number): number { return x + 1; },
};
export type RawApi = typeof api;
Comlink.expose(api);
