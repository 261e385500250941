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

function output(out: Output) {
  let pending: Promise<void> | null = null;
  let gone = false;
  const failed = (e: unknown) => { if (e instanceof ReaderGone) gone = true; else throw e; };
  const check = () => { if (gone) throw { tag: 'closed' }; };
  /** Write after whatever 0.3 holds back; a Promise while the sink applies backpressure. */
  const send = (buf: Uint8Array): Promise<void> | null => {
    check();
    out.flushHeld();
    let r: void | Promise<void>;
    try {
      r = out.write(buf);
    } catch (e) {
      failed(e);
      return null;
    }
    if (!(r instanceof Promise)) return null;
    const p: Promise<void> = r.catch(failed).finally(() => { if (pending === p) pending = null; });
    pending = p;
    return p;
  };
  return outputStream({
    checkWrite: () => { check(); return pending ? 0n : PERMIT; },
    write: (buf) => { send(buf); },
    flush: () => { check(); },
    blockingFlush: () => (pending ? pending.then(check) : check()),
    blockingWriteAndFlush: (buf) => { const p = send(buf); return p ? p.then(check) : check(); },
    subscribe: () => pollable(pending ?? undefined),
  });
}

function input(stdin: Stdin) {
  const end = () => { throw { tag: 'closed' }; };
  return inputStream({
    read: (len) => { const b = stdin.take(Number(len)); return b ? b.slice() : end(); },
    blockingRead: (len) => {
      const b = stdin.take(Number(len));
      if (b === null) return end();
      if (b.byteLength || len === 0n) return b.slice();
      return stdin.read(Number(len)).then((x) => (x ? x.slice() : end()));
    },
    subscribe: () => pollable({ ready: () => stdin.ready(), wait: () => stdin.wait() }),
  });
}

/** The package's interfaces as import objects, for one component. */
export function cli(state: ComponentState): Record<string, object> {
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
    stdin: neverSuspends({ getStdin: () => stdin }),
    stdout: neverSuspends({ getStdout: () => stdout }),
    stderr: neverSuspends({ getStderr: () => stderr }),
    'terminal-input': terminalInput,
    'terminal-output': terminalOutput,
    'terminal-stdin': neverSuspends({ ...terminalStdin }),
    'terminal-stdout': neverSuspends({ ...terminalStdout }),
    'terminal-stderr': neverSuspends({ ...terminalStderr }),
  };
}
