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
  // The worker-to-worker baseline (stream-worker-to-worker, tcp-loopback): a byte stream
  // between two workers with the memory pattern of ours.
  /** Receive on `port` until `total` bytes came, copying each buffer into one buffer of `read`
   * bytes, a piece at a time (as a guest's reads of `read` bytes copy into its memory), and
   * handing it straight back (its credit); resolves with the bytes. */
  sink(port: MessagePort, total: number, read: number): Promise<number> {
    let got = 0;
    const into = new Uint8Array(read);
    return new Promise((done) => {
      port.onmessage = (e: MessageEvent<ArrayBuffer>) => {
        const b = new Uint8Array(e.data);
        for (let o = 0; o < b.length; o += read) into.set(b.subarray(o, o + read));
        got += b.length;
        port.postMessage(e.data, [e.data]);
        if (got >= total) done(got);
      };
    });
  },
  /** Send `total` bytes on `port` as transferred buffers of `chunk` bytes, at most `window` in
   * flight (ours: a socket's 1 MiB and 4 MiB, a stream's chunkFor(window) and window), filling
   * each buffer (64 KiB copies, as a guest's writes are) from a source; the buffers come back,
   * as ours do (src/channel/byte-port.ts): no new memory once the window's buffers exist. */
  source(port: MessagePort, total: number, chunk = 1 << 20, window = 4 << 20): Promise<void> {
    const src = new Uint8Array(1 << 16);
    const pool: ArrayBuffer[] = [];
    let sent = 0, inFlight = 0;
    return new Promise((done) => {
      const pump = () => {
        while (sent < total && inFlight < window) {
          const b = pool.pop() ?? new ArrayBuffer(chunk);
          const v = new Uint8Array(b);
          for (let o = 0; o < chunk; o += src.length) v.set(src.subarray(0, Math.min(src.length, chunk - o)), o);
          port.postMessage(b, [b]);
          sent += chunk;
          inFlight += chunk;
        }
        if (sent >= total) done();
      };
      port.onmessage = (e: MessageEvent<ArrayBuffer>) => { inFlight -= e.data.byteLength; pool.push(e.data); pump(); };
      pump();
    });
  },
  /** Write n pattern bytes (byte i is i mod 251, copied from a pattern buffer as the
   * stream-source component does) into a SharedArrayBuffer ring, `chunk` at a time (the
   * stream-worker-to-worker-isolated baseline's writer). The ring: Int32 head at slot 0, tail at
   * slot 16, bytes from offset 128; it waits with Atomics.wait, as a plain worker may. */
  ringProduce(sab: SharedArrayBuffer, total: number, chunk: number): void {
    const h = new Int32Array(sab, 0, 32);
    const data = new Uint8Array(sab, 128);
    const cap = data.byteLength;
    const pattern = new Uint8Array(chunk + 251);
    for (let i = 0; i < pattern.length; i++) pattern[i] = i % 251;
    let head = 0;
    for (let sent = 0; sent < total;) {
      const n = Math.min(chunk, total - sent);
      for (;;) {
        const t = Atomics.load(h, 16);
        if (((head - t) >>> 0) + n <= cap) break;
        Atomics.wait(h, 16, t);
      }
      const pos = head & (cap - 1);
      const src = pattern.subarray(sent % 251, sent % 251 + n);
      const first = Math.min(n, cap - pos);
      data.set(src.subarray(0, first), pos);
      if (first < n) data.set(src.subarray(first), 0);
      head = (head + n) | 0;
      Atomics.store(h, 0, head);
      Atomics.notify(h, 0);
      sent += n;
    }
  },
  /** Read n bytes from that ring into a buffer, `chunk` at a time, and FNV-1a hash them (as the
   * stream-sink component's consume does); returns [bytes, hash]. */
  ringConsume(sab: SharedArrayBuffer, total: number, chunk: number): [number, number] {
    const h = new Int32Array(sab, 0, 32);
    const data = new Uint8Array(sab, 128);
    const cap = data.byteLength;
    const buf = new Uint8Array(chunk);
    let tail = 0;
    let hash = 2166136261;
    let got = 0;
    while (got < total) {
      let avail = 0;
      for (;;) {
        avail = (Atomics.load(h, 0) - tail) >>> 0;
        if (avail) break;
        Atomics.wait(h, 0, tail);
      }
      const pos = tail & (cap - 1);
      const n = Math.min(avail, chunk, cap - pos);
      buf.set(data.subarray(pos, pos + n));
      for (let i = 0; i < n; i++) hash = Math.imul(hash ^ buf[i]!, 16777619);
      tail = (tail + n) | 0;
      Atomics.store(h, 16, tail);
      Atomics.notify(h, 16);
      got += n;
    }
    return [got, hash >>> 0];
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
