// The OPFS backend: a directory of the origin private file system, in the component's worker.
// Bytes move through FileSystemSyncAccessHandle (synchronous: a read or write is a memcpy into
// the browser's file, no Promise); directories through the async handle API. One sync handle
// per file per component, shared by its descriptors ('read-only' until one writes, then
// 'readwrite'). The browser lets one context at a time hold a file's readwrite handle, so a
// second component opening the same file gets `busy`, never interleaved bytes. `sync` flushes:
// a flushed file survives the worker's end and a page reload.
// OPFS has no hard or symbolic links and keeps only a modification time (of files): link-at,
// symlink-at, set-times and set-times-at answer `unsupported`; stat gives no access or
// status-change time, and directories no times at all.
import { FsError, type FileIO, type Kind, type NodeStat, type Tree } from './tree.js';

/** What OPFS's sync access handle offers (not in TypeScript's DOM library). */
interface SyncHandle {
  read(into: Uint8Array, o: { at: number }): number;
  write(data: Uint8Array, o: { at: number }): number;
  getSize(): number;
  truncate(n: number): void;
  flush(): void;
  close(): void;
}
type SyncMode = 'read-only' | 'readwrite';
type FileH = FileSystemFileHandle & { createSyncAccessHandle(o?: { mode: SyncMode }): Promise<SyncHandle>; move(dir: FileSystemDirectoryHandle, name: string): Promise<void> };
type DirH = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]>; move?(dir: FileSystemDirectoryHandle, name: string): Promise<void> };

/** A node: the browser's handle and its path from the tree's root ('' for the root). */
export interface OpfsNode { readonly h: FileSystemHandle; readonly path: string }

/** One file's sync handle, shared by this component's descriptors. */
interface Open { handle: SyncHandle; mode: SyncMode; users: number; mtime: number }

const isDom = (e: unknown, name: string): boolean => e instanceof DOMException && e.name === name;

/** Check an OPFS directory name ('my-app', 'apps/one') as a page gives it. */
export function opfsPathProblem(name: string): string | null {
  if (typeof name !== 'string' || !name) return 'must be a non-empty string';
  for (const p of name.split('/')) {
    if (!p || p === '.' || p === '..' || p.includes('\\')) return `has an invalid component "${p}"`;
  }
  return null;
}

