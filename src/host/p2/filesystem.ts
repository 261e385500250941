// wasi:filesystem@0.2 (types, preopens) on preview2-shim's descriptor classes. No directory is
// preopened until the filesystem work lands, so a component sees no files.
import { types } from '@bytecodealliance/preview2-shim/filesystem';
import { neverSuspends, throwsErrors } from '../../runtime/index.js';

export function filesystem(): Record<string, object> {
  return {
    types: throwsErrors({ ...types }),
    preopens: neverSuspends({ getDirectories: (): [] => [] }),
  };
}
