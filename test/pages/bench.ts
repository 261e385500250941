// Runs the benchmark figures in a module worker (where components run) and exposes
// runBench(names) to the driver. Each figure carries a raw baseline measured in the same run.
export interface Figure { name: string; value: number; unit: string; baseline: number; ratio: number; note?: string }

async function runBench(names: string[]): Promise<Figure[]> {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ figures?: Figure[]; error?: string }>) => {
      worker.terminate();
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data.figures!);
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ names });
  });
}

(globalThis as unknown as { runBench: typeof runBench }).runBench = runBench;
(globalThis as unknown as { benchReady: boolean }).benchReady = true;
