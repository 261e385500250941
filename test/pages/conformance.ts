// The conformance page: runs each .wast file's commands in a fresh dedicated worker
// (conformance-worker.ts) with a time limit. A file that hangs (a guest looping, or the runtime
// allocating without end) or crashes its worker is stopped and reported at the command it was
// running; the page itself stays responsive for the next file.
import type { Cmd, Outcome, WorkerMessage } from './conformance-worker.ts';

export interface FileResult { outcomes: Outcome[]; error: string | null }

function runWastFile(cmds: Cmd[], timeoutMs: number): Promise<FileResult> {
  return new Promise<FileResult>((resolve) => {
    const worker = new Worker(new URL('./conformance-worker.ts', import.meta.url), { type: 'module' });
    const outcomes: Outcome[] = [];
    let running: { line: number; kind: string } | null = null;
    const finish = (error: string | null) => {
      clearTimeout(timer);
      worker.terminate();
      if (error && running) outcomes.push({ line: running.line, kind: running.kind, ok: false, detail: error });
      resolve({ outcomes, error });
    };
    // Loading the worker's modules does not count against the file (a loaded machine can take
    // seconds); its commands do, from the worker's `ready`.
    let timer = setTimeout(() => finish('the worker did not start within 120 s'), 120_000);
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      if (m.type === 'ready') {
        clearTimeout(timer);
        timer = setTimeout(() => finish(`timed out after ${timeoutMs / 1000} s (worker terminated)`), timeoutMs);
        worker.postMessage(cmds);
      } else if (m.type === 'start') running = { line: m.line, kind: m.kind };
      else if (m.type === 'outcome') { running = null; outcomes.push(m.outcome); }
      else if (m.type === 'done') finish(null);
      else finish(`runner failed: ${m.message}`);
    };
    worker.onerror = (ev) => { ev.preventDefault(); finish(`worker crashed: ${ev.message || 'no message'}`); };
  });
}

(globalThis as unknown as { runWastFile: typeof runWastFile }).runWastFile = runWastFile;
(globalThis as unknown as { conformanceReady: boolean }).conformanceReady = true;
