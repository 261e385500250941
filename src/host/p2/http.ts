// wasi:http@0.2 (types, outgoing-handler) on preview2-shim's fetch-backed classes. Nothing is
// granted until the http work lands: every outgoing request answers `HTTP-request-denied`.
import { types } from '@bytecodealliance/preview2-shim/http';
import { throwsErrors } from '../../runtime/index.js';

export function http(): Record<string, object> {
  return {
    types: throwsErrors({ ...types }),
    'outgoing-handler': throwsErrors({ handle: (): never => { throw { tag: 'HTTP-request-denied' }; } }),
  };
}
