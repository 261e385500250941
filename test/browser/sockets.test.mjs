// wasi:sockets@0.3.0 on the page's loopback network, end to end in Chromium: the C test
// components (sock-server.c, sock-client.c) in separate workers, connected through
// src/page/network.ts; TCP bytes flow worker to worker, UDP datagrams keep their boundaries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, portsAlive, startServer } from '../../scripts/lib/browser.mjs';

let server, url, browser, page;
before(async () => {
  ({ server, url } = await startServer());
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${url}/test/pages/blank.html`);
});
after(async () => { await browser?.close(); await server?.close(); });

/** In the page: `script(load, lib, arg)`, where load(name, options) loads a fixture and gives
 * its exports (and handle); every component is terminated afterwards. */
function inPage(script, arg) {
  return page.evaluate(async ({ script, arg }) => {
    const lib = await import('/src/index.ts');
    const handles = [];
    const load = async (name, options = {}) => {
      const h = await lib.loadComponent(`/test/fixtures/build/${name}.wasm`, options);
      handles.push(h);
      return Object.assign(h.exports, { handle: h });
    };
    try {
      // eslint-disable-next-line no-new-func
      return await new Function('load', 'lib', 'arg', `return (${script})(load, lib, arg);`)(load, lib, arg);
    } finally {
      for (const h of handles) h.terminate();
    }
  }, { script: script.toString(), arg });
}

const port = (answer) => {
  const m = /^ok (\d+)$/.exec(answer);
  assert.ok(m, `expected "ok <port>", got ${answer}`);
  return Number(m[1]);
};

test('TCP between two components in two workers, IPv4 and IPv6: bytes both ways, FIN felt at each end', async () => {
  const r = await inPage(async (load) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const cli = await load('sock-client', grant);
    const out = {};
    for (const v6 of [false, true]) {
      const listening = await srv.listen(0, v6);
      const p = Number(listening.split(' ')[1]);
      const echoed = srv.echo(2);
      const msg = 'héllo over loopback '.repeat(2000); // 42,000 bytes: several chunks
      out[v6 ? 'v6' : 'v4'] = {
        listening,
        first: await cli.call(p, v6, 'ping'),
        second: await cli.call(p, v6, msg) === `ok ${msg}`,
        echoed: await echoed,
        bytes: 4 + new TextEncoder().encode(msg).length,
      };
      await srv.close();
    }
    return out;
  });
  for (const k of ['v4', 'v6']) {
    const x = r[k];
    assert.ok(port(x.listening) >= 49152, `${k}: an ephemeral port, got ${x.listening}`);
    assert.equal(x.first, 'ok ping', k);
    assert.equal(x.second, true, `${k}: 42 KB echoed intact`);
    assert.equal(x.echoed, `ok ${x.bytes}`, `${k}: the server read to each FIN`);
  }
});

test('64 MiB from one worker to another arrives whole', async () => {
  const r = await inPage(async (load) => {
    const srv = await load('sock-server', { sockets: 'loopback' });
    const cli = await load('sock-client', { sockets: 'loopback' });
    const p = Number((await srv.listen(0, false)).split(' ')[1]);
    const sunk = srv.sink();
    const t0 = performance.now();
    const sent = await cli.bulk(p, 64);
    return { sent, sunk: await sunk, ms: performance.now() - t0 };
  });
  assert.equal(r.sent, 'ok');
  assert.equal(r.sunk, `ok ${64 << 20}`);
});

test('address-in-use and connection-refused across workers, at once; a dropped listener frees its port', async () => {
  const r = await inPage(async (load) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const cli = await load('sock-client', grant);
    const p = Number((await srv.listen(0, false)).split(' ')[1]);
    const taken = await cli.bindListen(p, false);
    const otherFamily = await cli.bindListen(p, true); // IPv6 sockets are IPv6-only: a port of its own
    await srv.close();
    const t0 = performance.now();
    const refused = await cli.call(p, false, 'x');
    const refusedMs = performance.now() - t0;
    const free = await cli.bindListen(p, false);
    return { p, taken, otherFamily, refused, refusedMs, free };
  });
  assert.equal(r.taken, 'err address-in-use');
  assert.equal(r.otherFamily, `ok ${r.p}`);
  assert.equal(r.refused, 'err connection-refused');
  assert.ok(r.refusedMs < 1000, `refused at once (${r.refusedMs} ms)`);
  assert.equal(r.free, `ok ${r.p}`);
});

test('a terminated component leaves the network: its port is refused and free', async () => {
  const r = await inPage(async (load) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const cli = await load('sock-client', grant);
    const p = Number((await srv.listen(0, false)).split(' ')[1]);
    srv.handle.terminate();
    return { p, refused: await cli.call(p, false, 'x'), free: await cli.bindListen(p, false) };
  });
  assert.equal(r.refused, 'err connection-refused');
  assert.equal(r.free, `ok ${r.p}`);
});

test('nothing is granted by default: binding and connecting are access-denied', async () => {
  const r = await inPage(async (load) => {
    const cli = await load('sock-client');
    return { bind: await cli.bindListen(0, false), call: await cli.call(4242, false, 'x'), udp: await cli.udpCall(4242, false, new Uint32Array([1])) };
  });
  assert.deepEqual(r, { bind: 'err access-denied', call: 'err access-denied', udp: 'err access-denied' });
});

test('UDP between two components: datagrams keep their boundaries, both ways, IPv4 and IPv6', async () => {
  const r = await inPage(async (load) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const cli = await load('sock-client', grant);
    const out = {};
    for (const v6 of [false, true]) {
      const bound = await srv.udpBind(0, v6);
      const p = Number(bound.split(' ')[1]);
      const echoed = srv.udpEcho(4);
      const answered = await cli.udpCall(p, v6, new Uint32Array([1, 1000, 60000, 0]));
      out[v6 ? 'v6' : 'v4'] = { bound, answered, echoed: await echoed };
    }
    return out;
  });
  const sizes = (s) => s.replace(/^ok /, '').split(',').map(Number).sort((a, b) => a - b);
  for (const k of ['v4', 'v6']) {
    port(r[k].bound);
    assert.match(r[k].answered, /^ok /, k);
    assert.deepEqual(sizes(r[k].answered), [0, 1, 1000, 60000], `${k}: the client read each datagram whole`);
    assert.deepEqual(sizes(r[k].echoed), [0, 1, 1000, 60000], `${k}: the server read each datagram whole`);
  }
});

test('a peer whose worker ends mid-connection is felt: the receive ends in connection-reset', async () => {
  const r = await inPage(async (load) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const cli = await load('sock-client', grant);
    const p = Number((await srv.listen(0, false)).split(' ')[1]);
    // Connected (the listener's backlog holds it), sent and acknowledged; no answer ever comes.
    const answer = cli.call(p, false, 'anyone there?');
    await new Promise((res) => setTimeout(res, 300));
    srv.handle.terminate();
    return answer;
  });
  assert.equal(r, 'err connection-reset');
});

test('a listener that stops accepting refuses what connects: the connector is reset at once, not left waiting', async () => {
  const r = await inPage(async (load, lib) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const cli = await load('sock-client', grant);
    const p = Number((await srv.listen(0, false)).split(' ')[1]);
    await srv.refuse();
    const t0 = performance.now();
    const answer = await Promise.race([cli.call(p, false, 'anyone there?'), new Promise((res) => setTimeout(() => res('still waiting after 5 s'), 5000))]);
    // The address is still taken: the listener lives on (asked by another client: this one's
    // call may still be waiting).
    const other = await load('sock-client', grant);
    const again = await other['bind-listen'](p, false);
    // The page connecting there is refused alike: its read rejects.
    const c = await lib.network.connect('127.0.0.1', p);
    const page = await Promise.race([c.read().then((b) => `read ${b === null ? 'the end' : b.length}`, (e) => e.message), new Promise((res) => setTimeout(() => res('still waiting after 5 s'), 5000))]);
    c.close();
    return { answer, ms: performance.now() - t0, again, page };
  });
  assert.match(r.answer, /^err connection-(reset|broken)$/);
  assert.ok(r.ms < 2000, `answered after ${r.ms} ms`);
  assert.equal(r.again, 'err address-in-use');
  assert.equal(r.page, 'connection-reset');
});

test('WASI 0.2 sockets share the network: a 0.2 client talks to a 0.3 server in another worker', async () => {
  const r = await inPage(async (load) => {
    const grant = { sockets: 'loopback' };
    const srv = await load('sock-server', grant);
    const p2 = await load('sock-p2-client', grant);
    const p = Number((await srv.listen(0, false)).split(' ')[1]);
    const echoed = srv.echo(1);
    const answer = await p2.call(p, 'from 0.2 to 0.3');
    const out = { answer, echoed: await echoed };
    await srv.close();
    out.refused = await p2.call(p, 'x');
    const denied = await load('sock-p2-client');
    out.denied = await denied.call(p, 'x');
    return out;
  });
  assert.deepEqual(r, { answer: 'ok from 0.2 to 0.3', echoed: 'ok 15', refused: 'err connection-refused', denied: 'err access-denied' });
});

test('a finished connection lets its port go: 200 connections leave no ports behind in either worker', async () => {
  await page.evaluate(async () => {
    const lib = await import('/src/index.ts');
    const grant = { sockets: 'loopback' };
    const srv = await lib.loadComponent('/test/fixtures/build/sock-server.wasm', grant);
    const cli = await lib.loadComponent('/test/fixtures/build/sock-client.wasm', grant);
    globalThis.leakPair = [srv, cli];
    const p = Number((await srv.exports.listen(0, false)).split(' ')[1]);
    // Bytes both ways and a FIN from each side, then connections dropped unused.
    const echoed = srv.exports.echo(200);
    for (let i = 0; i < 100; i++) {
      const r = await cli.exports.call(p, false, `message ${i}`);
      if (r !== `ok message ${i}`) throw new Error(`call ${i}: ${r}`);
    }
    const made = await cli.exports.connects(p, 100);
    if (made !== 'ok' || !(await echoed).startsWith('ok ')) throw new Error(`connects: ${made}`);
  });
  try {
    const counts = await portsAlive(browser);
    assert.equal(counts.length, 2, 'two component workers');
    // Each worker keeps its own few (the page's, the network's, a stream's): not one a connection.
    for (const n of counts) assert.ok(n < 40, `${n} MessagePorts alive after 200 connections`);
  } finally {
    await page.evaluate(() => { for (const h of globalThis.leakPair) h.terminate(); });
  }
});
