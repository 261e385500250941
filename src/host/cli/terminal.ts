// wasi:cli/terminal-* @0.3.0: a browser worker has no terminal, so every getter says none.
import { neverSuspends } from '../../runtime/index.js';
export const terminalInput = () => ({});
export const terminalOutput = () => ({});
export const terminalStdin = () => neverSuspends({ getTerminalStdin: (): undefined => undefined });
export const terminalStdout = () => neverSuspends({ getTerminalStdout: (): undefined => undefined });
export const terminalStderr = () => neverSuspends({ getTerminalStderr: (): undefined => undefined });
