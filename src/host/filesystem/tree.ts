// The one small interface behind every preopened directory: a tree of nodes (directories,
// files, symbolic links) that the memory backend (memory.ts) and the OPFS backend (opfs.ts)
// implement. Path resolution and confinement (path.ts) and both WASI generations' descriptors
// (types.ts, ../p2/filesystem.ts) work on it and on nothing else. A backend that cannot do
// something throws FsError('unsupported'); every failure is an FsError carrying the WIT's own
// error-code name.

/** wasi:filesystem's error-code cases (0.3.0; 0.2's enum uses the same names). */
export type ErrorName =
  | 'access' | 'already' | 'bad-descriptor' | 'busy' | 'deadlock' | 'quota' | 'exist'
  | 'file-too-large' | 'illegal-byte-sequence' | 'in-progress' | 'interrupted' | 'invalid' | 'io'
  | 'is-directory' | 'loop' | 'too-many-links' | 'message-size' | 'name-too-long' | 'no-device'
  | 'no-entry' | 'no-lock' | 'insufficient-memory' | 'insufficient-space' | 'not-directory'
  | 'not-empty' | 'not-recoverable' | 'unsupported' | 'no-tty' | 'no-such-device' | 'overflow'
  | 'not-permitted' | 'pipe' | 'read-only' | 'invalid-seek' | 'text-file-busy' | 'cross-device';

/** A filesystem failure, as the interface names it. */
export class FsError extends Error {
  constructor(readonly code: ErrorName, message: string = code) { super(message); this.name = 'FsError'; }
}

/** The kinds of node a tree holds. */
export type Kind = 'directory' | 'regular-file' | 'symbolic-link';

/** A timestamp in nanoseconds since the Unix epoch. */
export type Nanos = bigint;

/** What stat reports: times the backend does not keep are absent. */
export interface NodeStat {
  kind: Kind;
  size: bigint;
  links: bigint;
  atime?: Nanos;
  mtime?: Nanos;
  ctime?: Nanos;
}

/** An open file's bytes: synchronous, as OPFS's FileSystemSyncAccessHandle is. */
export interface FileIO {
  size(): number;
  /** Read into `into` from `at`; returns the count (0 at the end). */
  read(into: Uint8Array, at: number): number;
  /** Write all of `data` at `at` (growing the file with zeros as needed). */
  write(data: Uint8Array, at: number): void;
  truncate(size: number): void;
  /** Make what was written durable. */
  flush(): void;
  /** This descriptor is done with the file. */
  close(): void;
}

/** What a backend can do beyond directories and files. */
export interface Capabilities {
  links: boolean;
  symlinks: boolean;
  /** set-times, and access and status-change times. */
  times: boolean;
}

/** A tree of nodes. Node objects are the backend's own; two lookups of one entry may give
 * different objects (compare with same()). Names are single path components, never '.',
 * '..' or containing '/'. Methods throw FsError. */
export interface Tree<N = unknown> {
  readonly caps: Capabilities;
  /** Grant said readonly: every change is refused with read-only. */
  readonly readonly: boolean;
  root(): N;
  kind(n: N): Kind;
  lookup(dir: N, name: string): Promise<N | null>;
  /** Entries of a directory, by name. */
  list(dir: N): Promise<[string, Kind][]>;
  mkdir(dir: N, name: string): Promise<void>;
  /** Create an empty file (the name must not exist). */
  createFile(dir: N, name: string): Promise<N>;
  /** Remove a file or symbolic link (not a directory). */
  unlink(dir: N, name: string): Promise<void>;
  /** Remove an empty directory. */
  rmdir(dir: N, name: string): Promise<void>;
  /** Move an entry; replaces a file, or an empty directory by a directory, as POSIX rename. */
  rename(from: N, fromName: string, to: N, toName: string): Promise<void>;
  link(node: N, dir: N, name: string): Promise<void>;
  symlink(dir: N, name: string, target: string): Promise<void>;
  readlink(n: N): Promise<string>;
  stat(n: N): Promise<NodeStat>;
  /** Set times (undefined: leave as is). */
  setTimes(n: N, atime: Nanos | undefined, mtime: Nanos | undefined): Promise<void>;
  /** Open a file's bytes, for writing or not. */
  open(n: N, write: boolean): Promise<FileIO>;
  same(a: N, b: N): Promise<boolean>;
  /** A number that names the node while it exists (for metadata-hash). */
  ident(n: N): Promise<bigint>;
  /** Release what the tree holds (open handles). */
  close(): void;
}

/** Now, in nanoseconds. */
export const now = (): Nanos => BigInt(Date.now()) * 1_000_000n;
