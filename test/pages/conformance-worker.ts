// Runs one .wast script's commands (components already built to bytes by the node side)
// through src/runtime in a dedicated worker, as components run in production, and posts each
// command's outcome as it finishes: the page (conformance.ts) can then stop a file that hangs
// by terminating its worker, and still knows how far it got.
import {
  compileComponent, instantiateComponent, invoke, Trap, LinkError, MalformedError,
  type CompiledComponent, type Instance, type ValType,
} from '../../src/runtime/index.ts';

type WastValue = { k: string; v?: unknown; tag?: string };
type Source = { bytes?: string; buildError?: string };
export type Cmd =
  | { kind: 'component'; line: number; name: string | null; definition: boolean; source: Source }
  | { kind: 'instance'; line: number; name: string; of: string }
  | { kind: 'invoke' | 'assert_return' | 'assert_trap'; line: number; invoke: { instance: string | null; name: string; args: WastValue[] }; expected?: WastValue[]; message?: string }
  | { kind: 'assert_invalid' | 'assert_malformed' | 'assert_unlinkable' | 'assert_trap_instantiate'; line: number; component: { source: Source }; message: string }
  | { kind: 'register' | 'unsupported'; line: number; what?: string };

export interface Outcome { line: number; kind: string; ok: boolean; detail?: string; ms?: number }

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

function fromWast(v: WastValue, t: ValType): unknown {
  switch (t.k) {
    case 'bool': return v.v;
    case 'u8': case 'u16': case 'u32': case 's8': case 's16': case 's32': return Number(v.v);
    case 'u64': case 's64': return BigInt(v.v as string);
    case 'f32': case 'f64': return Number(v.v);
    case 'char': case 'string': case 'enum': return v.v;
    case 'list': {
      const items = (v.v as WastValue[]).map((x) => fromWast(x, t.t));
      return t.t.k === 'u8' ? Uint8Array.from(items as number[]) : items;
    }
    case 'tuple': return (v.v as WastValue[]).map((x, i) => fromWast(x, t.ts[i]!));
    // A map is a list of (key, value) tuples in the script: passed as pairs, keeping repeats.
    case 'map': return (v.v as WastValue[]).map((x) => fromWast(x, { k: 'tuple', ts: [t.key, t.value] }));
    case 'record': {
      const o: Record<string, unknown> = {};
      for (const f of v.v as { name: string; value: WastValue }[]) {
        const ft = t.fields.find((x) => x.name === f.name)!;
        o[f.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = fromWast(f.value, ft.t);
      }
      return o;
    }
    case 'variant': {
      const c = t.cases.find((x) => x.name === v.tag)!;
      return c.t ? { tag: v.tag, val: fromWast(v.v as WastValue, c.t) } : { tag: v.tag };
    }
    case 'option': return v.v === null ? undefined : fromWast(v.v as WastValue, t.t);
    case 'result': {
      const u = v.tag === 'ok' ? t.ok : t.err;
      return { tag: v.tag, val: u && v.v ? fromWast(v.v as WastValue, u) : undefined };
    }
    case 'flags': { const o: Record<string, boolean> = {}; for (const n of t.names) o[n] = (v.v as string[]).includes(n); return o; }
  }
  throw new Error(`cannot pass a ${t.k} from a wast script`);
}

function norm(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<unknown>);
  if (Array.isArray(x)) return x.map(norm);
  if (typeof x === 'bigint') return `${x}n`;
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) o[k] = norm(v);
    return o;
  }
  if (typeof x === 'number' && Number.isNaN(x)) return 'NaN';
  return x;
}

const same = (a: unknown, b: unknown) => JSON.stringify(norm(a)) === JSON.stringify(norm(b));

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

const errText = (e: unknown) => {
  if (!(e instanceof Error)) return String(e);
  // Name the wasm functions on the stack: the spec's tests use `unreachable` as their assert.
  const frames = (e.stack ?? '').split('\n').filter((l) => l.includes('wasm')).slice(0, 3).map((l) => l.trim().replace(/^at /, '').replace(/ \(.*\)$/, ''));
  return `${e.name}: ${e.message}${frames.length ? ` [${frames.join(' < ')}]` : ''}`;
};

async function build(src: Source): Promise<CompiledComponent> {
  if (src.buildError !== undefined) throw new MalformedError(`wasm-tools parse: ${src.buildError}`, 0);
  return compileComponent(fromB64(src.bytes!));
}

