// wasi:cli/environment@0.3.0
import { neverSuspends } from '../../runtime/index.js';
import type { ComponentState } from '../state.js';

export function environment(ctx: ComponentState) {
  return neverSuspends({
    getEnvironment: (): [string, string][] => ctx.env.map(([k, v]) => [k, v]),
    getArguments: (): string[] => [...ctx.args],
    getInitialCwd: (): string | undefined => ctx.cwd ?? undefined,
  });
}
