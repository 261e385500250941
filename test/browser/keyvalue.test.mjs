// wasi:keyvalue on IndexedDB, end to end in Chromium: the C test components (kv-*.c) in real
// workers, on real IndexedDB, with other tabs as other pages of one browser context, a
// persistent profile for durability, and a real quota for failures. Each test uses its own
// `keyvalue.database`, so tests never see each other's buckets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath, launchBrowser, startServer } from '../../scripts/lib/browser.mjs';

let server, url, browser, context, page;
before(async () => {
  ({ server, url } = await startServer());
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await newTab();
});
after(async () => { await browser?.close(); await server?.close(); });

async function newTab(ctx = context) {
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.error('[page error]', e.message));
  await p.goto(`${url}/test/pages/blank.html`);
  return p;
}

let n = 0;
/** A database name of its own for one test. */
const fresh = (what) => `test-${what}-${process.pid}-${Date.now()}-${n++}`;

/** In the page: load fixtures (by name) with grants, call `script(loaded, lib)` and return its
 * result; every component is terminated afterwards. */
function inPage(p, script, arg) {
  return p.evaluate(async ({ script, arg }) => {
    const lib = await import('/src/index.ts');
    const handles = [];
    const load = async (name, grants) => {
      const h = await lib.loadComponent(`/test/fixtures/build/${name}.wasm`, grants);
      handles.push(h);
      return h.exports;
    };
    try {
      // eslint-disable-next-line no-new-func
      return await new Function('load', 'lib', 'arg', `return (${script})(load, lib, arg);`)(load, lib, arg);
    } finally {
      for (const h of handles) h.terminate();
    }
  }, { script: script.toString(), arg });
}

test('nothing is granted by default; only granted buckets open; bad names are no-such-store', async () => {
  const database = fresh('grants');
  const r = await inPage(page, async (load, _lib, database) => {
    const none = await load('kv-store', {});
    const some = await load('kv-store', { keyvalue: { buckets: ['cart', 'settings'], database } });
    const any = await load('kv-store', { keyvalue: { buckets: '*', database } });
    return {
      none: await none.openCheck('cart'),
      cart: await some.openCheck('cart'),
      settings: await some.openCheck('settings'),
      other: await some.openCheck('orders'),
      anyOrders: await any.openCheck('orders'),
      empty: await any.openCheck(''),
      long: await any.openCheck('x'.repeat(256)),
      control: await any.openCheck('a\nb'),
      longest: await any.openCheck('y'.repeat(255)),
      deniedPut: await some.put('orders', 'k', 'v'),
    };
  }, database);
  assert.deepEqual(r, {
    none: 'err access-denied', cart: 'ok', settings: 'ok', other: 'err access-denied', anyOrders: 'ok',
    empty: 'err no-such-store', long: 'err no-such-store', control: 'err no-such-store', longest: 'ok',
    deniedPut: 'err access-denied',
  });
});

test('set, get, exists and delete; databases namespace buckets of the same name', async () => {
  const a = fresh('ns-a');
  const b = fresh('ns-b');
  const r = await inPage(page, async (load, _lib, { a, b }) => {
    const x = await load('kv-store', { keyvalue: { buckets: ['cart'], database: a } });
    const y = await load('kv-store', { keyvalue: { buckets: ['cart'], database: b } });
    const out = [];
    out.push(await x.put('cart', 'apple', '3 apples'));
    out.push(await x.fetch('cart', 'apple'), await x.has('cart', 'apple'));
    out.push(await y.fetch('cart', 'apple'), await y.has('cart', 'apple'));
    out.push(await x.put('cart', 'apple', ''));
    out.push(await x.fetch('cart', 'apple'));
    out.push(await x.remove('cart', 'apple'), await x.remove('cart', 'apple'));
    out.push(await x.fetch('cart', 'apple'), await x.has('cart', 'apple'));
    out.push(await x.put('cart', 'ünï 🍎', 'ç'), await x.fetch('cart', 'ünï 🍎'));
    return out;
  }, { a, b });
  assert.deepEqual(r, ['ok', 'some 3 apples', 'yes', 'none', 'no', 'ok', 'some ', 'ok', 'ok', 'none', 'no', 'ok', 'some ç']);
});

