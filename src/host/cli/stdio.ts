// wasi:cli/stdin, stdout and stderr @0.3.0. Output streams are drained into the state's outputs
// in chunks, with a read always pending so a guest's write completes at once.
import { neverSuspends, type StreamReader } from '../../runtime/index.js';
import { ReaderGone, type ComponentState, type Output } from '../state.js';

type IoResult = { tag: 'ok' } | { tag: 'err'; val: 'io' | 'illegal-byte-sequence' | 'pipe' };

/** write-via-stream: the returned future resolves once the stream has ended and been written;
 * if the page stops reading, the guest's stream is dropped (its next write sees DROPPED) and
 * the future says `pipe`. */
function writer(out: Output) {
  return neverSuspends({
    writeViaStream: (data: StreamReader): Promise<IoResult> =>
      data.pipe((c) => out.write(c as Uint8Array), { buffer: out.buffer, chunkSize: 1 << 20, coalesce: true, holds: out.holds })
        .then(() => ({ tag: 'ok' as const }), (e: unknown) => ({ tag: 'err' as const, val: e instanceof ReaderGone ? 'pipe' as const : 'io' as const })),
  });
}

export function stdout(state: ComponentState) { return writer(state.stdout); }
export function stderr(state: ComponentState) { return writer(state.stderr); }

/** The most bytes one stdin chunk carries to the guest. */
const STDIN_CHUNK = 1 << 16;

export function stdin(state: ComponentState) {
  return neverSuspends({
    /** Bytes from the state's stdin, shared with WASI 0.2's stdin: each byte is read once. */
    readViaStream: (): [ReadableStream<Uint8Array>, Promise<IoResult>] => {
      let done!: (r: IoResult) => void;
      const result = new Promise<IoResult>((r) => { done = r; });
      const counted = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          const bytes = await state.stdin.read(STDIN_CHUNK);
          if (bytes === null) { ctrl.close(); done({ tag: 'ok' }); } else ctrl.enqueue(bytes.slice());
        },
        // The guest dropped its stdin: the page's source is told (and read no further).
        cancel() { state.stdin.cancel(); done({ tag: 'ok' }); },
      }, { highWaterMark: 0 });
      return [counted, result];
    },
  });
}
