// Streams and futures from the page and between component workers (src/channel/ends.ts): the C
// components stream-source, stream-sink and stream-upper (test/fixtures/c, worlds in
// wit/streams.wit) in Chromium through the page API. Every test runs twice: over MessagePorts
// (transport 'port' on a plain page) and over SharedArrayBuffer rings (transport
// 'shared-memory' on a crossOriginIsolated page: scripts/lib/browser.mjs serves `?coi` so).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, portsAlive } from '../../scripts/lib/browser.mjs';

const TRANSPORTS = [
  { transport: 'port', path: '/test/pages/blank.html' },
  { transport: 'shared-memory', path: '/test/pages/blank.html?coi' },
];

let session;
let transport;

/** Run fn(ctx) in the page: ctx has loadComponent, load(name, options) and helpers; load()
 * uses the suite's transport unless options name one. */
const inPage = (fn, arg = null) => session.page.evaluate(async ({ src, arg, transport }) => {
  const { loadComponent } = await import('/src/index.ts');
  const handles = [];
  const load = async (name, options = {}) => {
    const h = await loadComponent(`/test/fixtures/build/${name}.wasm`, { transport, ...options });
    handles.push(h);
    return h;
  };
  /** FNV-1a of n bytes of the pattern (byte i is i mod 251), optionally upper-cased. */
  const fnv = (n, upper = false) => {
    let h = 2166136261;
    for (let i = 0; i < n; i++) {
      let b = i % 251;
      if (upper && b >= 97 && b <= 122) b -= 32;
      h = Math.imul(h ^ b, 16777619) >>> 0;
    }
    return h;
  };
  const busy = (ms) => { const end = Date.now() + ms; while (Date.now() < end); return Date.now(); };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  /** Poll f() until it returns something truthy (or ms pass); returns its last value. */
  const until = async (f, ms = 2000) => {
    const end = Date.now() + ms;
    let v;
    while (!(v = await f()) && Date.now() < end) await sleep(10);
    return v;
  };
  try {
    // eslint-disable-next-line no-new-func
    return await new Function('ctx', `return (${src})(ctx);`)({ loadComponent, load, fnv, busy, sleep, until, arg });
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  } finally {
    for (const h of handles) h.terminate();
  }
}, { src: fn.toString(), arg, transport });

/** FNV-1a of n pattern bytes, here in node. */
async function fnvNode(n, upper = false) {
  let h = 2166136261;
  for (let i = 0; i < n; i++) {
    let b = i % 251;
    if (upper && b >= 97 && b <= 122) b -= 32;
    h = Math.imul(h ^ b, 16777619) >>> 0;
  }
  return h;
}

