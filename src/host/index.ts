// The host: one state per component behind every package (src/host/state.ts), and the table
// of packages that serve its imports (src/host/registry.ts). Nothing beyond cli stdio, clocks
// and random is granted by default (src/host/grants.ts).
export { link, PACKAGES, type HostPackage, type LazyPackage, type PackageHost, type Linked } from './registry.js';
export { serves, parseInterfaceName } from './interface-names.js';
export { ComponentState, Output, Stdin, ReaderGone, type ByteSink, type StateInit } from './state.js';
export { checkGrants, GrantError, type Grants } from './grants.js';
export { ExitRequest } from './cli/index.js';