test('four workers incrementing one key 500 times each end at exactly 2000', async () => {
  const database = fresh('incr');
  const r = await inPage(page, async (load, _lib, database) => {
    const cs = await Promise.all([0, 1, 2, 3].map(() => load('kv-counter', { keyvalue: { buckets: ['c'], database } })));
    const ends = await Promise.all(cs.map((c) => c.count('c', 'n', 500)));
    return { ends, final: await cs[0].add('c', 'n', 0n) };
  }, database);
  assert.equal(r.final, 'ok 2000');
  const lasts = r.ends.map((e) => Number(/^ok (\d+)$/.exec(e)[1]));
  assert.equal(Math.max(...lasts), 2000);
  assert.ok(lasts.every((v) => v >= 500 && v <= 2000), r.ends.join(', '));
});

test('increment refuses a value that is not a counter, and s64 overflow, writing nothing', async () => {
  const database = fresh('incr-bad');
  const r = await inPage(page, async (load, _lib, database) => {
    const s = await load('kv-store', { keyvalue: { buckets: ['c'], database } });
    const c = await load('kv-counter', { keyvalue: { buckets: ['c'], database } });
    await s.put('c', 'word', 'hello');
    const word = await c.add('c', 'word', 1n);
    const max = await c.add('c', 'big', 9223372036854775807n);
    const over = await c.add('c', 'big', 1n);
    const neg = await c.add('c', 'neg', -5n);
    return { word, wordAfter: await s.fetch('c', 'word'), max, over, bigAfter: await s.fetch('c', 'big'), neg };
  }, database);
  assert.match(r.word, /^err other: the value of "word" is not a decimal integer/);
  assert.equal(r.wordAfter, 'some hello');
  assert.equal(r.max, 'ok 9223372036854775807');
  assert.match(r.over, /^err other: .*overflows/);
  assert.equal(r.bigAfter, 'some 9223372036854775807');
  assert.equal(r.neg, 'ok -5');
});

test('a compare-and-swap retry loop in four workers loses no update', async () => {
  const database = fresh('cas');
  const r = await inPage(page, async (load, _lib, database) => {
    const cs = await Promise.all([0, 1, 2, 3].map(() => load('kv-cas', { keyvalue: { buckets: ['c'], database } })));
    const ends = await Promise.all(cs.map((c) => c.casAdd('c', 'n', 500)));
    const s = await load('kv-store', { keyvalue: { buckets: ['c'], database } });
    return { ends, final: await s.fetch('c', 'n') };
  }, database);
  assert.equal(r.final, 'some 2000');
  const retries = r.ends.map((e) => Number(/^ok (\d+)$/.exec(e)[1]));
  // Four loops on one key do collide: the retries are what proves the check is made.
  assert.ok(retries.reduce((a, b) => a + b, 0) > 0, `retries: ${retries}`);
});

