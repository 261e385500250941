// The OPFS backend: a directory of the origin private file system, in the component's worker.
// Bytes move through FileSystemSyncAccessHandle (synchronous: a read or write is a memcpy into
// the browser's file, no Promise); directories through the async handle API. One sync handle
// per file per component, shared by its descriptors ('read-only' until one writes, then
// 'readwrite'). The browser lets one context at a time hold a file's readwrite handle, so a
// second component opening the same file gets `busy`, never interleaved bytes. `sync` flushes:
// a flushed file survives the worker's end and a page reload.
// OPFS has no links: hard and symbolic links are names in a hidden table at the top of the
// directory (opfs-links.ts); an OPFS entry's name always wins over a table name. A hard-linked
// file's bytes are its first name's OPFS file; removing that name moves the file to another
// of its names (so, as removing or renaming any open file, `busy` while it is open). OPFS keeps
// only a modification time (of files): set-times and set-times-at answer `unsupported`; stat
// gives no access or status-change time, and directories and symbolic links no times at all.
import { FsError, type FileIO, type Kind, type NodeStat, type Tree } from './tree.js';
import { LINKS, LinkStore, linkLock, notReserved, within, type LinkTable } from './opfs-links.js';

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

/** A node: a directory or file (the browser's handle and its path from the tree's top, '' the
 * top; a file reached by another of its names has its OPFS file's path), or a symbolic link
 * (its path, node id and target in the link table). */
export type OpfsNode =
  | { readonly h: FileSystemHandle; readonly path: string }
  | { readonly h: null; readonly path: string; readonly id: number; readonly target: string };

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

/** A tree over an OPFS directory (a grant's `{ opfs: name }`, `name` naming its links' lock). */
export class OpfsTree implements Tree<OpfsNode> {
  readonly caps = { links: true, symlinks: true, times: false };
  private readonly opened = new Map<string, Open>();
  private readonly top: OpfsNode;
  private readonly links: LinkStore;

  constructor(dir: FileSystemDirectoryHandle, readonly readonly = false, name = '') {
    this.top = { h: dir, path: '' };
    this.links = new LinkStore(dir, linkLock(name));
  }

  root(): OpfsNode { return this.top; }
  kind(n: OpfsNode): Kind { return n.h === null ? 'symbolic-link' : n.h.kind === 'directory' ? 'directory' : 'regular-file'; }

  private dir(n: OpfsNode): DirH {
    if (n.h?.kind !== 'directory') throw new FsError('not-directory');
    return n.h as DirH;
  }
  private writable(): void { if (this.readonly) throw new FsError('read-only', 'this directory was granted read-only'); }

  /** The OPFS entry `name` in a directory handle, or null. */
  private static async entry(d: FileSystemDirectoryHandle, name: string): Promise<FileSystemHandle | null> {
    try {
      return await d.getFileHandle(name);
    } catch (e) {
      if (isDom(e, 'NotFoundError')) return null;
      if (!isDom(e, 'TypeMismatchError')) throw e;
    }
    return d.getDirectoryHandle(name);
  }

  /** The OPFS entry at a path from the top (a path the table holds), or null. */
  private async at(path: string): Promise<FileSystemHandle | null> {
    let h: FileSystemHandle | null = this.top.h;
    try {
      for (const p of path.split('/')) {
        if (h?.kind !== 'directory') return null;
        h = await OpfsTree.entry(h as FileSystemDirectoryHandle, p);
      }
    } catch (e) {
      if (e instanceof TypeError || isDom(e, 'NotFoundError')) return null;
      throw e;
    }
    return h;
  }

  /** `name` in `dir`: its OPFS entry, else its name in the link table `t` (now's by default). */
  private async find(dir: OpfsNode, name: string, t?: LinkTable): Promise<OpfsNode | null> {
    const d = this.dir(dir);
    if (dir.path === '' && name === LINKS) return null;
    const path = within(dir.path, name);
    const h = await OpfsTree.entry(d, name);
    if (h) return { h, path };
    const table = t ?? await this.links.read();
    const id = table.names.get(path);
    if (id === undefined) return null;
    const node = table.nodes.get(id)!;
    if ('target' in node) return { h: null, path, id, target: node.target };
    // Another name of a hard-linked file: its bytes' OPFS file (gone if the page removed it).
    const file = await this.at(node.file);
    return file?.kind === 'file' ? { h: file, path: node.file } : null;
  }

