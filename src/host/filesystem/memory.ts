// The memory backend: a tree held in the worker, gone when the component ends. Has everything
// the WIT asks of a filesystem: hard links, symbolic links, the three timestamps (ns). Files
// grow by doubling, so streaming writes cost amortised copies only.
import { FsError, now, type FileIO, type Kind, type Nanos, type NodeStat, type Tree } from './tree.js';

let nextIno = 1n;

abstract class MemNode {
  readonly ino = nextIno++;
  atime: Nanos = now();
  mtime: Nanos = this.atime;
  ctime: Nanos = this.atime;
  nlink = 1n;
  abstract readonly kind: Kind;
}

/** A file: its bytes in a buffer that grows by doubling. */
export class MemFile extends MemNode {
  readonly kind = 'regular-file' as const;
  data = new Uint8Array(0);
  size = 0;
  /** An unlinked file lives on while a descriptor holds its node. */
  constructor(bytes?: Uint8Array) {
    super();
    if (bytes) { this.data = bytes.slice(); this.size = bytes.byteLength; }
  }
  ensure(n: number): void {
    if (n <= this.data.byteLength) return;
    const grown = new Uint8Array(Math.max(n, Math.min(this.data.byteLength * 2, n + (256 << 20)), 4096));
    grown.set(this.data.subarray(0, this.size));
    this.data = grown;
  }
  bytes(): Uint8Array { return this.data.subarray(0, this.size); }
}

/** A directory: its entries by name. */
export class MemDir extends MemNode {
  readonly kind = 'directory' as const;
  readonly entries = new Map<string, MemAny>();
}

/** A symbolic link: its target, as written. */
export class MemLink extends MemNode {
  readonly kind = 'symbolic-link' as const;
  constructor(readonly target: string) { super(); }
}

export type MemAny = MemFile | MemDir | MemLink;

/** The bytes of a file by relative path ('dir/a.txt'), as a page or the CLI seeds a tree. */
export type FileMap = Record<string, Uint8Array | string>;

/** A tree in memory (a grant's 'memory' or `files`). */
export class MemoryTree implements Tree<MemAny> {
  readonly caps = { links: true, symlinks: true, times: true };
  readonly top = new MemDir();

  constructor(readonly readonly = false, files: FileMap = {}) {
    const enc = new TextEncoder();
    for (const [path, content] of Object.entries(files)) {
      const parts = path.split('/').filter((p) => p !== '' && p !== '.');
      if (!parts.length || parts.includes('..')) throw new FsError('invalid', `seed path "${path}" must name a file inside the directory`);
      let dir = this.top;
      for (const p of parts.slice(0, -1)) {
        let d = dir.entries.get(p);
        if (!d) { d = new MemDir(); dir.entries.set(p, d); }
        if (d.kind !== 'directory') throw new FsError('invalid', `seed path "${path}": "${p}" is a file`);
        dir = d;
      }
      const name = parts[parts.length - 1]!;
      if (dir.entries.has(name)) throw new FsError('invalid', `seed path "${path}" given twice`);
      dir.entries.set(name, new MemFile(typeof content === 'string' ? enc.encode(content) : content));
    }
  }

  root(): MemAny { return this.top; }
  kind(n: MemAny): Kind { return n.kind; }

  private dir(n: MemAny): MemDir {
    if (n.kind !== 'directory') throw new FsError('not-directory');
    return n;
  }
  private writable(): void { if (this.readonly) throw new FsError('read-only', 'this directory was granted read-only'); }
  private changed(d: MemDir): void { d.mtime = d.ctime = now(); }

  async lookup(dir: MemAny, name: string): Promise<MemAny | null> { return this.dir(dir).entries.get(name) ?? null; }
  async list(dir: MemAny): Promise<[string, Kind][]> {
    return [...this.dir(dir).entries].map(([name, n]) => [name, n.kind]);
  }

  private add(dir: MemAny, name: string, n: MemAny): void {
    this.writable();
    const d = this.dir(dir);
    if (d.entries.has(name)) throw new FsError('exist', `"${name}" exists`);
    d.entries.set(name, n);
    this.changed(d);
  }

  async mkdir(dir: MemAny, name: string): Promise<void> { this.add(dir, name, new MemDir()); }
  async createFile(dir: MemAny, name: string): Promise<MemAny> { const f = new MemFile(); this.add(dir, name, f); return f; }
  async symlink(dir: MemAny, name: string, target: string): Promise<void> { this.add(dir, name, new MemLink(target)); }

  async link(node: MemAny, dir: MemAny, name: string): Promise<void> {
    if (node.kind === 'directory') throw new FsError('not-permitted', 'a directory cannot be hard-linked');
    this.add(dir, name, node);
    node.nlink++;
    node.ctime = now();
  }

