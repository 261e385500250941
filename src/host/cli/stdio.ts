// wasi:cli/stdin, stdout and stderr @0.3.0. Output streams are drained into the context's sinks
// in chunks, with a read always pending so a guest's write completes at once.
import { neverSuspends, type StreamReader } from '../../runtime/index.js';
import { ReaderGone, type ByteSink, type HostContext } from '../context.js';

type IoResult = { tag: 'ok' } | { tag: 'err'; val: 'io' | 'illegal-byte-sequence' | 'pipe' };

/** write-via-stream: the returned future resolves once the stream has ended and been written;
 * if the page stops reading, the guest's stream is dropped (its next write sees DROPPED) and
 * the future says `pipe`. */
function writer(sink: () => ByteSink) {
  return neverSuspends({
    writeViaStream: (data: StreamReader): Promise<IoResult> => {
      const s = sink();
      return data.pipe((c) => s.write(c as Uint8Array), { buffer: s.buffer && (() => s.buffer!()), chunkSize: 1 << 20, coalesce: true })
        .then(() => ({ tag: 'ok' as const }), (e: unknown) => ({ tag: 'err' as const, val: e instanceof ReaderGone ? 'pipe' as const : 'io' as const }));
    },
  });
}

export function stdout(ctx: HostContext) { return writer(() => ctx.stdout); }
export function stderr(ctx: HostContext) { return writer(() => ctx.stderr); }

export function stdin(ctx: HostContext) {
  return neverSuspends({
    /** The first call gets the context's stdin; later calls get an empty stream. */
    readViaStream: (): [ReadableStream<Uint8Array>, Promise<IoResult>] => {
      const source = ctx.stdin ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      ctx.stdin = null;
      let done!: (r: IoResult) => void;
      const result = new Promise<IoResult>((r) => { done = r; });
      const reader = source.getReader();
      const counted = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          try {
            const { done: end, value } = await reader.read();
            if (end) { ctrl.close(); done({ tag: 'ok' }); } else ctrl.enqueue(value);
          } catch {
            ctrl.close();
            done({ tag: 'err', val: 'io' });
          }
        },
        cancel() { void reader.cancel(); done({ tag: 'ok' }); },
      }, { highWaterMark: 0 });
      return [counted, result];
    },
  });
}
