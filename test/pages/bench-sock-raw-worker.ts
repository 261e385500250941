// Raw baselines of the wasi:sockets figures: what two workers do with MessagePorts alone (the
// bulk figure, tcp-loopback, shares stream-worker-to-worker's: bench-raw-worker.ts).
import * as Comlink from 'comlink';

const api = {
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
