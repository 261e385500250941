// wasi:filesystem/types@0.3.0: the descriptor resource over a tree (tree.ts): a memory tree or
// an OPFS directory. Every path goes through path.ts, so nothing outside a preopen is reached.
// Streams move in chunks: read-via-stream reads 64 KiB at a time into one buffer that is
// reused once the guest has taken it; write-via-stream copies the guest's bytes straight into
// a lent buffer and writes them through the file's synchronous handle.
import type { StreamReader } from '../../runtime/index.js';
import { FsError, type ErrorName, type FileIO, type Kind, type NodeStat, type Nanos, type Tree } from './tree.js';
import { existing, named, resolve } from './path.js';
import { asFsError } from './errors.js';

/** The WIT's error-code variant as the runtime maps it. */
export type ErrorCode = { tag: ErrorName } | { tag: 'other'; val: string | undefined };
/** result<T, error-code>. */
export type Result<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: ErrorCode };
const ok = <T>(val: T): Result<T> => ({ tag: 'ok', val });
const fail = (e: unknown): Result<never> => ({ tag: 'err', val: { tag: asFsError(e).code } as ErrorCode });

/** descriptor-flags, camelCase as the runtime maps flags. */
export interface DescriptorFlags {
  read?: boolean; write?: boolean; fileIntegritySync?: boolean; dataIntegritySync?: boolean;
  requestedWriteSync?: boolean; mutateDirectory?: boolean;
}
/** path-flags. */
export interface PathFlags { symlinkFollow?: boolean }
/** open-flags. */
export interface OpenFlags { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean }
/** wasi:clocks' instant (0.2's datetime has the same shape). */
export type Instant = { seconds: bigint; nanoseconds: number };
/** new-timestamp. */
export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Instant };
/** descriptor-stat (0.3's `type` a variant; 0.2 maps it to its enum). */
export interface DescriptorStat {
  type: { tag: Kind };
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp: Instant | undefined;
  dataModificationTimestamp: Instant | undefined;
  statusChangeTimestamp: Instant | undefined;
}

/** The most bytes one stream chunk carries: read-via-stream reads this much from the file at
 * once (the guest takes it in reads of its own size), write-via-stream gathers a guest's bulk
 * writes into one chunk of this size before writing it to the file. Fewer, larger file calls
 * and wake-ups (README, the fs-write and fs-read figures). */
export const CHUNK = 1 << 20;
/** The largest offset or size a file may have (JS numbers are exact below 2^53). */
export const MAX_FILE = 2 ** 53 - 1;
const MAX_OFFSET = 2n ** 63n - 1n;

const instant = (ns: Nanos | undefined): Instant | undefined =>
  ns === undefined ? undefined : { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };

/** A backend's stat as the WIT's record. */
export function statRecord(s: NodeStat): DescriptorStat {
  return {
    type: { tag: s.kind }, linkCount: s.links, size: s.size,
    dataAccessTimestamp: instant(s.atime), dataModificationTimestamp: instant(s.mtime), statusChangeTimestamp: instant(s.ctime),
  };
}

/** An offset from the guest as a number, or invalid. */
export function offsetOf(o: bigint): number {
  if (o < 0n || o > MAX_OFFSET) throw new FsError('invalid', 'offset out of range');
  if (o > BigInt(MAX_FILE)) throw new FsError('file-too-large');
  return Number(o);
}

/** A new-timestamp as nanoseconds (undefined: no change). */
export function timestampOf(t: NewTimestamp): Nanos | undefined {
  if (t.tag === 'no-change') return undefined;
  if (t.tag === 'now') return BigInt(Date.now()) * 1_000_000n;
  if (t.val.nanoseconds >= 1e9) throw new FsError('invalid', 'nanoseconds out of range');
  return t.val.seconds * 1_000_000_000n + BigInt(t.val.nanoseconds);
}

