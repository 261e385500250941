// wasi:messaging@0.2.0-draft end to end in Chromium: C components (test/fixtures/c/msg-*.c) in
// their own workers, the page's messaging API, real BroadcastChannels, and two tabs of one
// browser context. Grants, topic patterns, order and counts, the handler queue's three overflow
// settings, request-reply, and a handler that traps.
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../../scripts/lib/browser.mjs';

let session;
/** Every test fails rather than hangs. */
const test = (name, fn) => nodeTest(name, { timeout: 60000 }, fn);
before(async () => {
  session = await openPage('/test/pages/blank.html');
  if (process.env.MSG_DEBUG) session.page.on('console', (m) => console.log('[page]', m.text()));
});
after(async () => { await session?.close(); });

const inPage = (fn, arg, page = session.page) => page.evaluate(fn, arg);

// In the page: helpers on globalThis.t (load a fixture, collect its output, wait for a condition).
const HELPERS = async () => {
  if (globalThis.t) return;
  const api = await import('/src/index.ts');
  const dec = new TextDecoder();
  globalThis.t = {
    api,
    async load(name, options = {}) {
      const out = [];
      const events = [];
      const h = await api.loadComponent(`/test/fixtures/build/${name}.wasm`, {
        ...options, stdout: (c) => out.push(dec.decode(c)), onEvent: (e) => events.push(e),
      });
      return { h, out, events, text: () => out.join('') };
    },
    async until(cond, ms = 10000, what = 'condition') {
      const end = performance.now() + ms;
      for (;;) {
        const v = await cond();
        if (v) return v;
        if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stats: (c) => c.h.exports['test:fixtures/msg-stats'],
    received: async (c) => Array.from(await c.h.exports['test:fixtures/msg-stats'].received()),
    /** Endpoints alive on the bus in this origin (their Web Locks). */
    endpoints: async () => (await navigator.locks.query()).held.filter((l) => l.name.startsWith('wasip3-web:messaging:')).length,
  };
};

test('nothing is granted by default: a send is refused with permission-denied', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const p = await t.load('msg-publisher', { args: ['p', 'send', 'orders.eu', '1'] });
    const { exitCode } = await p.h.run();
    p.h.terminate();
    return { exitCode, out: p.text() };
  }, HELPERS.toString());
  assert.equal(r.exitCode, 1);
  assert.match(r.out, /^send: permission-denied: publishing to "orders\.eu" was not granted/);
});

test('a send outside the publish grant is refused; inside it, it goes', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const run = async (topic) => {
      const p = await t.load('msg-publisher', { args: ['p', 'send', topic, '2'], messaging: { publish: ['events.*'] } });
      const { exitCode } = await p.h.run();
      p.h.terminate();
      return [exitCode, p.text()];
    };
    return { denied: await run('orders.eu'), deep: await run('events.a.b'), ok: await run('events.a') };
  }, HELPERS.toString());
  assert.equal(r.denied[0], 1);
  assert.match(r.denied[1], /^send: permission-denied: publishing to "orders\.eu" was not granted \(messaging\.publish: \["events\.\*"\]\)/);
  assert.equal(r.deep[0], 1, '* matches one segment only');
  assert.match(r.deep[1], /permission-denied/);
  assert.deepEqual(r.ok, [0, 'sent 2\n']);
});

