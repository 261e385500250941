// wasi:cli/environment@0.3.0
import { neverSuspends } from '../../runtime/index.js';
import type { HostContext } from '../context.js';

export function environment(ctx: HostContext) {
  return neverSuspends({
    getEnvironment: (): [string, string][] => ctx.env.map(([k, v]) => [k, v]),
    getArguments: (): string[] => [...ctx.args],
    getInitialCwd: (): string | undefined => ctx.cwd ?? undefined,
  });
}