/** FNV-1a over 64 bits, for metadata-hash. */
function fnv(parts: bigint[]): bigint {
  let h = 0xcbf29ce484222325n;
  for (const p of parts) {
    let v = BigInt.asUintN(64, p);
    for (let i = 0; i < 8; i++) { h ^= v & 0xffn; h = BigInt.asUintN(64, h * 0x100000001b3n); v >>= 8n; }
  }
  return h;
}

/** metadata-hash: the node's identity and its metadata, so equal hashes mean equal stats. */
export async function metadataHashOf(tree: Tree, node: unknown): Promise<{ lower: bigint; upper: bigint }> {
  const s = await tree.stat(node);
  const id = await tree.ident(node);
  const kinds: Record<Kind, bigint> = { directory: 1n, 'regular-file': 2n, 'symbolic-link': 3n };
  return { lower: fnv([id, kinds[s.kind]]), upper: fnv([s.size, s.links, s.atime ?? -1n, s.mtime ?? -1n, s.ctime ?? -1n]) };
}

/** An open file shared by a descriptor and the streams it started: closed when all are done. */
export class OpenFile {
  private users = 1;
  constructor(readonly io: FileIO) {}
  use(): FileIO { this.users++; return this.io; }
  release(): void { if (--this.users === 0) this.io.close(); }
}

/** Flags a descriptor gets from open-at's flags (as wasmtime: no read or write asks for read;
 * create implies write). */
export function openedFlags(want: DescriptorFlags, oflags: OpenFlags, isDir: boolean): DescriptorFlags {
  const out: DescriptorFlags = { ...want };
  if (!out.read && !out.write) out.read = true;
  if (oflags.create && !isDir) out.write = true;
  if (isDir) out.write = false;
  return out;
}

/** Everything open-at decides, for both generations: the node opened (created or truncated
 * as asked) and its flags. */
export async function openAt(tree: Tree, dir: unknown, dirFlags: DescriptorFlags, pf: PathFlags, path: string, oflags: OpenFlags, want: DescriptorFlags):
  Promise<{ node: unknown; flags: DescriptorFlags; file: OpenFile | null }> {
  if (tree.kind(dir) !== 'directory') throw new FsError('not-directory');
  if ((oflags.create || oflags.truncate || want.write || want.mutateDirectory) && !dirFlags.mutateDirectory) {
    throw new FsError('not-permitted', 'this directory descriptor may not change what it holds');
  }
  const r = await resolve(tree, dir, path, pf.symlinkFollow === true);
  let node = r.node;
  if (node !== null && oflags.create && oflags.exclusive) throw new FsError('exist', `"${path}" exists`);
  if (node === null) {
    if (!oflags.create) throw new FsError('no-entry', `"${path}" does not exist`);
    if (oflags.directory || r.dirOnly) throw new FsError('is-directory');
    if (tree.readonly) throw new FsError('read-only');
    node = await tree.createFile(r.parent!, r.name!);
  }
  const kind = tree.kind(node);
  if (kind === 'symbolic-link') throw new FsError('loop', `"${path}" is a symbolic link (open it with symlink-follow)`);
  if ((oflags.directory || r.dirOnly) && kind !== 'directory') throw new FsError('not-directory', `"${path}" is not a directory`);
  const flags = openedFlags(want, oflags, kind === 'directory');
  if (kind === 'directory') {
    if (want.write || oflags.truncate) throw new FsError('is-directory', `"${path}" is a directory`);
    if (!dirFlags.mutateDirectory) flags.mutateDirectory = false;
    return { node, flags, file: null };
  }
  flags.mutateDirectory = false;
  if ((flags.write || oflags.truncate) && tree.readonly) throw new FsError('read-only');
  if (oflags.truncate && !flags.write) throw new FsError('invalid', 'truncate needs write');
  const io = await tree.open(node, flags.write === true);
  if (oflags.truncate) io.truncate(0);
  return { node, flags, file: new OpenFile(io) };
}

const PIECE = 1 << 16;

