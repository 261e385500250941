// Raw baselines for the wasi:filesystem figures: OPFS's FileSystemSyncAccessHandle itself, in a
// worker (where components run), on the same kind of file: 64 KiB chunks written at increasing
// offsets and flushed, or read into one 64 KiB buffer to the end.
import * as Comlink from 'comlink';

interface SyncHandle { read(b: Uint8Array, o: { at: number }): number; write(b: Uint8Array, o: { at: number }): number; flush(): void; close(): void; truncate(n: number): void }
type FileH = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };

async function file(dir: string, name: string): Promise<FileH> {
  let d = await navigator.storage.getDirectory();
  for (const p of dir.split('/')) d = await d.getDirectoryHandle(p, { create: true });
  return (await d.getFileHandle(name, { create: true })) as FileH;
}

const api = {
  /** Open, truncate, write mib MiB in chunk-byte writes, flush, close; ms taken. */
  async write(dir: string, name: string, mib: number, chunk: number): Promise<number> {
    const buf = new Uint8Array(chunk);
    for (let i = 0; i < chunk; i++) buf[i] = (i * 7 + 1) & 0xff;
    const t0 = performance.now();
    const h = await (await file(dir, name)).createSyncAccessHandle();
    h.truncate(0);
    const total = mib * 1024 * 1024;
    for (let at = 0; at < total; at += chunk) if (h.write(buf, { at }) !== chunk) throw new Error('short write');
    h.flush();
    h.close();
    return performance.now() - t0;
  },
  /** Open, read to the end in chunk-byte reads into one buffer, close; [ms, bytes]. */
  async read(dir: string, name: string, chunk: number): Promise<[number, number]> {
    const buf = new Uint8Array(chunk);
    const t0 = performance.now();
    const h = await (await file(dir, name)).createSyncAccessHandle();
    let at = 0;
    for (;;) { const n = h.read(buf, { at }); if (!n) break; at += n; }
    h.close();
    return [performance.now() - t0, at];
  },
};
export type FsRawApi = typeof api;
Comlink.expose(api);