/** The OPFS directory named by a grant, created if missing. */
export async function opfsDirectory(name: string): Promise<FileSystemDirectoryHandle> {
  const bad = opfsPathProblem(name);
  if (bad) throw new FsError('invalid', `OPFS directory "${name}" ${bad}`);
  try {
    let d = await navigator.storage.getDirectory();
    for (const p of name.split('/')) d = await d.getDirectoryHandle(p, { create: true });
    return d;
  } catch (e) {
    throw new Error(`the OPFS directory "${name}" could not be opened: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** A tree over an OPFS directory (a grant's `{ opfs: name }`). */
export class OpfsTree implements Tree<OpfsNode> {
  readonly caps = { links: false, symlinks: false, times: false };
  private readonly opened = new Map<string, Open>();
  private readonly top: OpfsNode;

  constructor(dir: FileSystemDirectoryHandle, readonly readonly = false) {
    this.top = { h: dir, path: '' };
  }

  root(): OpfsNode { return this.top; }
  kind(n: OpfsNode): Kind { return n.h.kind === 'directory' ? 'directory' : 'regular-file'; }

  private dir(n: OpfsNode): DirH {
    if (n.h.kind !== 'directory') throw new FsError('not-directory');
    return n.h as DirH;
  }
  private writable(): void { if (this.readonly) throw new FsError('read-only', 'this directory was granted read-only'); }
  private child(dir: OpfsNode, name: string, h: FileSystemHandle): OpfsNode {
    return { h, path: dir.path ? `${dir.path}/${name}` : name };
  }

  async lookup(dir: OpfsNode, name: string): Promise<OpfsNode | null> {
    const d = this.dir(dir);
    try {
      return this.child(dir, name, await d.getFileHandle(name));
    } catch (e) {
      if (isDom(e, 'NotFoundError')) return null;
      if (!isDom(e, 'TypeMismatchError')) throw e;
    }
    return this.child(dir, name, await d.getDirectoryHandle(name));
  }

  async list(dir: OpfsNode): Promise<[string, Kind][]> {
    const out: [string, Kind][] = [];
    for await (const [name, h] of this.dir(dir).entries()) out.push([name, h.kind === 'directory' ? 'directory' : 'regular-file']);
    return out;
  }

  async mkdir(dir: OpfsNode, name: string): Promise<void> {
    this.writable();
    if (await this.lookup(dir, name)) throw new FsError('exist', `"${name}" exists`);
    await this.dir(dir).getDirectoryHandle(name, { create: true });
  }

  async createFile(dir: OpfsNode, name: string): Promise<OpfsNode> {
    this.writable();
    if (await this.lookup(dir, name)) throw new FsError('exist', `"${name}" exists`);
    return this.child(dir, name, await this.dir(dir).getFileHandle(name, { create: true }));
  }

  async unlink(dir: OpfsNode, name: string): Promise<void> {
    this.writable();
    const n = await this.lookup(dir, name);
    if (!n) throw new FsError('no-entry');
    if (n.h.kind === 'directory') throw new FsError('is-directory');
    if (this.opened.has(n.path)) throw new FsError('busy', `"${name}" is open (OPFS cannot remove an open file)`);
    await this.dir(dir).removeEntry(name);
  }

  async rmdir(dir: OpfsNode, name: string): Promise<void> {
    this.writable();
    const n = await this.lookup(dir, name);
    if (!n) throw new FsError('no-entry');
    if (n.h.kind !== 'directory') throw new FsError('not-directory');
    await this.dir(dir).removeEntry(name);
  }

  async rename(from: OpfsNode, fromName: string, to: OpfsNode, toName: string): Promise<void> {
    this.writable();
    const n = await this.lookup(from, fromName);
    if (!n) throw new FsError('no-entry');
    const old = await this.lookup(to, toName);
    if (old && (await n.h.isSameEntry(old.h))) return;
    if (this.opened.has(n.path)) throw new FsError('busy', `"${fromName}" is open (OPFS cannot move an open file)`);
    if (n.h.kind === 'directory') {
      if (to.path === n.path || to.path.startsWith(`${n.path}/`)) throw new FsError('invalid', 'a directory cannot move into itself');
      if (old && old.h.kind !== 'directory') throw new FsError('not-directory');
      if (old) await this.rmdir(to, toName);
      const move = (n.h as DirH).move;
      if (!move) throw new FsError('unsupported', 'this browser cannot move OPFS directories');
      await move.call(n.h, this.dir(to), toName);
    } else {
      if (old && old.h.kind === 'directory') throw new FsError('is-directory');
      if (old) await this.unlink(to, toName);
      await (n.h as FileH).move(this.dir(to), toName);
    }
  }

  async link(): Promise<void> { throw new FsError('unsupported', 'OPFS has no hard links'); }
  async symlink(): Promise<void> { throw new FsError('unsupported', 'OPFS has no symbolic links'); }
  async readlink(): Promise<string> { throw new FsError('invalid', 'not a symbolic link'); }
  async setTimes(): Promise<void> { throw new FsError('unsupported', 'OPFS keeps no settable times'); }

  async stat(n: OpfsNode): Promise<NodeStat> {
    if (n.h.kind === 'directory') return { kind: 'directory', size: 0n, links: 1n };
    const o = this.opened.get(n.path);
    if (o) return { kind: 'regular-file', size: BigInt(o.handle.getSize()), links: 1n, mtime: BigInt(o.mtime) * 1_000_000n };
    const f = await (n.h as FileSystemFileHandle).getFile();
    return { kind: 'regular-file', size: BigInt(f.size), links: 1n, mtime: BigInt(f.lastModified) * 1_000_000n };
  }

  /** Opens of one path run one after another (two at once would both ask for a handle). */
  private readonly opening = new Map<string, Promise<unknown>>();

  open(n: OpfsNode, write: boolean): Promise<FileIO> {
    const before = this.opening.get(n.path) ?? Promise.resolve();
    const p = before.then(() => this.openNow(n, write), () => this.openNow(n, write));
    const settled = p.catch(() => {});
    this.opening.set(n.path, settled);
    void settled.then(() => { if (this.opening.get(n.path) === settled) this.opening.delete(n.path); });
    return p;
  }

  private async openNow(n: OpfsNode, write: boolean): Promise<FileIO> {
    if (n.h.kind === 'directory') throw new FsError('is-directory');
    if (write) this.writable();
    const key = n.path;
    let o = this.opened.get(key);
    const want: SyncMode = write ? 'readwrite' : 'read-only';
    if (!o || (write && o.mode === 'read-only')) {
      const mtime = o ? o.mtime : (await (n.h as FileSystemFileHandle).getFile()).lastModified;
      o?.handle.close();
      const create = (mode: SyncMode) => (n.h as FileH).createSyncAccessHandle({ mode });
      let handle: SyncHandle;
      try {
        handle = await create(want);
      } catch (e) {
        if (o) {
          // Give this component's readers back their handle.
          try { o.handle = await create('read-only'); } catch { this.opened.delete(key); }
        }
        if (isDom(e, 'NoModificationAllowedError')) {
          throw new FsError('busy', `"${n.path}" is open ${write ? '' : 'for writing '}elsewhere (another component or tab)`);
        }
        throw e;
      }
      if (o) { o.handle = handle; o.mode = 'readwrite'; } else { o = { handle, mode: want, users: 0, mtime }; this.opened.set(key, o); }
    }
    const open = o;
    open.users++;
    let closed = false;
    const touch = (): void => { open.mtime = Date.now(); };
    return {
      size: () => open.handle.getSize(),
      read: (into, at) => open.handle.read(into, { at }),
      write: (data, at) => {
        const n = open.handle.write(data, { at });
        touch();
        if (n !== data.byteLength) throw new FsError('insufficient-space', `wrote ${n} of ${data.byteLength} bytes`);
      },
      truncate: (size) => { open.handle.truncate(size); touch(); },
      flush: () => open.handle.flush(),
      close: () => {
        if (closed) return;
        closed = true;
        if (--open.users === 0) {
          open.handle.close();
          if (this.opened.get(key) === open) this.opened.delete(key);
        }
      },
    };
  }

  async same(a: OpfsNode, b: OpfsNode): Promise<boolean> { return a.h.isSameEntry(b.h); }

  async ident(n: OpfsNode): Promise<bigint> {
    let h = 0xcbf29ce484222325n;
    for (const ch of `/${n.path}`) h = BigInt.asUintN(64, (h ^ BigInt(ch.codePointAt(0)!)) * 0x100000001b3n);
    return h;
  }

  close(): void {
    for (const o of this.opened.values()) { try { o.handle.close(); } catch { /* gone */ } }
    this.opened.clear();
  }
}