async function runWast(cmds: Cmd[], report: (m: WorkerMessage) => void): Promise<Outcome[]> {
  const defs = new Map<string, CompiledComponent>();
  const instances = new Map<string, Instance>();
  let current: Instance | null = null;
  const out: Outcome[] = [];
  for (const c of cmds) {
    const o: Outcome = { line: c.line, kind: c.kind, ok: false };
    out.push(o);
    // Tell the page which command runs, so a hang is reported at its line.
    report({ type: 'start', line: c.line, kind: c.kind });
    const t0 = performance.now();
    try {
      switch (c.kind) {
        case 'component': {
          const compiled = await build(c.source);
          if (c.name) defs.set(c.name, compiled);
          if (!c.definition) {
            current = await withTimeout(instantiateComponent(compiled, {}, { detectDeadlock: true }), 10000);
            if (c.name) instances.set(c.name, current);
          }
          o.ok = true;
          break;
        }
        case 'instance': {
          const d = defs.get(c.of);
          if (!d) throw new Error(`no component definition ${c.of}`);
          current = await withTimeout(instantiateComponent(d, {}, { detectDeadlock: true }), 10000);
          instances.set(c.name, current);
          o.ok = true;
          break;
        }
        case 'invoke': case 'assert_return': case 'assert_trap': {
          const inst = c.invoke.instance ? instances.get(c.invoke.instance) : current;
          if (!inst) throw new Error('no instance to invoke');
          const f = inst.func(c.invoke.name);
          const args = c.invoke.args.map((a, i) => fromWast(a, f.ft.params[i]!.t));
          let result: unknown;
          try {
            result = await withTimeout(invoke(inst.store, f, args), 10000);
          } catch (e) {
            if (c.kind === 'assert_trap') {
              const msg = e instanceof Error ? e.message : String(e);
              o.ok = e instanceof Trap && msg.toLowerCase().includes(c.message!.toLowerCase());
              if (!o.ok) o.detail = `expected trap "${c.message}", got ${errText(e)}`;
              break;
            }
            throw e;
          }
          if (c.kind === 'assert_trap') { o.detail = `expected trap "${c.message}", returned ${JSON.stringify(norm(result))}`; break; }
          if (c.kind === 'assert_return') {
            const exp = c.expected!.length ? fromWast(c.expected![0]!, f.ft.result!) : undefined;
            o.ok = same(result, exp);
            if (!o.ok) o.detail = `expected ${JSON.stringify(norm(exp))}, got ${JSON.stringify(norm(result))}`;
          } else o.ok = true;
          break;
        }
        case 'assert_malformed': case 'assert_invalid': case 'assert_unlinkable': case 'assert_trap_instantiate': {
          try {
            const compiled = await build(c.component.source);
            await withTimeout(instantiateComponent(compiled, {}, { detectDeadlock: true }), 10000);
            o.detail = `expected failure "${c.message}", but it instantiated`;
          } catch (e) {
            const want = c.kind === 'assert_malformed' ? e instanceof MalformedError
              : c.kind === 'assert_trap_instantiate' ? e instanceof Trap
              : e instanceof LinkError || e instanceof MalformedError;
            o.ok = want;
            if (!o.ok) o.detail = `expected ${c.kind} "${c.message}", got ${errText(e)}`;
          }
          break;
        }
        default:
          o.detail = `unsupported command ${c.kind}${'what' in c && c.what ? ` (${c.what})` : ''}`;
      }
    } catch (e) {
      o.ok = false;
      o.detail = errText(e);
    }
    o.ms = Math.round(performance.now() - t0);
    report({ type: 'outcome', outcome: o });
  }
  return out;
}

/** Messages to the page: ready (loaded), each command's start and outcome, then done. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'start'; line: number; kind: string }
  | { type: 'outcome'; outcome: Outcome }
  | { type: 'done' }
  | { type: 'error'; message: string };

const post = (m: WorkerMessage) => postMessage(m);
addEventListener('message', (ev: MessageEvent<Cmd[]>) => {
  runWast(ev.data, post).then(
    () => post({ type: 'done' }),
    (e: unknown) => post({ type: 'error', message: errText(e) }),
  );
});
// The page starts a file's time limit only now: loading the runtime's modules is not the file's time.
post({ type: 'ready' });
