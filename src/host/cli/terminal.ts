// wasi:cli/terminal-* @0.3.0: a browser worker has no terminal, so every getter says none.
export const terminalInput = () => ({});
export const terminalOutput = () => ({});
export const terminalStdin = () => ({ getTerminalStdin: (): undefined => undefined });
export const terminalStdout = () => ({ getTerminalStdout: (): undefined => undefined });
export const terminalStderr = () => ({ getTerminalStderr: (): undefined => undefined });
