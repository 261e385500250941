// The demo page: pick a built-in component (ours, or one of the official WASI suite's) or drop
// your own; see its imports and exports, read from the binary; set what it sees and what it is
// granted; run it and watch its output; inspect its key-value buckets, messages and files; and
// run a streaming pipeline across two workers.
import {
  borrow, loadComponent, messaging, openBucket, openDirectory, ComponentError,
  type ComponentHandle, type Grants, type KeyvalueBucket, type Progress,
} from '../src/index.ts';
import { describeComponent, type Described } from './describe.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

interface Example { id: string; title: string; url: string; args?: string; env?: string; stdin?: string; grants?: string[] }
const fixture = (id: string, title: string, more: Partial<Example> = {}): Example => ({ id, title, url: `/test/fixtures/build/${id}.wasm`, ...more });
const suite = (id: string, title: string, more: Partial<Example> = {}): Example => ({ id: `suite/${id}`, title, url: `/test/wasi-testsuite/wasm32-wasip3/${id}.wasm`, ...more });

const EXAMPLES: { group: string; items: Example[] }[] = [
  { group: 'Ours (built from C and WAT in test/fixtures)', items: [
    fixture('hello', 'hello: prints a greeting'),
    fixture('echo', 'echo: copies stdin to stdout', { stdin: 'Type some text here; echo sends it back.\n' }),
    fixture('args-env', 'args-env: its arguments and environment', { args: 'demo --flag value', env: 'GREETING=hello' }),
    fixture('mixed-stdout', 'mixed-stdout: WASI 0.2 and 0.3 writing to one stdout, in order'),
    fixture('p2-cli', 'p2-cli: a pure WASI 0.2 command (sleeps 300 ms, echoes stdin)', { args: '300', stdin: 'read through wasi:io blocking-read\n' }),
    fixture('busy-lines', 'busy-lines: prints, computes without waiting, prints again'),
    fixture('kv-counter', 'kv-counter: counts in a key-value bucket (call its export count)', { grants: ['kv'] }),
    fixture('msg-publisher', 'msg-publisher: sends 5 messages to demo.news', { args: 'send demo.news 5', grants: ['msg'] }),
    fixture('msg-publisher', 'msg-publisher: asks the echo component in a second tab (open it under Messages)', { id: 'msg-request', args: 'request demo.requests hello-from-a-component 3000 1', grants: ['msg'] }),
    fixture('exit3', 'exit3: exits with code 3'),
    fixture('trap', 'trap: executes unreachable (an error panel)'),
    fixture('needs-missing', 'needs-missing: imports what nobody serves (an error panel)'),
  ] },
  { group: 'The official WASI 0.3 test suite (Rust, nobody here wrote them)', items: [
    suite('cli-env', 'cli-env: checks its arguments and environment', { args: 'a b 42', env: 'foo=bar\nbaz=42' }),
    suite('random', 'random: wasi:random'),
    suite('monotonic-clock', 'monotonic-clock: waits and measures'),
    suite('multi-clock-wait', 'multi-clock-wait: 20 timers at once'),
    suite('wall-clock', 'wall-clock: the system clock'),
  ] },
];
const ALL = EXAMPLES.flatMap((g) => g.items);

// ---- Choosing a component

const select = $<HTMLSelectElement>('example');
for (const g of EXAMPLES) {
  const og = document.createElement('optgroup');
  og.label = g.group;
  for (const e of g.items) og.append(new Option(e.title, e.id));
  select.append(og);
}

let source: { name: string; bytes: Uint8Array } | null = null;
let described: Described | null = null;

async function choose(e: Example): Promise<void> {
  input('args').value = e.args ?? '';
  $<HTMLTextAreaElement>('env').value = e.env ?? '';
  $<HTMLTextAreaElement>('stdin').value = e.stdin ?? '';
  for (const g of ['kv', 'msg', 'fs', 'net']) input(`grant-${g}`).checked = e.grants?.includes(g) ?? false;
  const res = await fetch(e.url);
  await use(e.url.split('/').pop()!, new Uint8Array(await res.arrayBuffer()));
}

