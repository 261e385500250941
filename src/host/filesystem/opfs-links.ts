// The links OPFS lacks, for the OPFS backend (opfs.ts) and the page's view (page/filesystem.ts):
// one hidden file at the top of a preopened OPFS directory (LINKS) holds a table, so links last
// as the files do (a worker's end, a reload). A symbolic link is a name in the table with its
// target; a hard-linked file keeps its bytes in its first OPFS file and its other names are
// names in the table. A guest never lists, opens or creates LINKS (opfs.ts hides it).
// Changes are read-modify-write under a Web Lock named after the directory, so components in
// other workers and tabs take turns and none loses another's change, and the file is replaced
// whole (createWritable commits on close: a worker ended mid-change leaves the old table).
// Readers keep a parsed copy and reread the file when its time or size changed; a writer
// makes sure one of them did.
import { FsError } from './tree.js';

/** The hidden file's name, at the top of the directory. */
export const LINKS = '.wasip3-links';

/** A node of the table: a symbolic link's target, or the OPFS file (path from the top) that
 * holds a hard-linked file's bytes. */
export type LinkNode = { readonly target: string } | { readonly file: string };

/** `name` in the directory at `dir` ('' the top). */
export const within = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** The Web Lock that orders changes to one OPFS directory's links (named as its grant names it). */
export const linkLock = (directory: string): string => `wasip3-web:opfs-links:${directory}`;

const below = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** The table: names that are no OPFS entry, each naming a node. */
export class LinkTable {
  /** Path from the top -> node id. */
  readonly names = new Map<string, number>();
  readonly nodes = new Map<number, LinkNode>();
  private next = 1;

  /** The table a file holds ('' or what is not a table: none). */
  static parse(text: string): LinkTable {
    const t = new LinkTable();
    let j: { next?: unknown; names?: unknown; nodes?: unknown };
    try { j = text ? JSON.parse(text) : {}; } catch { return t; }
    if (typeof j !== 'object' || !j) return t;
    const nodes = (typeof j.nodes === 'object' && j.nodes) || {};
    for (const [k, v] of Object.entries(nodes as Record<string, { target?: unknown; file?: unknown }>)) {
      const id = Number(k);
      if (typeof v?.target === 'string') t.nodes.set(id, { target: v.target });
      else if (typeof v?.file === 'string') t.nodes.set(id, { file: v.file });
    }
    const names = (typeof j.names === 'object' && j.names) || {};
    for (const [k, v] of Object.entries(names as Record<string, unknown>)) if (typeof v === 'number' && t.nodes.has(v)) t.names.set(k, v);
    t.next = Math.max(typeof j.next === 'number' ? j.next : 1, ...[...t.nodes.keys()].map((id) => id + 1));
    return t;
  }

  text(): string {
    return JSON.stringify({ v: 1, next: this.next, names: Object.fromEntries(this.names), nodes: Object.fromEntries(this.nodes) });
  }

  add(node: LinkNode): number {
    const id = this.next++;
    this.nodes.set(id, node);
    return id;
  }

  /** The node whose bytes are the OPFS file at `path`. */
  fileId(path: string): number | undefined {
    for (const [id, n] of this.nodes) if ('file' in n && n.file === path) return id;
    return undefined;
  }

  /** A node's names in the table (a file's own OPFS name is not among them). */
  namesOf(id: number): string[] {
    return [...this.names].filter(([, v]) => v === id).map(([k]) => k);
  }

  /** How many names a node has: link-count. */
  links(id: number): number {
    const n = this.nodes.get(id);
    return n ? ('file' in n ? 1 : 0) + this.namesOf(id).length : 0;
  }

  /** A node left with no name in the table goes (a file is then an OPFS file like any other). */
  tidy(id: number): void { if (!this.namesOf(id).length) this.nodes.delete(id); }

  /** Forget a name. */
  unname(path: string): void {
    const id = this.names.get(path);
    this.names.delete(path);
    if (id !== undefined) this.tidy(id);
  }