test('invalid topics: a component gets an error naming the problem; bad grants and page topics throw', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const p = await t.load('msg-publisher', { args: ['p', 'send', 'orders..eu', '1'], messaging: { publish: ['>'] } });
    const { exitCode } = await p.h.run();
    p.h.terminate();
    const caught = async (f) => { try { await f(); return 'no error'; } catch (e) { return `${e.name}: ${e.message}`; } };
    return {
      exitCode, out: p.text(),
      grant: await caught(() => t.api.loadComponent('/test/fixtures/build/msg-counter.wasm', { messaging: { subscribe: ['orders.>.x'] } })),
      wildcardSend: await caught(() => t.api.messaging.publish('orders.*', 'x')),
      space: await caught(() => t.api.messaging.publish('orders eu', 'x')),
      pattern: await caught(() => t.api.messaging.subscribe('a.b*', () => {})),
    };
  }, HELPERS.toString());
  assert.equal(r.exitCode, 1);
  assert.match(r.out, /^send: other: invalid topic "orders\.\.eu": a topic may not have an empty segment/);
  assert.match(r.grant, /^GrantError: messaging\.subscribe: invalid topic pattern "orders\.>\.x": '>' may only be the last segment/);
  assert.match(r.wildcardSend, /^TypeError: invalid topic "orders\.\*"/);
  assert.match(r.space, /^TypeError: invalid topic "orders eu"/);
  assert.match(r.pattern, /^TypeError: invalid topic pattern "a\.b\*"/);
});

test('a subscribe grant for a component without an incoming-handler is refused at load', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    try {
      await t.api.loadComponent('/test/fixtures/build/msg-publisher.wasm', { messaging: { subscribe: ['a.b'] } });
      return 'loaded';
    } catch (e) { return `${e.kind}: ${e.message}`; }
  }, HELPERS.toString());
  assert.match(r, /^link: messaging\.subscribe was granted \(a\.b\), but the component exports no wasi:messaging\/incoming-handler/);
});

test('subscriptions follow the patterns: * is one segment, > the rest; each topic reaches only its subscribers', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const one = await t.load('msg-counter', { messaging: { subscribe: ['orders.*'] } });
    const rest = await t.load('msg-counter', { messaging: { subscribe: ['orders.>'] } });
    const exact = await t.load('msg-counter', { messaging: { subscribe: ['orders.eu.new', 'misc'] } });
    const { publish } = t.api.messaging;
    await publish('orders.eu', '1');
    await publish('orders.eu.new', '2');
    await publish('orders', '3');
    await publish('misc', '4');
    await publish('other.eu', '5');
    await publish('orders.us', '6');
    await t.until(async () => (await t.stats(rest).count()) === 3 && (await t.stats(exact).count()) === 2 && (await t.stats(one).count()) === 2, 5000, 'deliveries');
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
    const out = { one: await t.received(one), rest: await t.received(rest), exact: await t.received(exact) };
    for (const c of [one, rest, exact]) c.h.terminate();
    return out;
  }, HELPERS.toString());
  assert.deepEqual(r, { one: [1, 6], rest: [1, 2, 6], exact: [2, 4] });
});

test('10,000 messages from a component in one tab reach a component in another tab, all, in order, in batches (a burst is a few BroadcastChannel posts, not one per message)', async () => {
  // Two tabs of one browser context (one origin's BroadcastChannels and locks).
  const context = await session.browser.newContext();
  const [tab1, other] = [await context.newPage(), await context.newPage()];
  for (const p of [tab1, other]) await p.goto(session.url + '/test/pages/blank.html');
  try {
    await inPage(async (H) => {
      await eval(H)();
      globalThis.counter = await t.load('msg-counter', { messaging: { subscribe: ['bulk.data'] } });
      // The posts to the counter's inbox (bus.ts: an endpoint's inbox is the channel named after
      // the Web Lock it holds), heard here as any channel of that name hears them.
      globalThis.posts = 0;
      for (const { name } of (await navigator.locks.query()).held) {
        if (!name?.startsWith('wasip3-web:messaging:')) continue;
        new BroadcastChannel(name).onmessage = (e) => { if (e.data?.t === 'msg' || e.data?.t === 'batch') posts++; };
      }
    }, HELPERS.toString(), other);
    const sent = await inPage(async (H) => {
      await eval(H)();
      const p = await t.load('msg-publisher', { args: ['p', 'send', 'bulk.data', '10000'], messaging: { publish: ['bulk.*'] } });
      const t0 = performance.now();
      const { exitCode } = await p.h.run();
      const ms = performance.now() - t0;
      p.h.terminate();
      return { exitCode, out: p.text(), ms };
    }, HELPERS.toString(), tab1);
    assert.deepEqual({ exitCode: sent.exitCode, out: sent.out }, { exitCode: 0, out: 'sent 10000\n' });
    const got = await inPage(async () => {
      await t.until(async () => (await t.stats(counter).count()) >= 10000, 20000, '10,000 messages');
      await new Promise((r) => setTimeout(r, 100));
      const rec = await t.received(counter);
      let firstBad = -1;
      for (let i = 0; i < rec.length; i++) if (rec[i] !== i) { firstBad = i; break; }
      return { count: await t.stats(counter).count(), length: rec.length, firstBad, events: counter.events, posts };
    }, undefined, other);
    const { posts, ...rest } = got;
    assert.deepEqual(rest, { count: 10000, length: 10000, firstBad: -1, events: [] });
    // At most 256 a post; a burst starts again after each wait for the receiver's credit.
    assert.ok(posts >= 40 && posts <= 400, `10,000 messages went in ${posts} posts`);
  } finally {
    await context.close();
  }
});

