// The demo page: pick a built-in component (or drop your own), run it in a worker, watch its output.
import { borrow, loadComponent } from '../src/index.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const out = $<HTMLPreElement>('out');
const status = $<HTMLSpanElement>('status');

function append(text: string, cls?: string): void {
  const span = document.createElement('span');
  if (cls) span.className = cls;
  span.textContent = text;
  out.append(span);
  out.scrollTop = out.scrollHeight;
}

$<HTMLButtonElement>('run').addEventListener('click', async () => {
  out.textContent = '';
  status.textContent = 'loading…';
  const file = $<HTMLInputElement>('file').files?.[0];
  const source = file ? await file.arrayBuffer() : `/test/fixtures/build/${$<HTMLSelectElement>('example').value}.wasm`;
  const env = Object.fromEntries($<HTMLTextAreaElement>('env').value.split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const dec = new TextDecoder();
  const t0 = performance.now();
  try {
    const handle = await loadComponent(source, {
      args: [file?.name ?? 'component', ...$<HTMLInputElement>('args').value.split(/\s+/).filter(Boolean)],
      env,
      stdin: $<HTMLTextAreaElement>('stdin').value,
      // The decoder copies what it needs, so the chunks can be borrowed (no new memory each).
      stdout: borrow((c) => append(dec.decode(c, { stream: true }))),
      stderr: borrow((c) => append(new TextDecoder().decode(c), 'err')),
      onProgress: (p) => { status.textContent = `${p.phase}…`; },
    });
    status.textContent = 'running…';
    const { exitCode } = await handle.run();
    handle.terminate();
    status.textContent = `exit code ${exitCode} (${Math.round(performance.now() - t0)} ms)`;
  } catch (e) {
    append(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`, 'err');
    status.textContent = 'failed';
  }
});