/** Show what a component imports and exports, read from its bytes (or why it cannot be read). */
async function use(name: string, bytes: Uint8Array): Promise<void> {
  source = { name, bytes };
  hideError();
  const imports = $('imports');
  const exports = $('exports');
  imports.textContent = '';
  exports.textContent = '';
  try {
    described = describeComponent(bytes);
  } catch (e) {
    described = null;
    showError(e);
    return;
  }
  const item = (ul: HTMLElement, head: string, lines: string[]) => {
    const li = document.createElement('li');
    li.textContent = head;
    for (const l of lines) { const s = document.createElement('small'); s.textContent = l; li.append(s); }
    ul.append(li);
  };
  for (const i of described.imports) item(imports, i.name, i.funcs);
  for (const x of described.exports) item(exports, x.name, x.funcs);
  setStatus(`${name}: ${(bytes.byteLength / 1024).toFixed(0)} KiB, ${described.imports.length} imports, ${described.exports.length} exports`);
}

select.addEventListener('change', () => void choose(ALL.find((e) => e.id === select.value)!));
input('file').addEventListener('change', async () => {
  const f = input('file').files?.[0];
  if (f) await use(f.name, new Uint8Array(await f.arrayBuffer()));
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) await use(f.name, new Uint8Array(await f.arrayBuffer()));
});

// ---- Errors and status

const TITLES: Record<string, string> = {
  trap: 'The component trapped', link: 'An import is not provided', invalid: 'Not a valid component',
  malformed: 'Not a component binary', terminated: 'Stopped', error: 'Something went wrong',
};
function showError(e: unknown): void {
  const kind = e instanceof ComponentError ? e.kind : (e as { name?: string }).name === 'ValidationError' ? 'invalid'
    : (e as { name?: string }).name === 'MalformedError' ? 'malformed' : 'error';
  panel(kind, TITLES[kind] ?? TITLES.error!, e instanceof Error ? e.message : String(e));
}
function panel(kind: string, title: string, text: string): void {
  $('error-title').textContent = title;
  $('error-text').textContent = text;
  $('error').dataset.kind = kind;
  $('error').style.display = 'block';
}
/** A capability that was not granted is answered inside the component by the interface's own
 * error; a component that then fails says so in its output, and the panel points at the switch. */
function deniedPanel(exitCode: number): void {
  const line = (out.textContent ?? '').split('\n').find((l) => /(access|permission)[- ]denied|not granted/i.test(l));
  if (exitCode !== 0 && line) panel('denied', 'A capability was not granted', `${line}\n(grant it with the switches under "Capabilities")`);
}
function hideError(): void { $('error').style.display = 'none'; delete $('error').dataset.kind; }
const setStatus = (s: string) => { $('status').textContent = s; };

// ---- Running

const out = $<HTMLPreElement>('out');
function print(text: string, cls: 'stdout' | 'stderr'): void {
  const span = document.createElement('span');
  span.className = cls;
  span.textContent = text;
  out.append(span);
  out.scrollTop = out.scrollHeight;
}
const lines = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** What the switches grant. */
function grants(): Grants {
  const g: Grants = {};
  if (input('grant-kv').checked) g.keyvalue = { buckets: lines(input('kv-buckets').value.replace(/,/g, ' ')) };
  if (input('grant-msg').checked) {
    const [sub = '', pub = ''] = input('msg-topics').value.split('/').map((s) => s.trim());
    g.messaging = { subscribe: lines(sub), publish: lines(pub) };
  }
  if (input('grant-fs').checked) g.preopens = { '/data': { opfs: input('fs-opfs').value.trim() } };
  if (input('grant-net').checked) g.sockets = 'loopback';
  return g;
}