/** A readable stream of a file's bytes from offset, in chunks of one reused buffer (the
 * runtime resolves a write only once the guest has copied all of it). Reports the end,
 * or the failure, through done. */
function* fileChunks(file: OpenFile, io: FileIO, from: number, done: (r: Result<undefined>) => void): Generator<Uint8Array> {
  const buf = new Uint8Array(CHUNK);
  let at = from;
  let result: Result<undefined> = ok(undefined);
  try {
    for (;;) {
      let n = 0;
      try {
        // The chunk fills in file reads of PIECE bytes (OPFS reads that size faster than 1 MiB).
        for (let k = -1; k !== 0 && n < CHUNK; n += k) k = io.read(buf.subarray(n, n + PIECE), at + n);
      } catch (e) { result = fail(e); return; }
      if (n === 0) return;
      at += n;
      yield buf.subarray(0, n);
    }
  } finally {
    file.release();
    done(result);
  }
}

/** Write what a guest stream carries at offset (or, with append, at each moment's end). */
async function writeFrom(file: OpenFile, data: StreamReader, offset: number | 'append'): Promise<Result<undefined>> {
  const io = file.use();
  let at = offset === 'append' ? 0 : offset;
  const buf = new Uint8Array(CHUNK);
  try {
    await data.pipe((chunk) => {
      const c = chunk as Uint8Array;
      const pos = offset === 'append' ? io.size() : at;
      if (pos + c.byteLength > MAX_FILE) throw new FsError('file-too-large');
      io.write(c, pos);
      at = pos + c.byteLength;
    }, { chunkSize: CHUNK, buffer: () => buf, coalesce: true });
    return ok(undefined);
  } catch (e) {
    return fail(e);
  } finally {
    file.release();
  }
}

const emptyStream = (): Uint8Array => new Uint8Array(0);

/** A descriptor: a directory or a file in a tree, with the flags it was opened with. */
export class Descriptor {
  private closed = false;
  constructor(readonly tree: Tree, readonly node: unknown, readonly flags: DescriptorFlags, readonly file: OpenFile | null) {}

  private get kind(): Kind { return this.tree.kind(this.node); }

  /** This descriptor as a directory (else not-directory). */
  private dir(): unknown {
    if (this.kind !== 'directory') throw new FsError('not-directory');
    return this.node;
  }

  /** This directory, if it may change what it holds. */
  private mutable(): unknown {
    const d = this.dir();
    if (!this.flags.mutateDirectory) throw new FsError('not-permitted', 'this directory descriptor may not change what it holds');
    return d;
  }

  private fileFor(write: boolean): OpenFile {
    if (this.kind === 'directory') throw new FsError('is-directory');
    if (!this.file || (write ? !this.flags.write : !this.flags.read)) throw new FsError('bad-descriptor', `not opened for ${write ? 'writing' : 'reading'}`);
    return this.file;
  }

  readViaStream(offset: bigint): [Iterable<Uint8Array> | Uint8Array, Promise<Result<undefined>>] {
    let file: OpenFile;
    let from: number;
    try {
      file = this.fileFor(false);
      from = offsetOf(offset);
    } catch (e) {
      return [emptyStream(), Promise.resolve(fail(e))];
    }
    let done!: (r: Result<undefined>) => void;
    const result = new Promise<Result<undefined>>((r) => { done = r; });
    return [fileChunks(file, file.use(), from, done), result];
  }

  writeViaStream(data: StreamReader, offset: bigint): Promise<Result<undefined>> {
    try {
      return writeFrom(this.fileFor(true), data, offsetOf(offset));
    } catch (e) {
      data.cancel();
      return Promise.resolve(fail(e));
    }
  }

  appendViaStream(data: StreamReader): Promise<Result<undefined>> {
    try {
      return writeFrom(this.fileFor(true), data, 'append');
    } catch (e) {
      data.cancel();
      return Promise.resolve(fail(e));
    }
  }