test('batch: get-many keeps order with none for missing keys; set-many and delete-many are seen all or nothing', async () => {
  const database = fresh('batch');
  const r = await inPage(page, async (load, _lib, database) => {
    const w = await load('kv-batch', { keyvalue: { buckets: ['b'], database } });
    const rd = await load('kv-batch', { keyvalue: { buckets: ['b'], database } });
    const order = [await w.write('b', [['k1', 'one'], ['k2', 'two'], ['k3', 'three']]), await w.read('b', ['k3', 'nope', 'k1', 'k2'])];
    const erased = [await w.erase('b', ['k1', 'k3', 'never']), await w.read('b', ['k1', 'k2', 'k3'])];
    // A writer alternates set-many of 200 keys (one version each round) and delete-many of them;
    // a reader in another worker reads all 200 at once meanwhile: never a mix.
    const keys = Array.from({ length: 200 }, (_, i) => `m${i}`);
    let done = false;
    const writer = (async () => {
      for (let v = 0; v < 30; v++) {
        const a = await w.write('b', keys.map((k) => [k, `v${v}`]));
        const b = await w.erase('b', keys);
        if (a !== 'ok' || b !== 'ok') return `${a} ${b}`;
      }
      done = true;
      return 'ok';
    })();
    const seen = new Set();
    let reads = 0;
    while (!done && reads < 2000) {
      const got = (await rd.read('b', keys)).split(';').filter(Boolean).map((e) => (e.endsWith('!') ? 'none' : e.split('=')[1]));
      seen.add([...new Set(got)].join(','));
      reads++;
    }
    return { order, erased, writer: await writer, seen: [...seen], reads };
  }, database);
  assert.deepEqual(r.order, ['ok', 'k3=three;nope!;k1=one;k2=two;']);
  assert.deepEqual(r.erased, ['ok', 'k1!;k2=two;k3!;']);
  assert.equal(r.writer, 'ok');
  assert.ok(r.reads > 5, `reads: ${r.reads}`);
  for (const s of r.seen) assert.ok(!s.includes(','), `a get-many saw a mix: ${s}`);
  assert.ok(r.seen.some((s) => s.startsWith('v')), `saw: ${r.seen}`);
});

test('list-keys walks 10,000 keys exactly once each, in pages, also while keys are deleted and added', async () => {
  const database = fresh('list');
  const r = await inPage(page, async (load, _lib, database) => {
    const l = await load('kv-lister', { keyvalue: { buckets: ['l', 'm'], database } });
    const filled = [await l.fill('l', 10000), await l.fill('m', 10000)];
    return { filled, plain: await l.walk('l', false), mutating: await l.walk('m', true) };
  }, database);
  assert.deepEqual(r.filled, ['ok', 'ok']);
  const expected = Array.from({ length: 10000 }, (_, i) => `key-${String(i).padStart(5, '0')}`);
  for (const [name, text] of [['plain', r.plain], ['mutating', r.mutating]]) {
    const [head, ...keys] = text.split('\n').filter(Boolean);
    const pages = Number(/^pages (\d+)/.exec(head)[1]);
    assert.ok(pages >= 10, `${name}: ${pages} pages`);
    // The mutating walk writes "a-new-key" before its cursor: it must not be walked.
    assert.deepEqual(keys, expected, `${name}: every key once, in order`);
  }
});

test('a watcher hears other workers, the page and another tab once each, and never its own writes', async () => {
  const database = fresh('watch');
  const other = await newTab();
  try {
    const started = await page.evaluate(async (database) => {
      const lib = await import('/src/index.ts');
      const traps = [];
      const h = await lib.loadComponent('/test/fixtures/build/kv-watcher.wasm', { keyvalue: { buckets: ['w'], database }, onEvent: (e) => traps.push(e) });
      const s = await lib.loadComponent('/test/fixtures/build/kv-store.wasm', { keyvalue: { buckets: ['w'], database } });
      globalThis.kvWatch = { h, s, traps };
      return [await h.exports.put('w', 'own', 'mine'), await h.exports.remove('w', 'own')];
    }, database);
    assert.deepEqual(started, ['ok', 'ok']);
    await page.evaluate(async () => {
      const { s } = globalThis.kvWatch;
      await s.exports.put('w', 'a', 'from a worker');
      await s.exports.remove('w', 'a');
    });
    await page.evaluate(async (database) => {
      const { openBucket } = await import('/src/index.ts');
      await openBucket('w', { database }).set('b', 'from the page');
    }, database);
    await inPage(other, async (load, lib, database) => {
      const s = await load('kv-store', { keyvalue: { buckets: ['w'], database } });
      await s.put('w', 'c', 'from another tab');
      await lib.openBucket('w', { database }).set('d', 'from the other page');
      await lib.openBucket('elsewhere', { database }).set('e', 'not watched');
    }, database);
    const events = await page.evaluate(async () => {
      const { h, s, traps } = globalThis.kvWatch;
      let log = '';
      for (let i = 0; i < 250 && log.split('\n').length < 6; i++) {
        await new Promise((r) => setTimeout(r, 20));
        log += await h.exports.events();
      }
      await new Promise((r) => setTimeout(r, 200));
      log += await h.exports.events();
      h.terminate(); s.terminate();
      return { log, traps };
    });
    assert.deepEqual(events.traps, []);
    const lines = events.log.split('\n').filter(Boolean);
    // Each event reads the key back through the bucket it was given: the worker's set may
    // already have been deleted by then.
    assert.match(lines[0] ?? '', /^set a=from a worker now=(from a worker|none)$/);
    assert.deepEqual(lines.slice(1), [
      'delete a now=none',
      'set b=from the page now=from the page',
      'set c=from another tab now=from another tab',
      'set d=from the other page now=from the other page',
    ]);
  } finally {
    await other.close();
  }
});