  /** The names directly in the directory at `dir`: [name, node]. */
  within(dir: string): [string, LinkNode][] {
    const prefix = dir ? `${dir}/` : '';
    const out: [string, LinkNode][] = [];
    for (const [k, id] of this.names) {
      if (k.startsWith(prefix) && !k.includes('/', prefix.length)) out.push([k.slice(prefix.length), this.nodes.get(id)!]);
    }
    return out;
  }

  /** Whether a name lies inside the directory at `dir`. */
  holds(dir: string): boolean {
    for (const k of this.names.keys()) if (k.startsWith(`${dir}/`)) return true;
    return false;
  }

  /** The directory at `from` moved to `to`: so did every name and file inside it. */
  moved(from: string, to: string): void {
    const move = (p: string): string => (below(p, from) ? to + p.slice(from.length) : p);
    const names = [...this.names].map(([k, v]) => [move(k), v] as const);
    this.names.clear();
    for (const [k, v] of names) this.names.set(k, v);
    for (const [id, n] of this.nodes) if ('file' in n) this.nodes.set(id, { file: move(n.file) });
  }

  /** What was at `path` is gone (removed from the page, with what it held): its names, and the
   * names of files whose bytes were there. */
  forget(path: string): void {
    for (const [id, n] of this.nodes) if ('file' in n && below(n.file, path)) for (const k of this.namesOf(id)) this.unname(k);
    for (const k of [...this.names.keys()]) if (below(k, path)) this.unname(k);
  }
}

const notFound = (e: unknown): boolean => e instanceof DOMException && e.name === 'NotFoundError';
const keyOf = (f: File | null): string => (f ? `${f.lastModified}:${f.size}` : 'none');

/** One directory's table, read and changed in turn with every other worker and tab. */
export class LinkStore {
  private cached = { key: 'none', table: new LinkTable() };
  private handle: FileSystemFileHandle | null = null;

  constructor(private readonly top: FileSystemDirectoryHandle, private readonly lock: string) {}

  private async file(): Promise<File | null> {
    try {
      this.handle ??= await this.top.getFileHandle(LINKS);
      return await this.handle.getFile();
    } catch (e) {
      if (!notFound(e)) throw e;
      this.handle = null;
      return null;
    }
  }

  /** The table as it is now (shared: read it, do not change it). */
  async read(): Promise<LinkTable> {
    const f = await this.file();
    const key = keyOf(f);
    if (key !== this.cached.key) this.cached = { key, table: LinkTable.parse(f ? await f.text() : '') };
    return this.cached.table;
  }

  /** Change the table: `f` runs in turn with every other change to this directory's links, on
   * the table as it is now; what it leaves is written, unless it throws. */
  change<T>(f: (t: LinkTable) => Promise<T>): Promise<T> {
    const locks: LockManager | undefined = (globalThis as { navigator?: Navigator }).navigator?.locks;
    const run = async (): Promise<T> => {
      const file = await this.file();
      const t = LinkTable.parse(file ? await file.text() : '');
      const was = t.text();
      const out = await f(t);
      if (t.text() !== was) await this.write(t, keyOf(file));
      return out;
    };
    return locks ? (locks.request(this.lock, run) as Promise<T>) : run();
  }

  private async write(t: LinkTable, was: string): Promise<void> {
    const h = this.handle ?? (this.handle = await this.top.getFileHandle(LINKS, { create: true }));
    // Readers see a change by the file's time and size: if both came out as before (one
    // millisecond), write again once the clock has moved.
    for (let i = 0; ; i++) {
      const w = await h.createWritable();
      try {
        await w.write(t.text());
        await w.close();
      } catch (e) {
        await w.abort().catch(() => {});
        throw e;
      }
      const key = keyOf(await h.getFile());
      if (key !== was || i === 3) { this.cached = { key, table: t }; return; }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/** Refuse LINKS as a name at the top of a directory. */
export function notReserved(atTop: boolean, name: string): void {
  if (atTop && name === LINKS) throw new FsError('not-permitted', `"${LINKS}" is where this directory keeps its links`);
}
