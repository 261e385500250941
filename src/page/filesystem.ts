// The page's own view of an OPFS directory that components get as a preopen
// (`preopens: { '/data': { opfs: name } }`): list, read, seed and remove its files from the page
// (apps, the demo). Paths are relative to the directory and may not leave it ('..', absolute
// paths are refused). A file a component holds open for writing cannot be read or written
// here meanwhile: the browser refuses, and the Promise rejects with its NoModificationAllowedError.
// Links that components made (kept in a hidden file, host/filesystem/opfs-links.ts) are not
// shown: a hard-linked file appears at its first name only; removing or writing here drops the
// links this removes or replaces.
import { opfsDirectory, opfsPathProblem } from '../host/filesystem/opfs.js';
import { LINKS, LinkStore, linkLock } from '../host/filesystem/opfs-links.js';

/** An entry of a directory. */
export interface DirectoryEntry {
  name: string;
  kind: 'file' | 'directory';
  /** Bytes (files only). */
  size?: number;
}

const encode = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? new TextEncoder().encode(v) : v);

/** Split a relative path, refusing one that could leave the directory. */
function parts(path: string): string[] {
  if (typeof path !== 'string') throw new TypeError('a path must be a string');
  if (path.startsWith('/')) throw new TypeError(`"${path}" must be relative to the directory`);
  const ps = path.split('/').filter((p) => p !== '' && p !== '.');
  if (ps.includes('..')) throw new TypeError(`"${path}" may not contain ..`);
  return ps;
}

/** An OPFS directory seen from the page (openDirectory). */
export class PageDirectory {
  /** Use openDirectory(). */
  private readonly links: LinkStore;
  constructor(readonly name: string, private readonly root: FileSystemDirectoryHandle) {
    this.links = new LinkStore(root, linkLock(name));
  }

  private async dir(ps: string[], create = false): Promise<FileSystemDirectoryHandle> {
    let d = this.root;
    for (const p of ps) d = await d.getDirectoryHandle(p, { create });
    return d;
  }

  private async fileHandle(path: string, create = false): Promise<FileSystemFileHandle> {
    const ps = parts(path);
    if (!ps.length) throw new TypeError('a file path is needed');
    return (await this.dir(ps.slice(0, -1), create)).getFileHandle(ps[ps.length - 1]!, { create });
  }

  /** The entries of a directory ('' for the top), sorted by name. */
  async list(path = ''): Promise<DirectoryEntry[]> {
    const d = await this.dir(parts(path));
    const out: DirectoryEntry[] = [];
    for await (const [name, h] of (d as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (d === this.root && name === LINKS) continue;
      out.push(h.kind === 'file' ? { name, kind: 'file', size: (await (h as FileSystemFileHandle).getFile()).size } : { name, kind: 'directory' });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every file's path under the directory, sorted ('docs/a.txt'). */
  async files(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (prefix: string): Promise<void> => {
      for (const e of await this.list(prefix)) {
        const p = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.kind === 'directory') await walk(p); else out.push(p);
      }
    };
    await walk('');
    return out.sort();
  }

  /** A file's bytes (rejects with NotFoundError if there is none). */
  async read(path: string): Promise<Uint8Array> {
    const f = await (await this.fileHandle(path)).getFile();
    return new Uint8Array(await f.arrayBuffer());
  }

  /** A file's text (UTF-8). */
  async readText(path: string): Promise<string> { return new TextDecoder().decode(await this.read(path)); }

  /** Write a whole file (a string as UTF-8), creating it and its directories; replaces what
   * was there once written completely. */
  async write(path: string, data: Uint8Array | string): Promise<void> {
    const w = await (await this.fileHandle(path, true)).createWritable();
    try {
      await w.write(encode(data) as Uint8Array<ArrayBuffer>);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
    // A symbolic link a component left at this name is replaced.
    const p = parts(path).join('/');
    await this.links.change(async (t) => { if (t.names.has(p)) t.unname(p); });
  }

  /** Make a directory (and its parents). */
  async mkdir(path: string): Promise<void> { await this.dir(parts(path), true); }

  /** Remove a file, or a directory with what it holds. */
  async remove(path: string): Promise<void> {
    const ps = parts(path);
    if (!ps.length) throw new TypeError('remove needs a path inside the directory (clear() empties it)');
    await (await this.dir(ps.slice(0, -1))).removeEntry(ps[ps.length - 1]!, { recursive: true });
    await this.links.change(async (t) => t.forget(ps.join('/')));
  }

  /** Remove everything in the directory (links too). */
  async clear(): Promise<void> {
    for (const e of await this.list()) await this.root.removeEntry(e.name, { recursive: true });
    await this.root.removeEntry(LINKS).catch(() => {});
  }
}

/** Open (creating if missing) the OPFS directory `name` ('my-app', 'apps/one'), as a preopen
 * grant `{ opfs: name }` names it, to list, read and seed its files from the page. */
export async function openDirectory(name: string): Promise<PageDirectory> {
  const bad = opfsPathProblem(name);
  if (bad) throw new TypeError(`OPFS directory "${name}" ${bad}`);
  return new PageDirectory(name, await opfsDirectory(name));
}