test('the page reads and seeds a bucket, and hears components change it', async () => {
  const database = fresh('page');
  const r = await inPage(page, async (load, lib, database) => {
    const b = lib.openBucket('settings', { database });
    await b.set('theme', 'dark');
    await b.set('bytes', new Uint8Array([0, 1, 255]));
    const s = await load('kv-store', { keyvalue: { buckets: ['settings'], database } });
    const seen = await s.fetch('settings', 'theme');
    const heard = [];
    b.addEventListener('change', (e) => heard.push(e.detail));
    await s.put('settings', 'lang', 'fr');
    await s.remove('settings', 'theme');
    for (let i = 0; i < 250 && heard.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const bad = [];
    for (const name of ['', 'a\u0000b']) try { lib.openBucket(name); } catch (e) { bad.push(e.name); }
    const out = {
      seen, heard: heard.map((h) => [h.type, h.key, h.value && new TextDecoder().decode(h.value)]),
      keys: await b.keys(), lang: await b.getText('lang'), theme: await b.get('theme'),
      bytes: [...(await b.get('bytes'))], bad,
    };
    b.close();
    return out;
  }, database);
  assert.deepEqual(r, {
    seen: 'some dark', heard: [['set', 'lang', 'fr'], ['delete', 'theme', undefined]],
    keys: ['bytes', 'lang'], lang: 'fr', theme: undefined, bytes: [0, 1, 255], bad: ['TypeError', 'TypeError'],
  });
});

test('the script-tag build has openBucket, on the same data as the module build (built dist/)', async () => {
  const database = fresh('iife');
  const tab = await context.newPage();
  try {
    await tab.goto(`${url}/test/pages/script-tag.html`);
    const r = await tab.evaluate(async (database) => {
      const b = WasiP3Web.openBucket('s', { database });
      await b.set('from', 'the script tag');
      const { openBucket } = await import('/src/index.ts');
      const m = openBucket('s', { database });
      const got = [await m.getText('from'), await b.keys()];
      b.close(); m.close();
      return got;
    }, database);
    assert.deepEqual(r, ['the script tag', ['from']]);
  } finally {
    await tab.close();
  }
});

test('0.2.0-draft (wasmtime\'s) works on the same buckets: u64 increment, its u64 cursor, batch', async () => {
  const database = fresh('draft');
  const r = await inPage(page, async (load, _lib, database) => {
    const d = await load('kv-draft', { keyvalue: { buckets: ['shared'], database } });
    const s = await load('kv-store', { keyvalue: { buckets: ['shared'], database } });
    const l = await load('kv-lister', { keyvalue: { buckets: ['shared'], database } });
    const c = await load('kv-counter', { keyvalue: { buckets: ['shared'], database } });
    const out = {};
    out.put = await d.put('shared', 'greeting', 'hi');
    out.seenByDraft2 = await s.fetch('shared', 'greeting');
    out.count = await d.count('shared', 'n', 7n, 3);
    out.draft2Adds = await c.add('shared', 'n', 1n);
    out.big = await d.count('shared', 'u', 18446744073709551615n, 1);
    out.over = await d.count('shared', 'u', 1n, 1);
    await c.add('shared', 'below', -1n);
    out.negative = await d.count('shared', 'below', 1n, 1);
    out.write = await d.write('shared', [['w1', 'x'], ['w2', 'y']]);
    out.fill = await l.fill('shared', 2500);
    out.walk = await d.walk('shared');
    out.denied = await d.fetch('other', 'k');
    return out;
  }, database);
  assert.equal(r.put, 'ok');
  assert.equal(r.seenByDraft2, 'some hi');
  assert.equal(r.count, 'ok 21');
  assert.equal(r.draft2Adds, 'ok 22');
  assert.equal(r.big, 'ok 18446744073709551615');
  assert.match(r.over, /^err other: .*overflows/);
  assert.match(r.negative, /^err other: the value of "below" \(-1\) is out of this counter.s range/);
  assert.equal(r.write, 'ok');
  assert.equal(r.fill, 'ok');
  const [head, ...keys] = r.walk.split('\n').filter(Boolean);
  assert.equal(head.trim(), 'pages 3'); // 2,506 keys, 1,000 a page
  const expected = [...Array.from({ length: 2500 }, (_, i) => `key-${String(i).padStart(5, '0')}`), 'below', 'greeting', 'n', 'u', 'w1', 'w2'].sort();
  assert.deepEqual(keys, expected);
  assert.equal(r.denied, 'err access-denied');
});

test('a watcher built against 0.2.0-draft hears a draft2 component\'s writes, not its own', async () => {
  const database = fresh('draft-watch');
  const r = await inPage(page, async (load, _lib, database) => {
    const w = await load('kv-draft-watcher', { keyvalue: { buckets: ['w'], database } });
    const s = await load('kv-store', { keyvalue: { buckets: ['w'], database } });
    const own = await w.put('w', 'mine', 'x');
    const theirs = [await s.put('w', 'k', 'v'), await s.remove('w', 'k')];
    let log = '';
    for (let i = 0; i < 250 && log.split('\n').length < 3; i++) { await new Promise((res) => setTimeout(res, 20)); log += await w.events(); }
    await new Promise((res) => setTimeout(res, 200));
    return { own, theirs, log: log + await w.events() };
  }, database);
  assert.deepEqual([r.own, ...r.theirs], ['ok', 'ok', 'ok']);
  const lines = r.log.split('\n').filter(Boolean);
  assert.match(lines[0] ?? '', /^set k=v now=(v|none)$/);
  assert.deepEqual(lines.slice(1), ['delete k now=none']);
});

test('a full quota is the interface\'s other error with the browser\'s message, and nothing is half-written', async () => {
  const database = fresh('quota');
  const tab = await newTab();
  const cdp = await context.newCDPSession(tab);
  try {
    const origin = new URL(url).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 3 * 1024 * 1024 });
    const r = await inPage(tab, async (load, lib, database) => {
      // The override takes effect a little later: wait until a 4 MiB write elsewhere fails.
      const random = (n) => { const v = new Uint8Array(n); for (let i = 0; i < n; i += 65536) crypto.getRandomValues(v.subarray(i, i + 65536)); return v; };
      const probe = lib.openBucket('probe', { database: `${database}-probe` });
      let probes = 0;
      for (; probes < 50; probes++) {
        try { await probe.set('p', random(4 << 20)); await probe.delete('p'); } catch { break; }
        await new Promise((res) => setTimeout(res, 100));
      }
      const s = await load('kv-store', { keyvalue: { buckets: ['q'], database } });
      const b = await load('kv-batch', { keyvalue: { buckets: ['q'], database } });
      const out = { probes };
      out.small = await s.put('q', 'small', 'fits');
      out.big = await s.putBig('q', 'big', 4 << 20);
      out.bigAfter = await s.fetch('q', 'big');
      // set-many with one value too big for the quota: none of its entries is written.
      // ~3.3 MiB of base64 text from random bytes: it does not compress below the quota.
      const huge = Array.from({ length: 40 }, () => btoa(Array.from(random(1 << 16), (c) => String.fromCharCode(c)).join(''))).join('');
      out.many = await b.write('q', [['m1', 'one'], ['m2', huge], ['m3', 'three']]);
      out.manyAfter = await b.read('q', ['m1', 'm2', 'm3']);
      // What was acknowledged stays readable (a write may still fail this close to the quota).
      out.stillWorks = await s.fetch('q', 'small');
      return out;
    }, database);
    assert.ok(r.probes < 50, 'the quota override never took effect');
    assert.equal(r.small, 'ok');
    assert.match(r.big, /^err other: QuotaExceededError/);
    assert.equal(r.bigAfter, 'none');
    assert.match(r.many, /^err other: QuotaExceededError/);
    assert.equal(r.manyAfter, 'm1!;m2!;m3!;');
    assert.equal(r.stillWorks, 'some fits');
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin }).catch(() => {});
    await cdp.detach().catch(() => {});
    await tab.close();
  }
});