// A counter whose handler waits, for each message, on a request to a gate topic that the page
// answers only once the test opens the gate: its queue fills deterministically.
const GATE = async () => {
  globalThis.gate = async (topic) => {
    const held = [];
    let open = false;
    const sub = await t.api.messaging.subscribe(topic, (m) => { if (open) m.reply('go'); else held.push(m); });
    return {
      held,
      open() { open = true; for (const m of held.splice(0)) m.reply('go'); },
      close: () => sub.unsubscribe(),
    };
  };
};

for (const overflow of ['drop-newest', 'drop-oldest']) {
  test(`a full queue with ${overflow} drops, counts, and tells the page`, async () => {
    const r = await inPage(async ({ H, G, overflow }) => {
      await eval(H)();
      await eval(G)();
      const topic = `slow.${overflow}`;
      const g = await gate(`gate.${overflow}`);
      const c = await t.load('msg-counter', { args: ['c', `gate.${overflow}`], messaging: { subscribe: [topic], publish: ['gate.>'], queue: 4, overflow } });
      for (let i = 0; i < 20; i++) await t.api.messaging.publish(topic, String(i));
      // One message in the handler (held at the gate), four queued, fifteen dropped.
      await t.until(() => c.events.reduce((n, e) => n + e.dropped, 0) >= 15, 5000, 'overflow events');
      // (the component's exports wait while its handler is held: only the gate is asked)
      const atGate = g.held.length;
      g.open();
      await t.until(async () => (await t.stats(c).count()) === 5, 5000, 'five handled');
      await new Promise((r) => setTimeout(r, 150));
      const out = { atGate, received: await t.received(c), events: c.events };
      c.h.terminate();
      await g.close();
      return out;
    }, { H: HELPERS.toString(), G: GATE.toString(), overflow });
    assert.equal(r.atGate, 1);
    assert.deepEqual(r.received, overflow === 'drop-newest' ? [0, 1, 2, 3, 4] : [0, 16, 17, 18, 19]);
    assert.ok(r.events.length >= 1);
    for (const e of r.events) {
      assert.deepEqual({ ...e, dropped: 0 }, { type: 'messaging-overflow', topic: `slow.${overflow}`, overflow, capacity: 4, dropped: 0, waited: 0 });
    }
    assert.equal(r.events.reduce((n, e) => n + e.dropped, 0), 15);
  });
}

