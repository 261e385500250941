// wasi:cli@0.3.0: the package's interfaces as import objects.
import type { ComponentState } from '../state.js';
import { environment } from './environment.js';
import { exit } from './exit.js';
import { stderr, stdin, stdout } from './stdio.js';
import { terminalInput, terminalOutput, terminalStderr, terminalStdin, terminalStdout } from './terminal.js';

export { ExitRequest } from './exit.js';

export function cli(state: ComponentState): Record<string, object> {
  return {
    types: {},
    environment: environment(state),
    exit: exit(),
    stdin: stdin(state),
    stdout: stdout(state),
    stderr: stderr(state),
    'terminal-input': terminalInput(),
    'terminal-output': terminalOutput(),
    'terminal-stdin': terminalStdin(),
    'terminal-stdout': terminalStdout(),
    'terminal-stderr': terminalStderr(),
  };
}
