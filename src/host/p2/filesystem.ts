// wasi:filesystem@0.2 (types, preopens) over the same preopened trees as 0.3
// (../filesystem/): a component whose Rust std::fs goes through 0.2 while its own code uses
// 0.3 sees one set of files, and one OPFS sync handle per file. Each 0.2 descriptor wraps a
// 0.3 one, so both generations share every rule (confinement, flags, errors); what 0.2 adds
// is written here: read/write at an offset, input and output streams on preview2-shim's
// classes (io.ts), and directory-entry-stream. preview2-shim's own Descriptor reads files
// from an in-memory or OPFS tree of its own, so it is not used.
import type { ComponentState } from '../state.js';
import type { HostPackage } from '../registry.js';
import { filesystemOf } from '../filesystem/index.js';
import {
  CHUNK, Descriptor as D3, MAX_FILE, offsetOf,
  type DescriptorFlags, type DescriptorStat, type NewTimestamp, type OpenFlags, type PathFlags, type Result,
} from '../filesystem/types.js';
import { FsError, type ErrorName, type Kind } from '../filesystem/tree.js';
import { asFsError } from '../filesystem/errors.js';
import { inputStream, outputStream, ioErrorCreate } from './io.js';

type R<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: ErrorName };
const ok = <T>(val: T): R<T> => ({ tag: 'ok', val });
const fail = (e: unknown): R<never> => ({ tag: 'err', val: asFsError(e).code });

/** A 0.3 result in 0.2's shape: error-code an enum (0.3's `other` is io). */
function p2<T, U = T>(r: Result<T>, map?: (v: T) => U): R<U> {
  if (r.tag === 'err') return { tag: 'err', val: r.val.tag === 'other' ? 'io' : r.val.tag };
  return ok(map ? map(r.val) : (r.val as unknown as U));
}
const p2stat = (s: DescriptorStat) => ({ ...s, type: s.type.tag });

/** The error code behind a stream error (filesystem-error-code). */
const STREAM_ERRORS = new WeakMap<object, ErrorName>();
function streamError(e: unknown): { tag: 'last-operation-failed'; val: object } {
  const f = asFsError(e);
  const err = ioErrorCreate(f.message);
  STREAM_ERRORS.set(err, f.code);
  return { tag: 'last-operation-failed', val: err };
}

export class DirectoryEntryStream {
  private k = 0;
  constructor(private readonly entries: [string, Kind][]) {}
  readDirectoryEntry(): R<{ type: Kind; name: string } | undefined> {
    const e = this.entries[this.k++];
    return ok(e ? { type: e[1], name: e[0] } : undefined);
  }
  [Symbol.dispose](): void {}
}

export class Descriptor {
  constructor(readonly d: D3) {}

  private file(write: boolean) {
    if (this.d.tree.kind(this.d.node) === 'directory') throw new FsError('is-directory');
    if (!this.d.file || (write ? !this.d.flags.write : !this.d.flags.read)) throw new FsError('bad-descriptor', `not opened for ${write ? 'writing' : 'reading'}`);
    return this.d.file;
  }

  readViaStream(offset: bigint): R<unknown> {
    try {
      const file = this.file(false);
      let at = offsetOf(offset);
      const io = file.use();
      let released = false;
      const release = (): void => { if (!released) { released = true; file.release(); } };
      // Each read gets a buffer of its own, as big as what is left to give, and the file is
      // read straight into it (the guest's copy is the only other).
      const read = (len: bigint): Uint8Array => {
        let n: number;
        let out: Uint8Array;
        try {
          out = new Uint8Array(Math.min(len < BigInt(CHUNK) ? Number(len) : CHUNK, Math.max(0, io.size() - at)));
          n = out.byteLength ? io.read(out, at) : 0;
        } catch (e) { throw streamError(e); }
        if (n === 0 && len > 0n) throw { tag: 'closed' };
        at += n;
        return n === out.byteLength ? out : out.subarray(0, n);
      };
      return ok(inputStream({ read, blockingRead: read, drop: release }));
    } catch (e) { return fail(e); }
  }

  private writer(at: number | 'append'): R<unknown> {
    try {
      const file = this.file(true);
      const io = file.use();
      let pos = at === 'append' ? 0 : at;
      let released = false;
      const write = (buf: Uint8Array): void => {
        try {
          const p = at === 'append' ? io.size() : pos;
          if (p + buf.byteLength > MAX_FILE) throw new FsError('file-too-large');
          io.write(buf, p);
          pos = p + buf.byteLength;
        } catch (e) { throw streamError(e); }
      };
      return ok(outputStream({
        write, checkWrite: () => BigInt(1 << 20), flush: () => {}, blockingFlush: () => {},
        blockingWriteAndFlush: write,
        drop: () => { if (!released) { released = true; file.release(); } },
      }));
    } catch (e) { return fail(e); }
  }

