// src/runtime in Chromium on components built from test/fixtures: calls, streams between
// guests and the host, and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../../scripts/lib/browser.mjs';

let session;
before(async () => { session = await openPage('/test/pages/blank.html'); });
after(async () => { await session?.close(); });

const inPage = (fn, arg) => session.page.evaluate(fn, arg);

test('a sync export is callable by call(), callSync() and bind()', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/add.wasm')).arrayBuffer());
    const inst = await rt.instantiateComponent(bytes);
    const add1 = inst.bind('add1');
    return [await inst.call('add1', 41), inst.callSync('add1', 0xffffffff), add1(-1 >>> 0)];
  });
  assert.deepEqual(r, [42, 0, 0]);
});

test('a guest stream reaches the host in chunks, byte for byte', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/stream-pair.wasm')).arrayBuffer());
    const inst = await rt.instantiateComponent(bytes);
    const n = 1_000_003;
    const reader = await inst.call('produce', n, 65536);
    let total = 0; let chunks = 0; let bad = -1;
    for await (const c of reader) {
      for (let i = 0; i < c.length; i++) if (c[i] !== (total + i) % 251 && bad < 0) bad = total + i;
      total += c.length; chunks++;
    }
    return { total, chunks, bad, isU8: true };
  });
  assert.equal(r.total, 1_000_003);
  assert.equal(r.bad, -1);
  assert.ok(r.chunks >= 16 && r.chunks <= 32, `chunks: ${r.chunks}`);
});

test('a host ReadableStream feeds a guest, and guest-to-guest streams move every byte', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/stream-pair.wasm')).arrayBuffer());
    const a = await rt.instantiateComponent(bytes);
    const b = await rt.instantiateComponent(bytes);
    let pulled = 0;
    const src = new ReadableStream({
      pull(ctrl) {
        if (pulled >= 10) { ctrl.close(); return; }
        pulled++;
        ctrl.enqueue(new Uint8Array(100_000));
      },
    });
    const fromHost = await b.call('consume', src, 4096);
    const s = await a.call('produce', 5 * 1024 * 1024 + 7, 65536);
    const guestToGuest = await b.call('consume', s, 65536);
    return [String(fromHost), String(guestToGuest)];
  });
  assert.deepEqual(r, ['1000000', String(5 * 1024 * 1024 + 7)]);
});

test('malformed bytes and core modules are refused with clear errors', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const out = [];
    for (const bytes of [new Uint8Array([1, 2, 3]), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
      new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 0x07, 0x05, 0x01, 0x72])]) {
      try { await rt.compileComponent(bytes); out.push('compiled'); } catch (e) { out.push(`${e.name}: ${e.message}`); }
    }
    return out;
  });
  assert.match(r[0], /MalformedError: .*(magic|end-of-file)/);
  assert.match(r[1], /MalformedError: this is a core WebAssembly module, not a component/);
  assert.match(r[2], /MalformedError: .*byte offset/);
});

test('host stream ends convert to and from WHATWG streams', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/stream-pair.wasm')).arrayBuffer());
    const a = await rt.instantiateComponent(bytes);
    const b = await rt.instantiateComponent(bytes);
    // guest stream -> ReadableStream
    const readable = (await a.call('produce', 300_000, 65536)).toReadableStream();
    let n = 0;
    for await (const c of readable) n += c.length;
    // WritableStream -> guest stream
    const { stream, writer } = rt.createHostStream(rt.prim('u8'), b.store);
    const counted = b.call('consume', stream, 1000);
    const ws = writer.toWritableStream().getWriter();
    for (let i = 0; i < 10; i++) await ws.write(new Uint8Array(12345));
    await ws.close();
    return [n, String(await counted)];
  });
  assert.deepEqual(r, [300_000, '123450']);
});

test('strings cross in utf8, utf16 and latin1+utf16', async () => {
  const samples = ['', 'plain ascii', 'café déjà vu', 'emoji 🦀 and 中文', 'x'.repeat(70000)];
  const r = await inPage(async (samples) => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/strings.wasm')).arrayBuffer());
    const out = [];
    for (const enc of ['echo-utf8', 'echo-utf16', 'echo-latin1-utf16']) {
      const inst = await rt.instantiateComponent(bytes);
      for (const s of samples) out.push((await inst.call(enc, s)) === s);
    }
    return out;
  }, samples);
  assert.deepEqual(r, Array(15).fill(true));
});

test('a host resource: constructor, method through a borrow, and drop', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/host-resource.wasm')).arrayBuffer());
    const log = [];
    class Counter {
      constructor(start) { this.v = start; log.push(`new ${start}`); }
      add(n) { this.v += n; return this.v; }
      [Symbol.dispose]() { log.push(`dispose ${this.v}`); }
    }
    const inst = await rt.instantiateComponent(bytes, { 'test:host/counter': { Counter } });
    const result = await inst.call('run', 1);
    let missing;
    try { await rt.instantiateComponent(bytes, { 'test:host/counter': {} }); } catch (e) { missing = `${e.name}: ${e.message}`; }
    return { result, log, missing };
  });
  assert.equal(r.result, 16);
  assert.deepEqual(r.log, ['new 1', 'dispose 16']);
  assert.match(r.missing, /LinkError: missing import: "test:host\/counter" has no function "\[constructor\]counter"/);
});

test('a guest calls a host import: values at once, through a Promise, and a host error as a trap', async () => {
  const r = await inPage(async () => {
    const rt = await import('/src/runtime/index.ts');
    const bytes = new Uint8Array(await (await fetch('/test/fixtures/build/host-call.wasm')).arrayBuffer());
    const seen = [];
    const sync = await rt.instantiateComponent(bytes, { ping: (x) => { seen.push(x); return x * 2; } });
    const viaPromise = await rt.instantiateComponent(bytes, { ping: async (x) => { await new Promise((r) => setTimeout(r, 0)); return x + 1; } });
    const throwing = await rt.instantiateComponent(bytes, { ping: (x) => { if (x === 3) throw new Error('no pings past 3'); return 0; } });
    // u32 results wrap: -1 from the host arrives as 0xffffffff, summed in wasm's i32.
    const wrapping = await rt.instantiateComponent(bytes, { ping: () => -1 });
    // Marked neverSuspends: a plain import (the instance needs no JSPI), and a broken promise
    // to return at once is a trap that says so.
    const plain = await rt.instantiateComponent(bytes, { ping: rt.neverSuspends((x) => x * 3) });
    const broken = await rt.instantiateComponent(bytes, { ping: rt.neverSuspends(async () => 1) });
    const failure = async (inst) => { try { await inst.call('call-host', 10); return null; } catch (e) { return `${e.name}: ${e.message}`; } };
    return {
      sync: await sync.call('call-host', 1000), seen: seen.length, last: seen[999],
      viaPromise: await viaPromise.call('call-host', 20),
      wrapping: await wrapping.call('call-host', 2),
      error: await failure(throwing),
      plain: plain.callSync('call-host', 100),
      broken: await failure(broken),
    };
  });
  assert.deepEqual(r, {
    sync: 999 * 1000, seen: 1000, last: 999,
    viaPromise: (19 * 20) / 2 + 20,
    wrapping: 0xfffffffe,
    error: 'Trap: host function ping threw: no pings past 3',
    plain: 3 * (99 * 100) / 2,
    broken: 'Trap: host function ping returned a Promise but is marked neverSuspends',
  });
});