  lookup(dir: OpfsNode, name: string): Promise<OpfsNode | null> { return this.find(dir, name); }

  async list(dir: OpfsNode): Promise<[string, Kind][]> {
    const out: [string, Kind][] = [];
    for await (const [name, h] of this.dir(dir).entries()) {
      if (dir.path !== '' || name !== LINKS) out.push([name, h.kind === 'directory' ? 'directory' : 'regular-file']);
    }
    const seen = new Set(out.map(([name]) => name));
    for (const [name, node] of (await this.links.read()).within(dir.path)) {
      if (seen.has(name)) continue;
      if ('target' in node) out.push([name, 'symbolic-link']);
      else if ((await this.at(node.file))?.kind === 'file') out.push([name, 'regular-file']);
    }
    return out;
  }

  /** A new name's directory, refusing a name that is taken or reserved. */
  private async free(dir: OpfsNode, name: string, t?: LinkTable): Promise<DirH> {
    this.writable();
    const d = this.dir(dir);
    notReserved(dir.path === '', name);
    if (await this.find(dir, name, t)) throw new FsError('exist', `"${name}" exists`);
    return d;
  }

  async mkdir(dir: OpfsNode, name: string): Promise<void> {
    await (await this.free(dir, name)).getDirectoryHandle(name, { create: true });
  }

  async createFile(dir: OpfsNode, name: string): Promise<OpfsNode> {
    const h = await (await this.free(dir, name)).getFileHandle(name, { create: true });
    return { h, path: within(dir.path, name) };
  }

  async symlink(dir: OpfsNode, name: string, target: string): Promise<void> {
    await this.links.change(async (t) => {
      await this.free(dir, name, t);
      t.names.set(within(dir.path, name), t.add({ target }));
    });
  }

  async link(node: OpfsNode, dir: OpfsNode, name: string): Promise<void> {
    if (this.kind(node) === 'directory') throw new FsError('not-permitted', 'a directory cannot be hard-linked');
    await this.links.change(async (t) => {
      await this.free(dir, name, t);
      let id: number | undefined;
      if (node.h === null) id = t.nodes.has(node.id) ? node.id : undefined;
      else if ((await this.at(node.path))?.kind === 'file') id = t.fileId(node.path) ?? t.add({ file: node.path });
      if (id === undefined) throw new FsError('no-entry', 'the file is gone');
      t.names.set(within(dir.path, name), id);
    });
  }

  async unlink(dir: OpfsNode, name: string): Promise<void> {
    this.writable();
    await this.links.change(async (t) => {
      const n = await this.find(dir, name, t);
      if (!n) throw new FsError('no-entry');
      if (n.h?.kind === 'directory') throw new FsError('is-directory');
      await this.remove(t, dir, name, n);
    });
  }

  /** Remove the name `name` of `n` (a file or symbolic link) in `dir`. */
  private async remove(t: LinkTable, dir: OpfsNode, name: string, n: OpfsNode): Promise<void> {
    const path = within(dir.path, name);
    if (n.h === null || n.path !== path) { t.unname(path); return; }
    if (this.opened.has(path)) throw new FsError('busy', `"${name}" is open (OPFS cannot remove or move an open file)`);
    const id = t.fileId(path);
    const heir = id === undefined ? undefined : t.namesOf(id)[0];
    if (id === undefined || heir === undefined) {
      await this.dir(dir).removeEntry(name);
      if (id !== undefined) t.nodes.delete(id);
      return;
    }
    // The bytes stay: the OPFS file moves to another of its names, which leaves the table.
    const cut = heir.lastIndexOf('/');
    const to = cut < 0 ? this.top.h : await this.at(heir.slice(0, cut));
    if (to?.kind !== 'directory') throw new FsError('io', `the directory of "${heir}" is gone`);
    await (n.h as FileH).move(to as FileSystemDirectoryHandle, heir.slice(cut + 1));
    t.names.delete(heir);
    t.nodes.set(id, { file: heir });
    t.tidy(id);
  }

