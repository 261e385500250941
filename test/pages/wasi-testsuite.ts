// The page side of `npm run wasi-testsuite`: runs one test component through the page API (the
// built library, as a deployment loads it) and carries out the manifest's operations that the
// node side sends: run, write (stdin), read (stdout, stderr), wait, kill.
import type { ComponentHandle, LoadOptions, PageConnection, PreopenGrant } from '../../src/index.ts';

type Lib = { loadComponent(src: string, o: LoadOptions): Promise<ComponentHandle>; network: { connect(host: string, port: number): Promise<PageConnection> } };

interface Running {
  handle: ComponentHandle | null;
  stdin: ReadableStreamDefaultController<Uint8Array> | null;
  text: { stdout: string; stderr: string };
  ended: { stdout: boolean; stderr: boolean };
  wake: (() => void) | null;
  done: Promise<{ exitCode: number } | { error: string; kind: string }>;
}

let current: Running | null = null;
const conns = new Map<string, PageConnection>();

function output(r: Running, id: 'stdout' | 'stderr') {
  const dec = new TextDecoder();
  return new WritableStream<Uint8Array>({
    write(chunk) { r.text[id] += dec.decode(chunk, { stream: true }); r.wake?.(); },
    close() { r.ended[id] = true; r.wake?.(); },
    abort() { r.ended[id] = true; r.wake?.(); },
  });
}

/** A manifest's root directory: its files (base64 by relative path) and where to put them. */
interface Root { backend: 'memory' | 'opfs'; files: Record<string, string>; name: string }

const bytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** The preopen for a root: a memory tree of its files, or a fresh OPFS directory seeded with them. */
async function preopen(root: Root): Promise<PreopenGrant> {
  const files = Object.fromEntries(Object.entries(root.files).map(([k, v]) => [k, bytes(v)]));
  if (root.backend === 'memory') return { files };
  let top = await navigator.storage.getDirectory();
  const parts = root.name.split('/');
  for (const p of parts.slice(0, -1)) top = await top.getDirectoryHandle(p, { create: true });
  await top.removeEntry(parts[parts.length - 1]!, { recursive: true }).catch(() => {});
  const dir = await top.getDirectoryHandle(parts[parts.length - 1]!, { create: true });
  for (const [path, content] of Object.entries(files)) {
    let d = dir;
    const ps = path.split('/');
    for (const p of ps.slice(0, -1)) d = await d.getDirectoryHandle(p, { create: true });
    const w = await (await d.getFileHandle(ps[ps.length - 1]!, { create: true })).createWritable();
    await w.write(content as Uint8Array<ArrayBuffer>);
    await w.close();
  }
  return { opfs: root.name };
}

const api = {
  /** Load and run a component: args (argv[0] first), env, preopens by guest path, grants (sockets). */
  async run(url: string, args: string[], env: Record<string, string>, root: Root | null, grants: Pick<LoadOptions, 'sockets'> = {}): Promise<void> {
    const lib = (await import('/dist/wasip3-web.js' as string)) as Lib;
    const r: Running = {
      handle: null, stdin: null, text: { stdout: '', stderr: '' }, ended: { stdout: false, stderr: false }, wake: null,
      done: Promise.resolve({ exitCode: -1 }),
    };
    current = r;
    const stdin = new ReadableStream<Uint8Array>({ start(c) { r.stdin = c; } });
    r.done = (async () => {
      try {
        const preopens = root ? { '/': await preopen(root) } : undefined;
        r.handle = await lib.loadComponent(url, { args, env, stdin, stdout: output(r, 'stdout'), stderr: output(r, 'stderr'), preopens, ...grants });
        return await r.handle.run();
      } catch (e) {
        const err = e as Error & { kind?: string };
        return { error: `${err.name}: ${err.message}`, kind: err.kind ?? 'error' };
      } finally {
        r.ended.stdout = r.ended.stderr = true;
        r.wake?.();
      }
    })();
  },
  write(id: string, payload: string): void {
    if (id !== 'stdin' || !current?.stdin) throw new Error(`cannot write to ${id}`);
    current.stdin.enqueue(new TextEncoder().encode(payload));
  },
  /** Read n characters of stdout or stderr (fewer at its end), within timeoutMs. */
  async read(id: 'stdout' | 'stderr', n: number, timeoutMs: number): Promise<string> {
    const r = current!;
    const deadline = performance.now() + timeoutMs;
    while (r.text[id].length < n && !r.ended[id] && performance.now() < deadline) {
      await new Promise<void>((res) => { r.wake = res; setTimeout(res, 50); });
    }
    const got = r.text[id].slice(0, n);
    r.text[id] = r.text[id].slice(n);
    return got;
  },
  /** Close stdin and wait for the end: the exit code, or the error; null on a timeout. */
  async wait(timeoutMs: number) {
    const r = current!;
    try { r.stdin?.close(); } catch { /* already closed */ }
    const timeout = new Promise<null>((res) => setTimeout(() => res(null), timeoutMs));
    const out = await Promise.race([r.done, timeout]);
    return out && { ...out, stdout: r.text.stdout, stderr: r.text.stderr };
  },
  /** connect: the component printed `host:port` as a line of stdout; connect to it there (on
   * the page's loopback network, where the component listens). */
  async connect(id: string, timeoutMs: number): Promise<string> {
    const r = current!;
    const deadline = performance.now() + timeoutMs;
    while (!r.text.stdout.includes('\n') && !r.ended.stdout && performance.now() < deadline) {
      await new Promise<void>((res) => { r.wake = res; setTimeout(res, 50); });
    }
    const nl = r.text.stdout.indexOf('\n');
    const line = (nl < 0 ? r.text.stdout : r.text.stdout.slice(0, nl)).trim();
    r.text.stdout = nl < 0 ? '' : r.text.stdout.slice(nl + 1);
    const m = /^(.*):(\d+)$/.exec(line);
    if (!m) return `expected <host>:<port> on stdout, found ${JSON.stringify(line)}`;
    const lib = (await import('/dist/wasip3-web.js' as string)) as Lib;
    try {
      conns.set(id, await lib.network.connect(m[1]!, Number(m[2])));
      return '';
    } catch (e) {
      return `could not connect to ${line}: ${(e as Error).message}`;
    }
  },
  async send(id: string, payload: string): Promise<boolean> {
    return conns.get(id)!.write(new TextEncoder().encode(payload));
  },
  /** recv: up to n bytes (as Python's socket.recv(n)), within timeoutMs. */
  async recv(id: string, n: number, timeoutMs: number): Promise<string> {
    const c = conns.get(id)!;
    const got = await Promise.race([c.read(n), new Promise<null>((res) => setTimeout(() => res(null), timeoutMs))]);
    return got ? new TextDecoder().decode(got) : '';
  },
  kill(): void {
    for (const c of conns.values()) c.close();
    conns.clear();
    current?.handle?.terminate();
    current = null;
  },
};

(globalThis as unknown as { suite: typeof api }).suite = api;
(globalThis as unknown as { suiteReady: boolean }).suiteReady = true;
