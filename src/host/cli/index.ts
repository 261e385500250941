// wasi:cli@0.3.0: the package's interfaces as import objects.
import type { HostContext } from '../context.js';
import { environment } from './environment.js';
import { exit } from './exit.js';
import { stderr, stdin, stdout } from './stdio.js';
import { terminalInput, terminalOutput, terminalStderr, terminalStdin, terminalStdout } from './terminal.js';

export { ExitRequest } from './exit.js';

export function cli(ctx: HostContext): Record<string, object> {
  return {
    'wasi:cli/types@0.3.0': {},
    'wasi:cli/environment@0.3.0': environment(ctx),
    'wasi:cli/exit@0.3.0': exit(),
    'wasi:cli/stdin@0.3.0': stdin(ctx),
    'wasi:cli/stdout@0.3.0': stdout(ctx),
    'wasi:cli/stderr@0.3.0': stderr(ctx),
    'wasi:cli/terminal-input@0.3.0': terminalInput(),
    'wasi:cli/terminal-output@0.3.0': terminalOutput(),
    'wasi:cli/terminal-stdin@0.3.0': terminalStdin(),
    'wasi:cli/terminal-stdout@0.3.0': terminalStdout(),
    'wasi:cli/terminal-stderr@0.3.0': terminalStderr(),
  };
}