  async advise(_offset: bigint, _length: bigint, _advice: string): Promise<Result<undefined>> {
    // Advice changes no outcome; a browser has nothing to tell.
    try { if (this.kind === 'directory') throw new FsError('bad-descriptor'); return ok(undefined); } catch (e) { return fail(e); }
  }

  async syncData(): Promise<Result<undefined>> { return this.sync(); }

  async sync(): Promise<Result<undefined>> {
    try { this.file?.io.flush(); return ok(undefined); } catch (e) { return fail(e); }
  }

  async getFlags(): Promise<Result<DescriptorFlags>> { return ok({ ...this.flags }); }

  async getType(): Promise<Result<{ tag: Kind }>> { return ok({ tag: this.kind }); }

  async setSize(size: bigint): Promise<Result<undefined>> {
    try {
      const f = this.fileFor(true);
      if (size > BigInt(MAX_FILE)) throw new FsError(size > MAX_OFFSET ? 'invalid' : 'file-too-large');
      f.io.truncate(Number(size));
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async setTimes(atime: NewTimestamp, mtime: NewTimestamp): Promise<Result<undefined>> {
    try {
      if (!this.tree.caps.times) throw new FsError('unsupported', 'this backend keeps no settable times');
      await this.tree.setTimes(this.node, timestampOf(atime), timestampOf(mtime));
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  readDirectory(): [Array<{ type: { tag: Kind }; name: string }> | AsyncIterable<Array<{ type: { tag: Kind }; name: string }>>, Promise<Result<undefined>>] {
    let dir: unknown;
    try {
      dir = this.dir();
      if (!this.flags.read) throw new FsError('bad-descriptor', 'not opened for reading');
    } catch (e) {
      return [[], Promise.resolve(fail(e))];
    }
    let done!: (r: Result<undefined>) => void;
    const result = new Promise<Result<undefined>>((r) => { done = r; });
    const tree = this.tree;
    async function* entries() {
      let r: Result<undefined> = ok(undefined);
      try {
        const all = await tree.list(dir);
        for (let i = 0; i < all.length; i += 256) yield all.slice(i, i + 256).map(([name, kind]) => ({ type: { tag: kind }, name }));
      } catch (e) {
        r = fail(e);
      } finally {
        done(r);
      }
    }
    return [entries(), result];
  }

  async createDirectoryAt(path: string): Promise<Result<undefined>> {
    try {
      const r = await named(this.tree, this.mutable(), path, 'exist');
      if (r.node !== null) throw new FsError('exist', `"${path}" exists`);
      await this.tree.mkdir(r.parent, r.name);
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async stat(): Promise<Result<DescriptorStat>> {
    try { return ok(statRecord(await this.tree.stat(this.node))); } catch (e) { return fail(e); }
  }

  async statAt(pf: PathFlags, path: string): Promise<Result<DescriptorStat>> {
    try {
      const r = await existing(this.tree, this.dir(), path, pf.symlinkFollow === true);
      return ok(statRecord(await this.tree.stat(r.node)));
    } catch (e) { return fail(e); }
  }

  async setTimesAt(pf: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): Promise<Result<undefined>> {
    try {
      const r = await existing(this.tree, this.dir(), path, pf.symlinkFollow === true);
      if (!this.tree.caps.times) throw new FsError('unsupported', 'this backend keeps no settable times');
      await this.tree.setTimes(r.node, timestampOf(atime), timestampOf(mtime));
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async linkAt(oldPf: PathFlags, oldPath: string, to: Descriptor, newPath: string): Promise<Result<undefined>> {
    try {
      const from = await existing(this.tree, this.dir(), oldPath, oldPf.symlinkFollow === true);
      if (from.parent === null || this.tree.kind(from.node) === 'directory') throw new FsError('not-permitted', 'a directory cannot be hard-linked');
      if (to.tree !== this.tree) throw new FsError('cross-device');
      const dest = await named(this.tree, to.mutable(), newPath, 'exist');
      if (dest.node !== null) throw new FsError('exist', `"${newPath}" exists`);
      if (!this.tree.caps.links) throw new FsError('unsupported', 'this backend has no hard links');
      await this.tree.link(from.node, dest.parent, dest.name);
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async openAt(pf: PathFlags, path: string, oflags: OpenFlags, want: DescriptorFlags): Promise<Result<Descriptor>> {
    try {
      const o = await openAt(this.tree, this.dir(), this.flags, pf, path, oflags, want);
      return ok(new Descriptor(this.tree, o.node, o.flags, o.file));
    } catch (e) { return fail(e); }
  }

  async readlinkAt(path: string): Promise<Result<string>> {
    try {
      const r = await existing(this.tree, this.dir(), path, false);
      if (this.tree.kind(r.node) !== 'symbolic-link') throw new FsError('invalid', `"${path}" is not a symbolic link`);
      return ok(await this.tree.readlink(r.node));
    } catch (e) { return fail(e); }
  }

  async removeDirectoryAt(path: string): Promise<Result<undefined>> {
    try {
      const r = await named(this.tree, this.mutable(), path, 'invalid');
      if (r.node === null) throw new FsError('no-entry');
      if (this.tree.kind(r.node) !== 'directory') throw new FsError('not-directory');
      await this.tree.rmdir(r.parent, r.name);
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async renameAt(oldPath: string, to: Descriptor, newPath: string): Promise<Result<undefined>> {
    try {
      const from = await named(this.tree, this.mutable(), oldPath, 'busy');
      if (from.node === null) throw new FsError('no-entry', `"${oldPath}" does not exist`);
      if (to.tree !== this.tree) throw new FsError('cross-device');
      const dest = await named(this.tree, to.mutable(), newPath, 'busy');
      const kind = this.tree.kind(from.node);
      if ((from.dirOnly || dest.dirOnly) && kind !== 'directory') throw new FsError('not-directory');
      await this.tree.rename(from.parent, from.name, dest.parent, dest.name);
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async symlinkAt(oldPath: string, newPath: string): Promise<Result<undefined>> {
    try {
      const dest = await named(this.tree, this.mutable(), newPath, 'exist');
      if (dest.node !== null) throw new FsError('exist', `"${newPath}" exists`);
      if (oldPath.startsWith('/')) throw new FsError('not-permitted', 'a symbolic link may not point outside the directory');
      if (!this.tree.caps.symlinks) throw new FsError('unsupported', 'this backend has no symbolic links');
      await this.tree.symlink(dest.parent, dest.name, oldPath);
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async unlinkFileAt(path: string): Promise<Result<undefined>> {
    try {
      const r = await named(this.tree, this.mutable(), path, 'is-directory');
      if (r.node === null) throw new FsError('no-entry');
      const kind = this.tree.kind(r.node);
      if (kind === 'directory') throw new FsError('is-directory');
      if (r.dirOnly) throw new FsError('not-directory');
      await this.tree.unlink(r.parent, r.name);
      return ok(undefined);
    } catch (e) { return fail(e); }
  }

  async isSameObject(other: Descriptor): Promise<boolean> {
    if (other.tree !== this.tree) return false;
    try { return await this.tree.same(this.node, other.node); } catch { return false; }
  }

  async metadataHash(): Promise<Result<{ lower: bigint; upper: bigint }>> {
    try { return ok(await metadataHashOf(this.tree, this.node)); } catch (e) { return fail(e); }
  }

  async metadataHashAt(pf: PathFlags, path: string): Promise<Result<{ lower: bigint; upper: bigint }>> {
    try {
      const r = await existing(this.tree, this.dir(), path, pf.symlinkFollow === true);
      return ok(await metadataHashOf(this.tree, r.node));
    } catch (e) { return fail(e); }
  }

  [Symbol.dispose](): void {
    if (this.closed) return;
    this.closed = true;
    this.file?.release();
  }
}

/** wasi:filesystem/types@0.3.0: the descriptor resource. */
export function types(): object {
  return { Descriptor };
}