test('an IndexedDB failure (a database of that name without our store) is the other error, and a deleted database is reopened', async () => {
  const database = fresh('foreign');
  const r = await inPage(page, async (load, _lib, database) => {
    // Another app's database under our name, holding a connection, with no "entries" store.
    const name = `wasip3-web/keyvalue/${database}`;
    const db = await new Promise((res, rej) => { const q = indexedDB.open(name, 3); q.onupgradeneeded = () => q.result.createObjectStore('theirs'); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
    const s = await load('kv-store', { keyvalue: { buckets: ['x'], database } });
    const out = { put: await s.put('x', 'k', 'v'), get: await s.fetch('x', 'k') };
    // Delete it: our connection closes on versionchange, so the deletion is not blocked, and
    // the next call opens a fresh database.
    db.close();
    await new Promise((res, rej) => { const q = indexedDB.deleteDatabase(name); q.onsuccess = res; q.onerror = () => rej(q.error); q.onblocked = () => rej(new Error('blocked')); });
    out.after = [await s.put('x', 'k', 'v'), await s.fetch('x', 'k')];
    await new Promise((res, rej) => { const q = indexedDB.deleteDatabase(name); q.onsuccess = res; q.onerror = () => rej(q.error); q.onblocked = () => rej(new Error('deletion blocked by an open connection')); });
    out.afterDelete = [await s.fetch('x', 'k'), await s.put('x', 'k2', 'w'), await s.fetch('x', 'k2')];
    return out;
  }, database);
  assert.match(r.put, /^err other: NotFoundError/);
  assert.match(r.get, /^err other: NotFoundError/);
  assert.deepEqual(r.after, ['ok', 'some v']);
  assert.deepEqual(r.afterDelete, ['none', 'ok', 'some w']);
});

test('a value whose set returned survives terminating the worker at once and reloading the page', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasip3-kv-'));
  const persistent = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(), headless: true,
    args: chromiumArgs,
  });
  try {
    const database = fresh('durable');
    const tab = await newTab(persistent);
    const wrote = await tab.evaluate(async (database) => {
      const { loadComponent } = await import('/src/index.ts');
      const h = await loadComponent('/test/fixtures/build/kv-store.wasm', { keyvalue: { buckets: ['d'], database } });
      const r = await h.exports.put('d', 'kept', 'across a reload');
      h.terminate();
      return r;
    }, database);
    assert.equal(wrote, 'ok');
    await tab.reload();
    const read = await inPage(tab, async (load, lib, database) => {
      const s = await load('kv-store', { keyvalue: { buckets: ['d'], database } });
      return [await s.fetch('d', 'kept'), await lib.openBucket('d', { database }).getText('kept')];
    }, database);
    assert.deepEqual(read, ['some across a reload', 'across a reload']);
  } finally {
    await persistent.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