  async rmdir(dir: OpfsNode, name: string): Promise<void> {
    this.writable();
    await this.links.change(async (t) => {
      const n = await this.find(dir, name, t);
      if (!n) throw new FsError('no-entry');
      if (n.h?.kind !== 'directory') throw new FsError('not-directory');
      if (t.holds(n.path)) throw new FsError('not-empty', `"${name}" holds links`);
      await this.dir(dir).removeEntry(name);
    });
  }

  async rename(from: OpfsNode, fromName: string, to: OpfsNode, toName: string): Promise<void> {
    this.writable();
    this.dir(from);
    notReserved(to.path === '', toName);
    await this.links.change(async (t) => {
      const n = await this.find(from, fromName, t);
      if (!n) throw new FsError('no-entry');
      const old = await this.find(to, toName, t);
      if (old && (await this.same(n, old))) return;
      const src = within(from.path, fromName);
      const dst = within(to.path, toName);
      if (n.h?.kind === 'directory') {
        if (to.path === n.path || to.path.startsWith(`${n.path}/`)) throw new FsError('invalid', 'a directory cannot move into itself');
        if (old && old.h?.kind !== 'directory') throw new FsError('not-directory');
        if (old && t.holds(old.path)) throw new FsError('not-empty');
        if (old) await this.dir(to).removeEntry(toName);
        const move = (n.h as DirH).move;
        if (!move) throw new FsError('unsupported', 'this browser cannot move OPFS directories');
        await move.call(n.h, this.dir(to), toName);
        t.moved(src, dst);
        return;
      }
      if (old?.h?.kind === 'directory') throw new FsError('is-directory');
      const named = n.h === null || n.path !== src;
      if (!named && this.opened.has(src)) throw new FsError('busy', `"${fromName}" is open (OPFS cannot remove or move an open file)`);
      if (old) await this.remove(t, to, toName, old);
      if (named) {
        const id = t.names.get(src)!;
        t.names.delete(src);
        t.names.set(dst, id);
        return;
      }
      await (n.h as FileH).move(this.dir(to), toName);
      const id = t.fileId(src);
      if (id !== undefined) t.nodes.set(id, { file: dst });
    });
  }

  async readlink(n: OpfsNode): Promise<string> {
    if (n.h !== null) throw new FsError('invalid', 'not a symbolic link');
    return n.target;
  }

  async setTimes(): Promise<void> { throw new FsError('unsupported', 'OPFS keeps no settable times'); }

  async stat(n: OpfsNode): Promise<NodeStat> {
    if (n.h === null) {
      const links = (await this.links.read()).links(n.id);
      return { kind: 'symbolic-link', size: BigInt(new TextEncoder().encode(n.target).byteLength), links: BigInt(links) };
    }
    if (n.h.kind === 'directory') return { kind: 'directory', size: 0n, links: 1n };
    const t = await this.links.read();
    const id = t.fileId(n.path);
    const links = id === undefined ? 1n : BigInt(t.links(id));
    const o = this.opened.get(n.path);
    if (o) return { kind: 'regular-file', size: BigInt(o.handle.getSize()), links, mtime: BigInt(o.mtime) * 1_000_000n };
    const f = await (n.h as FileSystemFileHandle).getFile();
    return { kind: 'regular-file', size: BigInt(f.size), links, mtime: BigInt(f.lastModified) * 1_000_000n };
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
    if (n.h === null) throw new FsError('loop');
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

  async same(a: OpfsNode, b: OpfsNode): Promise<boolean> {
    if (a.h === null || b.h === null) return a.h === null && b.h === null && a.id === b.id;
    return a.h.isSameEntry(b.h);
  }

  /** The path of the node's OPFS entry, or its id in the link table. */
  async ident(n: OpfsNode): Promise<bigint> {
    let h = 0xcbf29ce484222325n;
    for (const ch of n.h === null ? `#${n.id}` : `/${n.path}`) h = BigInt.asUintN(64, (h ^ BigInt(ch.codePointAt(0)!)) * 0x100000001b3n);
    return h;
  }

  close(): void {
    for (const o of this.opened.values()) { try { o.handle.close(); } catch { /* gone */ } }
    this.opened.clear();
  }
}
