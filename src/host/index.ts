// The WASI 0.3 host: every package's import objects for one component. Nothing beyond cli stdio,
// clocks and random is granted by default.
import type { HostImports } from '../runtime/index.js';
import { cli } from './cli/index.js';
import { clocks } from './clocks/index.js';
import { random } from './random/index.js';
import type { HostContext } from './context.js';

export type { HostContext, ByteSink } from './context.js';
export { ReaderGone } from './context.js';
export { ExitRequest } from './cli/index.js';

export function wasiImports(ctx: HostContext): HostImports {
  return { ...cli(ctx), ...clocks(), ...random() };
}
