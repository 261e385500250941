// Raw baselines of the wasi:messaging figures: what two workers do with BroadcastChannel alone.
import * as Comlink from 'comlink';

const api = {
  /** Count n messages on channel `name`; resolves once all came. */
  sink(name: string, n: number): Promise<number> {
    const ch = new BroadcastChannel(name);
    let got = 0;
    return new Promise((done) => {
      ch.onmessage = () => { if (++got === n) { ch.close(); done(got); } };
    });
  },
  /** Post n small messages (a topic and a few bytes, as an app would) to channel `name`. */
  source(name: string, n: number): void {
    const ch = new BroadcastChannel(name);
    for (let i = 0; i < n; i++) ch.postMessage({ topic: name, data: new TextEncoder().encode(String(i)) });
    ch.close();
  },
  /** Answer each message on `name`:ping with one on `name`:pong. */
  pong(name: string): void {
    const ping = new BroadcastChannel(`${name}:ping`);
    const pong = new BroadcastChannel(`${name}:pong`);
    ping.onmessage = (e: MessageEvent<{ topic: string; data: Uint8Array }>) => pong.postMessage(e.data);
  },
  /** n pings in turn, each waiting for its pong; resolves with the total ms. */
  async ping(name: string, n: number): Promise<number> {
    const ping = new BroadcastChannel(`${name}:ping`);
    const pong = new BroadcastChannel(`${name}:pong`);
    let next: () => void = () => {};
    pong.onmessage = () => next();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const back = new Promise<void>((r) => { next = r; });
      ping.postMessage({ topic: name, data: new TextEncoder().encode(String(i)) });
      await back;
    }
    const ms = performance.now() - t0;
    ping.close(); pong.close();
    return ms;
  },
};
export type MsgRawApi = typeof api;
Comlink.expose(api);