test('a full queue with block holds the sender until there is room: nothing lost, the sender told', async () => {
  const r = await inPage(async ({ H, G }) => {
    await eval(H)();
    await eval(G)();
    const g = await gate('gate.block');
    const c = await t.load('msg-counter', { args: ['c', 'gate.block'], messaging: { subscribe: ['slow.block'], publish: ['gate.>'], queue: 4, overflow: 'block' } });
    const p = await t.load('msg-publisher', { args: ['p', 'send', 'slow.block', '20'], messaging: { publish: ['slow.*'] } });
    let done = false;
    const run = p.h.run().then((r) => { done = true; return r; });
    await new Promise((r) => setTimeout(r, 300));
    const held = { done, atGate: g.held.length };
    g.open();
    const { exitCode } = await run;
    await t.until(async () => (await t.stats(c).count()) === 20, 5000, 'twenty handled');
    await t.until(() => p.events.length > 0, 1000, 'the sender told');
    const out = { held, exitCode, out: p.text(), received: await t.received(c), senderEvents: p.events, receiverEvents: c.events };
    c.h.terminate(); p.h.terminate();
    await g.close();
    return out;
  }, { H: HELPERS.toString(), G: GATE.toString() });
  assert.deepEqual(r.held, { done: false, atGate: 1 });
  assert.deepEqual({ exitCode: r.exitCode, out: r.out }, { exitCode: 0, out: 'sent 20\n' });
  assert.deepEqual(r.received, Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(r.receiverEvents, []);
  assert.equal(r.senderEvents[0].type, 'messaging-overflow');
  assert.equal(r.senderEvents[0].overflow, 'block');
  assert.equal(r.senderEvents[0].topic, 'slow.block');
  assert.ok(r.senderEvents.reduce((n, e) => n + e.waited, 0) >= 1);
});

test('request-reply: three responders, expected replies 3: all three replies come back', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const echoes = [];
    for (const name of ['r1', 'r2', 'r3']) echoes.push(await t.load('msg-echo', { args: ['echo', name], messaging: { subscribe: ['svc.echo'] } }));
    const p = await t.load('msg-publisher', { args: ['p', 'request', 'svc.echo', 'hello', '-', '3'], messaging: { publish: ['svc.*'] } });
    const { exitCode } = await p.h.run();
    p.h.terminate();
    await t.until(() => echoes.every((e) => e.text().includes('echo hello\n')), 2000, 'echo output');
    const out = { exitCode, out: p.text(), printed: echoes.map((e) => e.text()) };
    for (const e of echoes) e.h.terminate();
    return out;
  }, HELPERS.toString());
  assert.equal(r.exitCode, 0);
  const [took, head, ...replies] = r.out.trim().split('\n');
  assert.match(took, /^took \d+ ms$/);
  assert.equal(head, 'replies 3');
  assert.deepEqual(replies.sort(), ['r1', 'r2', 'r3'].map((n) => `${n}:hello|ct=-|md=-|topic=svc.echo`));
  assert.deepEqual(r.printed, ['echo hello\n', 'echo hello\n', 'echo hello\n'], 'the sync-typed handler printed');
});

test('request-reply: with a timeout and no responder, the timeout error comes back in time', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const p = await t.load('msg-publisher', { args: ['p', 'request', 'svc.nobody', 'x', '500', '-'], messaging: { publish: ['svc.*'] } });
    const t0 = performance.now();
    const { exitCode } = await p.h.run();
    const ms = performance.now() - t0;
    p.h.terminate();
    const t1 = performance.now();
    let page;
    try { await t.api.messaging.request('svc.nobody', 'x', { timeoutMs: 300 }); page = 'resolved'; } catch (e) { page = e.name; }
    return { exitCode, out: p.text(), ms, page, pageMs: performance.now() - t1 };
  }, HELPERS.toString());
  assert.equal(r.exitCode, 1);
  const [, took, rest] = /^took (\d+) ms\n([^]*)$/.exec(r.out) ?? [];
  assert.equal(rest, 'request: timeout\n');
  // By the component's monotonic clock, around its request (run() as a whole took r.ms).
  assert.ok(took >= 500 && took <= 550, `the component's request took ${took} ms for 500 (run: ${r.ms} ms)`);
  assert.equal(r.page, 'TimeoutError');
  assert.ok(r.pageMs >= 300 && r.pageMs <= 330, `page's request took ${r.pageMs} ms for 300`);
});

