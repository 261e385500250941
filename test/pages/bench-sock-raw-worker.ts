// Raw baselines of the wasi:sockets figures: what two workers do with MessagePorts alone.
import * as Comlink from 'comlink';

const api = {
  /** Receive on `port` until `total` bytes came, handing each buffer straight back (its credit);
   * resolves with the bytes. */
  sink(port: MessagePort, total: number): Promise<number> {
    let got = 0;
    return new Promise((done) => {
      port.onmessage = (e: MessageEvent<ArrayBuffer>) => {
        got += e.data.byteLength;
        port.postMessage(e.data, [e.data]);
        if (got >= total) done(got);
      };
    });
  },
  /** Send `total` bytes on `port` as transferred 1 MiB buffers, at most 4 MiB in flight, filling
   * each buffer (64 KiB copies, as a guest's writes are) from a source; the buffers come back. */
  source(port: MessagePort, total: number): Promise<void> {
    const chunk = 1 << 20;
    const src = new Uint8Array(1 << 16);
    const pool: ArrayBuffer[] = [];
    let sent = 0, inFlight = 0;
    return new Promise((done) => {
      const pump = () => {
        while (sent < total && inFlight < 4 * chunk) {
          const b = pool.pop() ?? new ArrayBuffer(chunk);
          const v = new Uint8Array(b);
          for (let o = 0; o < chunk; o += src.length) v.set(src, o);
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
  /** Answer each introduction on `port` (a port to reply on) at once. */
  accept(port: MessagePort): void {
    port.onmessage = (e: MessageEvent<MessagePort>) => { e.data.postMessage(1); e.data.close(); };
  },
  /** n introductions in turn through `port` (to the page, which passes them on), each a new
   * MessageChannel whose far end answers; resolves with the total ms. */
  async introduce(port: MessagePort, n: number): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const ch = new MessageChannel();
      await new Promise<void>((r) => { ch.port1.onmessage = () => { ch.port1.close(); r(); }; port.postMessage(ch.port2, [ch.port2]); });
    }
    return performance.now() - t0;
  },
};
export type SockRawApi = typeof api;
Comlink.expose(api);