  writeViaStream(offset: bigint): R<unknown> {
    try { return this.writer(offsetOf(offset)); } catch (e) { return fail(e); }
  }
  appendViaStream(): R<unknown> { return this.writer('append'); }

  async advise(offset: bigint, length: bigint, advice: string) { return p2(await this.d.advise(offset, length, advice)); }
  async syncData() { return p2(await this.d.syncData()); }
  async sync() { return p2(await this.d.sync()); }
  async getFlags(): Promise<R<DescriptorFlags>> { return p2(await this.d.getFlags()); }
  async getType(): Promise<R<Kind>> { return p2(await this.d.getType(), (t) => t.tag); }
  async setSize(size: bigint) { return p2(await this.d.setSize(size)); }
  async setTimes(a: NewTimestamp, m: NewTimestamp) { return p2(await this.d.setTimes(a, m)); }

  read(length: bigint, offset: bigint): R<[Uint8Array, boolean]> {
    try {
      const io = this.file(false).io;
      const at = offsetOf(offset);
      const n = Math.min(Number(length > BigInt(1 << 26) ? BigInt(1 << 26) : length), Math.max(0, io.size() - at));
      const buf = new Uint8Array(n);
      const got = n ? io.read(buf, at) : 0;
      return ok([got === n ? buf : buf.slice(0, got), at + got >= io.size()]);
    } catch (e) { return fail(e); }
  }

  write(buffer: Uint8Array, offset: bigint): R<bigint> {
    try {
      const io = this.file(true).io;
      const at = offsetOf(offset);
      if (at + buffer.byteLength > MAX_FILE) throw new FsError('file-too-large');
      io.write(buffer, at);
      return ok(BigInt(buffer.byteLength));
    } catch (e) { return fail(e); }
  }

  async readDirectory(): Promise<R<DirectoryEntryStream>> {
    try {
      if (this.d.tree.kind(this.d.node) !== 'directory') throw new FsError('not-directory');
      if (!this.d.flags.read) throw new FsError('bad-descriptor');
      return ok(new DirectoryEntryStream(await this.d.tree.list(this.d.node)));
    } catch (e) { return fail(e); }
  }

  async createDirectoryAt(path: string) { return p2(await this.d.createDirectoryAt(path)); }
  async stat() { return p2(await this.d.stat(), p2stat); }
  async statAt(pf: PathFlags, path: string) { return p2(await this.d.statAt(pf, path), p2stat); }
  async setTimesAt(pf: PathFlags, path: string, a: NewTimestamp, m: NewTimestamp) { return p2(await this.d.setTimesAt(pf, path, a, m)); }
  async linkAt(pf: PathFlags, oldPath: string, to: Descriptor, newPath: string) { return p2(await this.d.linkAt(pf, oldPath, to.d, newPath)); }
  async openAt(pf: PathFlags, path: string, of: OpenFlags, flags: DescriptorFlags): Promise<R<Descriptor>> {
    return p2(await this.d.openAt(pf, path, of, flags), (d) => new Descriptor(d));
  }
  async readlinkAt(path: string) { return p2(await this.d.readlinkAt(path)); }
  async removeDirectoryAt(path: string) { return p2(await this.d.removeDirectoryAt(path)); }
  async renameAt(oldPath: string, to: Descriptor, newPath: string) { return p2(await this.d.renameAt(oldPath, to.d, newPath)); }
  async symlinkAt(oldPath: string, newPath: string) { return p2(await this.d.symlinkAt(oldPath, newPath)); }
  async unlinkFileAt(path: string) { return p2(await this.d.unlinkFileAt(path)); }
  isSameObject(other: Descriptor): Promise<boolean> { return this.d.isSameObject(other.d); }
  async metadataHash() { return p2(await this.d.metadataHash()); }
  async metadataHashAt(pf: PathFlags, path: string) { return p2(await this.d.metadataHashAt(pf, path)); }

  [Symbol.dispose](): void { this.d[Symbol.dispose](); }
}

/** wasi:filesystem@0.2 (types, preopens), on the component's trees. */
export const filesystem: HostPackage = {
  name: 'wasi:filesystem',
  version: '0.2',
  create(state: ComponentState) {
    const fs = filesystemOf(state);
    return {
      imports: {
        types: {
          Descriptor, DirectoryEntryStream,
          filesystemErrorCode: (err: object): ErrorName | undefined => STREAM_ERRORS.get(err),
        },
        preopens: {
          getDirectories: async (): Promise<[Descriptor, string][]> =>
            (await fs.preopens()).map((p) => [new Descriptor(new D3(p.tree, p.tree.root(), p.flags, null)), p.path]),
        },
      },
      dispose: () => fs.close(),
    };
  },
};