for (const t of TRANSPORTS) describe(`over ${t.transport}`, () => {
  before(async () => {
    session = await openPage(t.path);
    transport = t.transport;
    if (process.env.STREAMS_DEBUG) session.page.on('console', (m) => console.log('[page]', m.text()));
  });
  after(async () => { await session?.close(); });

  test('the transport: a stream<u8> between threads goes the way the option says', async () => {
    const r = await inPage(async ({ load }) => {
      const a = await load('stream-source');
      const s = await a.exports.produce(100000);
      let n = 0;
      for await (const c of s) n += c.length;
      return { n, isolated: crossOriginIsolated, ring: (await a.streamStats()).at(-1).ring };
    });
    assert.deepEqual(r, { n: 100000, isolated: t.transport === 'shared-memory', ring: t.transport === 'shared-memory' });
    if (t.transport === 'port') {
      // 'shared-memory' on a page that is not isolated is an error that says why.
      const e = await inPage(async ({ load }) => load('stream-source', { transport: 'shared-memory' }));
      assert.match(e.error, /TypeError: transport 'shared-memory' needs a crossOriginIsolated page/);
    }
  });

  test('a stream<u8> result is a byte stream: default and BYOB readers get the bytes in order', async () => {
    const r = await inPage(async ({ load }) => {
      const a = await load('stream-source');
      const check = (chunks) => {
        let n = 0;
        for (const c of chunks) for (let i = 0; i < c.length; i++, n++) if (c[i] !== n % 251) return `byte ${n} is ${c[i]}`;
        return n;
      };
      const s1 = await a.exports.produce(3 << 20);
      const chunks = [];
      for await (const c of s1) chunks.push(c);
      const s2 = await a.exports.produce((1 << 20) + 7);
      const byob = s2.getReader({ mode: 'byob' });
      const got = [];
      let buf = new ArrayBuffer(100000);
      for (;;) {
        const { done, value } = await byob.read(new Uint8Array(buf));
        if (done) break;
        got.push(value.slice());
        buf = value.buffer;
      }
      return { isStream: s1 instanceof ReadableStream, plain: check(chunks), byob: check(got), byobFits: got.every((c) => c.length <= 100000) };
    });
    assert.deepEqual(r, { isStream: true, plain: 3 << 20, byob: (1 << 20) + 7, byobFits: true });
  });

  test('a stream<string> result is a ReadableStream of strings, sent in batches', async () => {
    const r = await inPage(async ({ load }) => {
      const a = await load('stream-source');
      const seen = [];
      for await (const x of await a.exports.produceRecords(3000)) seen.push(x);
      const stats = (await a.streamStats()).at(-1);
      return { n: seen.length, first: seen[0], last: seen.at(-1), ordered: seen.every((s, i) => s === `record ${i}`), messages: stats.messages, written: stats.written };
    });
    assert.equal(r.n, 3000);
    assert.equal(r.first, 'record 0');
    assert.equal(r.last, 'record 2999');
    assert.ok(r.ordered);
    assert.equal(r.written, 3000);
    assert.ok(r.messages <= 3000 / 32, `3000 strings in ${r.messages} messages`);
  });

  test('a stream parameter takes a ReadableStream, an async iterable or an iterable', async () => {
    const r = await inPage(async ({ load }) => {
      const b = await load('stream-sink');
      const up = await load('stream-upper');
      const enc = new TextEncoder();
      async function* gen() { yield 'one'; yield 'two'; yield 'three'; }
      const rs = new ReadableStream({ start(c) { c.enqueue(enc.encode('hello, ')); c.enqueue(enc.encode('streams')); c.close(); } });
      return {
        upper: await new Response(await up.exports.upper(rs)).text(),
        iterable: (await b.exports.consume([new Uint8Array(1000), new Uint8Array(24)]))[0],
        generator: await b.exports.countRecords(gen()),
        strings: await b.exports.countRecords(new Set(['a', 'bb'])),
        readableStrings: await b.exports.countRecords(new ReadableStream({ start(c) { for (let i = 0; i < 500; i++) c.enqueue('xy'); c.close(); } })),
      };
    });
    assert.deepEqual(r, { upper: 'HELLO, STREAMS', iterable: 1024n, generator: [3, 11], strings: [2, 3], readableStrings: [500, 1000] });
  });

  test('futures: a result is a Promise, a parameter takes a Promise, and both nest in results, tuples and options', async () => {
    const r = await inPage(async ({ load }) => {
      const a = await load('stream-source');
      const b = await load('stream-sink');
      const nested = await a.exports.produceNested(100000, 5);
      const [s, f] = nested.val;
      return {
        answer: await a.exports.answer(7),
        fromPage: (await b.exports.wait(new Promise((r) => setTimeout(() => r(11), 20))))[0],
        tag: nested.tag,
        nestedFuture: f instanceof Promise ? await f : 'not a promise',
        nestedStream: s instanceof ReadableStream ? (await b.exports.consume(s)).slice(0, 2) : 'not a stream',
      };
    });
    assert.deepEqual(r, { answer: 7, fromPage: 11, tag: 'ok', nestedFuture: 5, nestedStream: [100000n, await fnvNode(100000)] });
  });

  test('32 MiB go from worker to worker while the main thread is busy the whole time', async () => {
    const n = 32 << 20;
    const r = await inPage(async ({ load, busy, arg: n }) => {
      const a = await load('stream-source');
      const b = await load('stream-sink');
      const s = await a.exports.produce(n);
      const done = b.exports.consume(s);
      // The page does nothing else until well after the transfer could end: if it carried the
      // chunks, no more than a window could move meanwhile.
      const busyEnd = busy(4000);
      const [count, hash, at] = await done;
      return { count, hash, finishedWhileBusy: Number(at) < busyEnd, margin: busyEnd - Number(at) };
    }, n);
    assert.deepEqual({ count: r.count, hash: r.hash, finishedWhileBusy: r.finishedWhileBusy }, { count: BigInt(n), hash: await fnvNode(n), finishedWhileBusy: true }, `margin ${r.margin} ms`);
  });

  test('a future goes from worker to worker while the main thread is busy', async () => {
    const r = await inPage(async ({ load, busy, sleep }) => {
      const a = await load('stream-source');
      const b = await load('stream-sink');
      await a.exports.answer(1); await b.exports.wait(Promise.resolve(1)); // both warm
      const done = b.exports.wait(a.exports.answer(9));
      const busyEnd = busy(1500);
      const [v, at] = await done;
      return { v, finishedWhileBusy: Number(at) < busyEnd };
    });
    assert.deepEqual(r, { v: 9, finishedWhileBusy: true });
  });

  test('a stream passed through a third component unchanged, and one transformed, never touch the main thread', async () => {
    const n = 16 << 20;
    const r = await inPage(async ({ load, busy, arg: n }) => {
      const a = await load('stream-source');
      const c = await load('stream-upper');
      const b = await load('stream-sink');
      const passed = b.exports.consume(await c.exports.pass(await a.exports.produce(n)));
      const busyEnd = busy(4000);
      const [count, hash, at] = await passed;
      const up = b.exports.consume(await c.exports.upper(await a.exports.produce(n)));
      const busyEnd2 = busy(4000);
      const [count2, hash2, at2] = await up;
      return { count, hash, whileBusy: Number(at) < busyEnd, count2, hash2, whileBusy2: Number(at2) < busyEnd2 };
    }, n);
    assert.deepEqual(r, { count: BigInt(n), hash: await fnvNode(n), whileBusy: true, count2: BigInt(n), hash2: await fnvNode(n, true), whileBusy2: true });
  });

  test('backpressure: a reader taking one chunk every 10 ms keeps at most the window unread', async () => {
    const r = await inPage(async ({ load, sleep }) => {
      const out = [];
      for (const window of [undefined, 256 << 10]) {
        const a = await load('stream-source', { streamWindow: window });
        const s = await a.exports.produce(8 << 20);
        const reader = s.getReader();
        let n = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          n += value.length;
          await sleep(10);
        }
        const st = (await a.streamStats()).at(-1);
        out.push({ n, window: st.window, chunk: st.chunk, peak: st.peakUnread, written: st.written, read: st.read });
      }
      return out;
    });
    for (const s of r) {
      assert.equal(s.n, 8 << 20);
      assert.equal(s.written, 8 << 20);
      assert.equal(s.read, 8 << 20);
      assert.ok(s.peak <= s.window, `peak ${s.peak} over window ${s.window}`);
      assert.ok(s.peak >= s.window / 2, `the window is used: peak ${s.peak}`);
    }
    assert.deepEqual(r.map((s) => s.window), [1 << 20, 256 << 10]);
  });

  test("a reader's cancel or drop makes the guest writer's next write see DROPPED", async () => {
    const r = await inPage(async ({ load, until }) => {
      const a = await load('stream-source');
      const b = await load('stream-sink');
      const s = await a.exports.produce(64 << 20);
      const reader = s.getReader();
      await reader.read();
      await reader.cancel();
      const [pageCode, pageBytes] = await until(async () => { const w = await a.exports.lastWrite(); return w[0] === 1 ? w : null; }) ?? [];
      const taken = await b.exports.take(await a.exports.produce(64 << 20), 100000);
      const [guestCode, guestBytes] = await until(async () => { const w = await a.exports.lastWrite(); return w[0] === 1 ? w : null; }) ?? [];
      // A page source whose guest reader drops early is cancelled.
      let cancelled = null;
      let pulled = 0;
      const src = new ReadableStream({ pull(c) { pulled++; c.enqueue(new Uint8Array(65536)); }, cancel(reason) { cancelled = String(reason ?? 'cancelled'); } });
      const taken2 = await b.exports.take(src, 200000);
      await until(() => cancelled !== null);
      return { pageCode, pageBytesBelow: Number(pageBytes) < 64 << 20, taken: Number(taken), guestCode, guestBytesBelow: Number(guestBytes) < 64 << 20, taken2: Number(taken2), cancelled: cancelled !== null, pulledFew: pulled < 100 };
    });
    assert.equal(r.pageCode, 1);
    assert.ok(r.pageBytesBelow);
    assert.ok(r.taken >= 100000 && r.taken < 64 << 20);
    assert.equal(r.guestCode, 1);
    assert.ok(r.guestBytesBelow);
    assert.ok(r.taken2 >= 200000);
    assert.ok(r.cancelled, 'the page source was cancelled');
    assert.ok(r.pulledFew);
  });

  test("a future's reader that drops it tells its writer", async () => {
    const r = await inPage(async ({ load, until }) => {
      const a = await load('stream-source');
      const b = await load('stream-sink');
      // The writer writes after 300 ms: by then the reader in the other worker has dropped it.
      await b.exports.dropFuture(a.exports.pendingFuture(300));
      const dropped = await until(async () => (await a.exports.futureWrite()) === 1);
      const [v] = await b.exports.wait(a.exports.pendingFuture(300));
      const completed = await until(async () => (await a.exports.futureWrite()) === 0);
      return { dropped, v, completed };
    });
    assert.deepEqual(r, { dropped: true, v: 42, completed: true });
  });

  test('a worker terminated mid-stream: the other end errors within a second, saying so', async () => {
    const r = await inPage(async ({ load, sleep, until }) => {
      const out = {};
      // The page reads from a worker that is terminated.
      let a = await load('stream-source');
      const s = await a.exports.produce(0xffffffff);
      const reader = s.getReader();
      await reader.read();
      let t0 = Date.now();
      a.terminate();
      try { for (;;) { const { done } = await reader.read(); if (done) { out.page = 'ended quietly'; break; } } } catch (e) { out.page = e.message; }
      out.pageMs = Date.now() - t0;
      console.log('t11: page done');
      // A worker reads from a worker that is terminated.
      a = await load('stream-source');
      const events = [];
      const b = await load('stream-sink', { onEvent: (e) => events.push(e) });
      const consumed = b.exports.consume(await a.exports.produce(0xffffffff));
      await sleep(300);
      t0 = Date.now();
      a.terminate();
      const [count] = await consumed;
      out.workerMs = Date.now() - t0;
      out.workerCountBelow = Number(count) < 0xffffffff;
      await until(() => events.length > 0, 500);
      out.event = events[0]?.message ?? 'no event';
      console.log('t11: worker done');
      // A future whose writer's worker is terminated.
      a = await load('stream-source');
      const waited = b.exports.wait(a.exports.neverFuture());
      await sleep(200);
      t0 = Date.now();
      a.terminate();
      out.futureValue = (await waited)[0];
      out.futureMs = Date.now() - t0;
      console.log('t11: future done');
      // The reader's worker is terminated: the guest writer sees DROPPED.
      a = await load('stream-source');
      const c = await load('stream-sink');
      void c.exports.consume(await a.exports.produce(0xffffffff)).catch(() => {});
      await sleep(300);
      t0 = Date.now();
      c.terminate();
      const w = await until(async () => { const x = await a.exports.lastWrite(); return x[0] === 1 ? x : null; }, 3000);
      out.writerMs = Date.now() - t0;
      out.writerCode = w?.[0];
      return out;
    });
    assert.match(r.page, /terminated/);
    assert.ok(r.pageMs < 1000, `page reader: ${r.pageMs} ms`);
    assert.ok(r.workerCountBelow);
    assert.ok(r.workerMs < 1000, `worker reader: ${r.workerMs} ms`);
    assert.match(r.event, /stream's writer is gone.*terminated/);
    assert.equal(r.futureValue, 0xffffffff);
    assert.ok(r.futureMs < 1000, `future reader: ${r.futureMs} ms`);
    assert.equal(r.writerCode, 1);
    assert.ok(r.writerMs < 1000, `writer: ${r.writerMs} ms`);
  });

  test('streams and futures that are over let their ports go: 300 leave none behind in either worker', async () => {
    const r = await session.page.evaluate(async (transport) => {
      const { loadComponent } = await import('/src/index.ts');
      const a = await loadComponent('/test/fixtures/build/stream-source.wasm', { transport });
      const b = await loadComponent('/test/fixtures/build/stream-sink.wasm', { transport });
      globalThis.portPair = [a, b];
      let moved = 0;
      // Worker to worker, worker to the page, and futures to the page: 100 of each.
      for (let i = 0; i < 100; i++) moved += Number(await b.exports.take(await a.exports.produce(1 << 18), 1 << 18));
      for (let i = 0; i < 100; i++) for await (const c of await a.exports.produce(1 << 16)) moved += c.byteLength;
      for (let i = 0; i < 100; i++) moved += Number(await a.exports.answer(i));
      return moved;
    }, transport);
    try {
      assert.equal(r, 100 * (1 << 18) + 100 * (1 << 16) + 4950);
      const counts = await portsAlive(session.browser);
      assert.equal(counts.length, 2, 'two component workers');
      // A worker keeps its own few (the page's, its output's) and the last 16 streams' counters
      // (streamStats): not a port or two for each stream it sent.
      for (const n of counts) assert.ok(n < 40, `${n} MessagePorts alive after 300 streams and futures`);
    } finally {
      await session.page.evaluate(() => { for (const h of globalThis.portPair) h.terminate(); });
    }
  });
});
