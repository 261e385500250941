// Failures to the WIT's error codes, in one function (as wasmtime maps io::Error): our own
// FsError carries its code; OPFS's DOMExceptions map by name.
import { FsError, type ErrorName } from './tree.js';

const DOM: Record<string, ErrorName> = {
  NotFoundError: 'no-entry',
  TypeMismatchError: 'not-directory',
  NoModificationAllowedError: 'busy',
  InvalidModificationError: 'not-empty',
  QuotaExceededError: 'insufficient-space',
  InvalidStateError: 'bad-descriptor',
  NotAllowedError: 'access',
  SecurityError: 'access',
  NotSupportedError: 'unsupported',
  AbortError: 'interrupted',
};

/** The error code for a failure, or null for one that is not a filesystem's (a bug). */
export function codeOf(e: unknown): ErrorName | null {
  if (e instanceof FsError) return e.code;
  if (typeof DOMException !== 'undefined' && e instanceof DOMException) return DOM[e.name] ?? 'io';
  if (e instanceof RangeError) return 'file-too-large';
  if (e instanceof TypeError && /name/i.test(e.message)) return 'invalid';
  return null;
}

/** A failure as FsError (an unknown one as io, keeping its message). */
export function asFsError(e: unknown): FsError {
  if (e instanceof FsError) return e;
  const code = codeOf(e) ?? 'io';
  return new FsError(code, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
}