  async unlink(dir: MemAny, name: string): Promise<void> {
    this.writable();
    const d = this.dir(dir);
    const n = d.entries.get(name);
    if (!n) throw new FsError('no-entry');
    if (n.kind === 'directory') throw new FsError('is-directory', `"${name}" is a directory`);
    d.entries.delete(name);
    n.nlink--;
    n.ctime = now();
    this.changed(d);
  }

  async rmdir(dir: MemAny, name: string): Promise<void> {
    this.writable();
    const d = this.dir(dir);
    const n = d.entries.get(name);
    if (!n) throw new FsError('no-entry');
    if (n.kind !== 'directory') throw new FsError('not-directory', `"${name}" is not a directory`);
    if (n.entries.size) throw new FsError('not-empty', `"${name}" is not empty`);
    d.entries.delete(name);
    this.changed(d);
  }

  async rename(from: MemAny, fromName: string, to: MemAny, toName: string): Promise<void> {
    this.writable();
    const a = this.dir(from);
    const b = this.dir(to);
    const n = a.entries.get(fromName);
    if (!n) throw new FsError('no-entry');
    const old = b.entries.get(toName);
    if (old === n) return;
    if (n.kind === 'directory') {
      // A directory may not move into itself or below it.
      if (this.contains(n, b)) throw new FsError('invalid', 'a directory cannot move into itself');
      if (old && old.kind !== 'directory') throw new FsError('not-directory');
      if (old && old.kind === 'directory' && old.entries.size) throw new FsError('not-empty');
    } else if (old && old.kind === 'directory') {
      throw new FsError('is-directory');
    }
    if (old) old.nlink--;
    a.entries.delete(fromName);
    b.entries.set(toName, n);
    n.ctime = now();
    this.changed(a);
    this.changed(b);
  }

  private contains(d: MemDir, x: MemDir): boolean {
    if (d === x) return true;
    for (const c of d.entries.values()) if (c.kind === 'directory' && this.contains(c, x)) return true;
    return false;
  }

  async readlink(n: MemAny): Promise<string> {
    if (n.kind !== 'symbolic-link') throw new FsError('invalid', 'not a symbolic link');
    return n.target;
  }

  async stat(n: MemAny): Promise<NodeStat> {
    const size = n.kind === 'regular-file' ? n.size : n.kind === 'symbolic-link' ? new TextEncoder().encode(n.target).byteLength : 4096;
    return { kind: n.kind, size: BigInt(size), links: n.nlink, atime: n.atime, mtime: n.mtime, ctime: n.ctime };
  }

  async setTimes(n: MemAny, atime: Nanos | undefined, mtime: Nanos | undefined): Promise<void> {
    this.writable();
    if (atime !== undefined) n.atime = atime;
    if (mtime !== undefined) n.mtime = mtime;
    n.ctime = now();
  }

  async open(n: MemAny, write: boolean): Promise<FileIO> {
    if (n.kind !== 'regular-file') throw new FsError(n.kind === 'directory' ? 'is-directory' : 'loop');
    if (write) this.writable();
    const f = n;
    return {
      size: () => f.size,
      read(into, at) {
        if (at >= f.size) return 0;
        const k = Math.min(into.byteLength, f.size - at);
        into.set(f.data.subarray(at, at + k));
        f.atime = now();
        return k;
      },
      write(data, at) {
        const end = at + data.byteLength;
        f.ensure(end);
        if (at > f.size) f.data.fill(0, f.size, at);
        f.data.set(data, at);
        if (end > f.size) f.size = end;
        f.mtime = f.ctime = now();
      },
      truncate(size) {
        f.ensure(size);
        if (size > f.size) f.data.fill(0, f.size, size);
        f.size = size;
        f.mtime = f.ctime = now();
      },
      flush() {},
      close() {},
    };
  }

  async same(a: MemAny, b: MemAny): Promise<boolean> { return a === b; }
  async ident(n: MemAny): Promise<bigint> { return n.ino; }
  close(): void {}

  /** Every file's bytes by relative path (directories as entries ending in '/'). */
  snapshot(): Map<string, Uint8Array | null> {
    const out = new Map<string, Uint8Array | null>();
    const walk = (d: MemDir, prefix: string): void => {
      for (const [name, n] of d.entries) {
        if (n.kind === 'directory') { out.set(`${prefix}${name}/`, null); walk(n, `${prefix}${name}/`); }
        else if (n.kind === 'regular-file') out.set(prefix + name, n.bytes().slice());
      }
    };
    walk(this.top, '');
    return out;
  }
}