let running: ComponentHandle | null = null;
const progress = $<HTMLProgressElement>('progress');
const PHASES: Progress['phase'][] = ['fetch', 'compile', 'instantiate'];

$('run').addEventListener('click', async () => {
  if (!source) return;
  running?.terminate();
  out.textContent = '';
  hideError();
  progress.value = 0;
  const env = Object.fromEntries($<HTMLTextAreaElement>('env').value.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const t0 = performance.now();
  $<HTMLButtonElement>('stop').disabled = false;
  try {
    setStatus('loading…');
    running = await loadComponent(source.bytes, {
      args: [source.name, ...lines(input('args').value)], env,
      stdin: $<HTMLTextAreaElement>('stdin').value,
      stdout: borrow((c) => print(dec.stdout.decode(c, { stream: true }), 'stdout')),
      stderr: borrow((c) => print(dec.stderr.decode(c, { stream: true }), 'stderr')),
      onProgress: (p) => { progress.value = (PHASES.indexOf(p.phase) + (p.total ? p.loaded / p.total : 0)) / PHASES.length; },
      ...grants(),
    });
    progress.value = 1;
    await refreshInspectors();
    if (!described?.exports.some((x) => x.name.startsWith('wasi:cli/run@'))) {
      setStatus(`loaded in ${(performance.now() - t0).toFixed(0)} ms; it has no wasi:cli/run: call its exports from the console as window.component.exports`);
      (globalThis as unknown as { component: ComponentHandle }).component = running;
      return;
    }
    setStatus('running…');
    const { exitCode } = await running.run();
    setStatus(`exited with code ${exitCode} after ${(performance.now() - t0).toFixed(0)} ms`);
    deniedPanel(exitCode);
    $('out').dataset.exitCode = String(exitCode);
  } catch (e) {
    showError(e);
    setStatus('');
  } finally {
    $<HTMLButtonElement>('stop').disabled = true;
    await refreshInspectors();
  }
});
$('stop').addEventListener('click', () => { running?.terminate(); running = null; });

// ---- Key-value inspector: the granted buckets, live

const buckets = new Map<string, KeyvalueBucket>();
async function refreshKv(): Promise<void> {
  const names = input('grant-kv').checked ? lines(input('kv-buckets').value.replace(/,/g, ' ')) : [];
  for (const n of names) {
    if (buckets.has(n)) continue;
    const b = openBucket(n);
    b.addEventListener('change', () => void refreshKv());
    buckets.set(n, b);
  }
  const rows = $('kv-rows');
  rows.textContent = '';
  for (const n of names) {
    const b = buckets.get(n)!;
    for (const k of await b.keys()) {
      const tr = document.createElement('tr');
      for (const v of [n, k, (await b.getText(k)) ?? '']) { const td = document.createElement('td'); td.textContent = v; tr.append(td); }
      rows.append(tr);
    }
  }
}
$('kv-set').addEventListener('click', async () => {
  const name = lines(input('kv-buckets').value.replace(/,/g, ' '))[0] ?? 'demo';
  input('grant-kv').checked = true;
  const b = buckets.get(name) ?? openBucket(name);
  await b.set(input('kv-key').value, input('kv-value').value);
  await refreshKv();
});

// ---- Messages: everything on demo.>, and a request to an echo component in another tab

const log = $<HTMLPreElement>('msg-log');
const logLine = (s: string) => { log.textContent += `${s}\n`; log.scrollTop = log.scrollHeight; };
void messaging.subscribe('demo.>', (m) => logLine(`${m.topic}: ${new TextDecoder().decode(m.data)}`));
$('msg-send').addEventListener('click', () => void messaging.publish('demo.news', input('msg-data').value));
$('msg-ask').addEventListener('click', async () => {
  try {
    const replies = await messaging.request('demo.requests', input('msg-data').value, { timeoutMs: 2000 });
    for (const r of replies) logLine(`reply: ${new TextDecoder().decode(r.data)}`);
  } catch (e) {
    logLine(`no reply: ${e instanceof Error ? e.message : String(e)}`);
  }
});

/** ?peer=echo: this tab runs an echo component that answers requests on demo.requests. */
async function peer(): Promise<void> {
  setStatus('this tab runs msg-echo, answering requests on demo.requests');
  const echo = await loadComponent('/test/fixtures/build/msg-echo.wasm', {
    args: ['msg-echo', 'peer-tab'], messaging: { subscribe: ['demo.requests'], publish: ['demo.>'] },
    stdout: (c) => print(new TextDecoder().decode(c), 'stdout'),
  });
  (globalThis as unknown as { peerEcho: ComponentHandle }).peerEcho = echo;
  document.body.dataset.peer = 'ready';
}

// ---- Files: the OPFS preopen

async function refreshFiles(): Promise<void> {
  const dir = await openDirectory(input('fs-opfs').value.trim());
  const ul = $('files');
  ul.textContent = '';
  for (const e of await dir.list()) {
    const li = document.createElement('li');
    li.textContent = `${e.kind === 'directory' ? '📁' : '📄'} ${e.name}${e.kind === 'file' ? `  (${e.size} bytes)` : ''}`;
    if (e.kind === 'file') li.addEventListener('click', async () => { $('file-view').textContent = new TextDecoder().decode(await dir.read(e.name)); });
    ul.append(li);
  }
}
$('fs-write').addEventListener('click', async () => {
  const dir = await openDirectory(input('fs-opfs').value.trim());
  await dir.write(input('fs-name').value, input('fs-text').value);
  await refreshFiles();
});
$('fs-refresh').addEventListener('click', () => void refreshFiles());

async function refreshInspectors(): Promise<void> {
  await refreshKv().catch(() => {});
  if (input('grant-fs').checked) await refreshFiles().catch(() => {});
}

// ---- Streaming pipeline: producer -> uppercaser (another worker) -> this page

type StreamFn = (...a: unknown[]) => Promise<ReadableStream<Uint8Array>>;
$('pipe-run').addEventListener('click', async () => {
  const mib = Math.max(1, Math.min(1024, Number(input('pipe-mib').value) || 64));
  const rate = $('pipe-rate');
  rate.textContent = 'starting…';
  const [source, upper] = await Promise.all([
    loadComponent('/test/fixtures/build/stream-source.wasm'), loadComponent('/test/fixtures/build/stream-upper.wasm'),
  ]);
  try {
    const t0 = performance.now();
    const produced = await (source.exports.produce as StreamFn)(mib << 20);
    const upperCased = await (upper.exports.upper as StreamFn)(produced);
    const reader = upperCased.getReader();
    let got = 0;
    let shown = t0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.byteLength;
      const now = performance.now();
      if (now - shown > 100) { shown = now; rate.textContent = `${(got / 1e6 / ((now - t0) / 1000)).toFixed(0)} MB/s`; $('pipe-bytes').textContent = `${(got / 1048576).toFixed(0)} of ${mib} MiB`; }
    }
    const s = (performance.now() - t0) / 1000;
    rate.textContent = `${(got / 1e6 / s).toFixed(0)} MB/s`;
    $('pipe-bytes').textContent = `${(got / 1048576).toFixed(0)} MiB in ${(s * 1000).toFixed(0)} ms, worker to worker to page`;
    rate.dataset.bytes = String(got);
  } catch (e) {
    rate.textContent = 'failed';
    showError(e);
  } finally {
    source.terminate();
    upper.terminate();
  }
});

// ---- Tabs and start

for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('.tabs button')) x.classList.toggle('on', x === b);
    for (const t of document.querySelectorAll('.tab')) t.classList.toggle('on', t.id === `tab-${b.dataset.tab}`);
  });
}

if (new URLSearchParams(location.search).get('peer') === 'echo') void peer().catch(showError);
void choose(ALL[0]!).then(() => { document.body.dataset.ready = '1'; });
