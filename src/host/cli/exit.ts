// wasi:cli/exit@0.3.0: both forms end the component; run() resolves with the code.
import { Trap, neverSuspends } from '../../runtime/index.js';

/** Thrown by exit and exit-with-code: it stops the component like a trap, carrying the code. */
export class ExitRequest extends Trap {
  constructor(readonly code: number) {
    super(`the component exited with code ${code}`);
    this.name = 'ExitRequest';
  }
}

export function exit() {
  return neverSuspends({
    exit: (status: { tag: 'ok' | 'err' }): never => { throw new ExitRequest(status.tag === 'ok' ? 0 : 1); },
    exitWithCode: (code: number): never => { throw new ExitRequest(code & 0xff); },
  });
}
