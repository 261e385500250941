// wasi:cli@0.2 on the component's one state: the same arguments, environment, stdin and
// outputs as wasi:cli@0.3.0, so bytes written through either generation reach the page in the
// order written. Streams are preview2-shim's, driven by handlers on that state.
import { terminalInput, terminalOutput, terminalStderr, terminalStdin, terminalStdout } from '@bytecodealliance/preview2-shim/cli';
import { neverSuspends } from '../../runtime/index.js';
import { ExitRequest } from '../cli/exit.js';
import { ReaderGone, type ComponentState, type Output, type Stdin } from '../state.js';
import { inputStream, outputStream, pollable } from './io.js';

/** What check-write permits at once: one port chunk. */
const PERMIT = 1n << 20n;

/** The buffer for n bytes about to be flushed: a power of two, so buffers given back fit
 * the next write of about the same size. */
const flushSize = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 4096)));

/** A wasi:io output stream on one of the state's outputs. Writes are copied into a lent buffer
 * (no new memory) and coalesced: the buffer goes out when full, at a flush, when another writer
 * writes, or in the next task, so a line written with blocking-write-and-flush goes out at once
 * and a run of writes shares a chunk. */
function output(out: Output) {
  let pending: Promise<void> | null = null;
  let gone = false;
  let chunk: Uint8Array | null = null;
  let fill = 0;
  let flushQueued = false;
  const failed = (e: unknown) => { if (e instanceof ReaderGone) gone = true; else throw e; };
  const check = () => { if (gone) throw { tag: 'closed' }; };
  /** Send what is held; a Promise while the sink applies backpressure. */
  const send = (): Promise<void> | null => {
    out.holds.delete(send);
    if (!chunk || fill === 0) return pending;
    const c = chunk.subarray(0, fill);
    chunk = null;
    fill = 0;
    let r: void | Promise<void>;
    try {
      r = out.write(c);
    } catch (e) {
      failed(e);
      return null;
    }
    if (!(r instanceof Promise)) return pending;
    const p: Promise<void> = r.catch(failed).finally(() => { if (pending === p) pending = null; });
    pending = p;
    return p;
  };
  const hold = (buf: Uint8Array, flushing = false): void => {
    check();
    out.flushHeld(send); // what another writer holds came first
    let off = 0;
    while (off < buf.byteLength) {
      if (!chunk) {
        if (!out.buffer) { send(); out.write(buf.subarray(off)); return; }
        // Bytes flushed at once go out in a buffer their own size, which the reader can give
        // back (a part of a larger one would go out as a copy: new memory every write).
        chunk = out.buffer(flushing ? flushSize(buf.byteLength - off) : undefined);
      }
      const n = Math.min(buf.byteLength - off, chunk.byteLength - fill);
      chunk.set(off === 0 && n === buf.byteLength ? buf : buf.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === chunk.byteLength) send();
    }
    if (fill > 0) {
      out.holds.add(send);
      if (!flushQueued) {
        flushQueued = true;
        // A task, not a microtask: microtasks also run while the store resumes the guest.
        setTimeout(() => { flushQueued = false; send(); }, 0);
      }
    }
  };
  const flushed = (): void | Promise<void> => {
    const p = send();
    return p ? p.then(check) : check();
  };
  const handler = {
    borrows: true, // hold() copies the bytes into the lent buffer before it returns
    checkWrite: () => { check(); return pending ? 0n : PERMIT; },
    write: (buf: Uint8Array) => { hold(buf); },
    flush: () => { send(); check(); },
    blockingFlush: flushed,
    blockingWriteAndFlush: (buf: Uint8Array) => { hold(buf, true); return flushed(); },
    subscribe: () => pollable(pending ?? undefined),
  };
  return () => outputStream(handler);
}

function input(stdin: Stdin) {
  const end = () => { throw { tag: 'closed' }; };
  const handler = {
    read: (len: bigint) => { const b = stdin.take(Number(len)); return b ? b.slice() : end(); },
    blockingRead: (len: bigint) => {
      const b = stdin.take(Number(len));
      if (b === null) return end();
      if (b.byteLength || len === 0n) return b.slice();
      return stdin.read(Number(len)).then((x) => (x ? x.slice() : end()));
    },
    subscribe: () => pollable({ ready: () => stdin.ready(), wait: () => stdin.wait() }),
  };
  return () => inputStream(handler);
}

/** The package's interfaces as import objects, for one component. */
export function cli(state: ComponentState): Record<string, object> {
  // Each get-stdout (and get-stdin, get-stderr) returns a new stream on the one shared output:
  // a guest drops each handle it gets (Rust's std does, after every write), and dropping one
  // must not close the next.
  const stdin = input(state.stdin);
  const stdout = output(state.stdout);
  const stderr = output(state.stderr);
  return {
    environment: neverSuspends({
      getEnvironment: (): [string, string][] => state.env.map(([k, v]) => [k, v]),
      getArguments: (): string[] => [...state.args],
      initialCwd: (): string | undefined => state.cwd ?? undefined,
    }),
    exit: neverSuspends({
      exit: (status: { tag: 'ok' | 'err' }): never => { throw new ExitRequest(status.tag === 'ok' ? 0 : 1); },
      exitWithCode: (code: number): never => { throw new ExitRequest(code & 0xff); },
    }),
    stdin: neverSuspends({ getStdin: stdin }),
    stdout: neverSuspends({ getStdout: stdout }),
    stderr: neverSuspends({ getStderr: stderr }),
    'terminal-input': terminalInput,
    'terminal-output': terminalOutput,
    'terminal-stdin': neverSuspends({ ...terminalStdin }),
    'terminal-stdout': neverSuspends({ ...terminalStdout }),
    'terminal-stderr': neverSuspends({ ...terminalStderr }),
  };
}