test('the page publishes with content type and metadata, requests, and hears components', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    const echo = await t.load('msg-echo', { args: ['echo', 'e'], messaging: { subscribe: ['svc.page.*'] } });
    const replies = await t.api.messaging.request('svc.page.q', 'hi ü', { contentType: 'text/plain', metadata: { a: '1', b: 'two' } });
    const heard = [];
    const sub = await t.api.messaging.subscribe('events.>', (m) => heard.push([m.topic, m.text(), m.contentType]));
    const p = await t.load('msg-publisher', { args: ['p', 'send', 'events.x.y', '5', 'application/x-n'], messaging: { publish: ['events.>'] } });
    await p.h.run();
    await t.until(() => heard.length === 5, 3000, 'five messages');
    await sub.unsubscribe();
    await p.h.run(); // heard no more
    await new Promise((r) => setTimeout(r, 100));
    echo.h.terminate(); p.h.terminate();
    return { replies: replies.map((m) => [m.topic, m.text()]), heard };
  }, HELPERS.toString());
  assert.deepEqual(r.replies, [['svc.page.q', 'e:hi ü|ct=text/plain|md=a=1;b=two|topic=svc.page.q']]);
  assert.deepEqual(r.heard, [0, 1, 2, 3, 4].map((i) => ['events.x.y', String(i), 'application/x-n']));
});

test('a handler that traps: the page is told which message, that worker and its subscriptions end, others go on', async () => {
  const r = await inPage(async (H) => {
    await eval(H)();
    // The page's own endpoint, and nothing left of earlier tests' components.
    await t.api.messaging.publish('nobody.here', '');
    await t.until(async () => (await t.endpoints()) === 1, 5000, 'a quiet bus');
    const before = 1;
    const trap = await t.load('msg-trap', { messaging: { subscribe: ['work.*'] } });
    const counter = await t.load('msg-counter', { messaging: { subscribe: ['work.*'] } });
    const echo = await t.load('msg-echo', { args: ['echo', 'e'], messaging: { subscribe: ['work.*'] } });
    const loaded = await t.endpoints();
    await t.api.messaging.publish('work.a', '1');
    await t.until(async () => (await t.stats(trap).count()) === 1, 3000, 'first message');
    // A request that both the echo and the trapping handler get: the echo answers, the other
    // traps; two replies were wanted, so it ends at its timeout with the one that came.
    const t0 = performance.now();
    const replies = await t.api.messaging.request('work.a', 'trap', { timeoutMs: 400, expectedReplies: 2 });
    const ms = performance.now() - t0;
    await t.until(() => trap.events.some((e) => e.type === 'handler-trap'), 3000, 'handler-trap');
    let call;
    try { await t.stats(trap).count(); call = 'resolved'; } catch (e) { call = `${e.name}: ${e.message}`; }
    await t.until(async () => (await t.endpoints()) === loaded - 1, 3000, 'the trapped endpoint gone');
    for (let i = 2; i < 5; i++) await t.api.messaging.publish('work.b', String(i));
    await t.until(async () => (await t.stats(counter).count()) === 5, 3000, 'the others go on');
    const out = { before, loaded, after: await t.endpoints(), trapEvent: trap.events.find((e) => e.type === 'handler-trap'), call, replies: replies.map((m) => m.text()), ms, counted: await t.received(counter) };
    counter.h.terminate(); echo.h.terminate();
    return out;
  }, HELPERS.toString());
  assert.equal(r.loaded, r.before + 3);
  assert.equal(r.after, r.before + 2);
  assert.equal(r.trapEvent.export, 'wasi:messaging/incoming-handler@0.2.0-draft#handle');
  assert.equal(r.trapEvent.topic, 'work.a');
  assert.equal(r.trapEvent.preview, 'trap');
  assert.match(r.trapEvent.message, /unreachable/);
  assert.notEqual(r.call, 'resolved', 'later calls reject');
  assert.deepEqual(r.replies, ['e:trap|ct=-|md=-|topic=work.a']);
  // Ended by its timeout, not by a reply from the trapped handler nor hanging (the 10% check
  // is the request-reply timeout test's; here the page also ends a worker meanwhile).
  assert.ok(r.ms >= 400 && r.ms <= 600, `request took ${r.ms} ms for 400`);
  assert.deepEqual(r.counted, [1, 0xffffffff, 2, 3, 4]);
});
