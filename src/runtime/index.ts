// The runtime's embedding API: what workers and host packages import. Nothing outside
// src/runtime/ reaches into its rooms.
import { asTrap } from './errors.js';
import { Store } from './concurrency/store.js';
import { BOUNDARY } from './boundary.js';
import {
  compileComponent, instantiate, type CompiledComponent, type FuncEntry, type HostImports, type InstanceValue, type Item,
} from './instantiate.js';

export { Trap, LinkError, ValidationError } from './errors.js';
export { validateComponent } from './validate/index.js';
export { MalformedError } from './binary/reader.js';
export { isComponent, decodeComponent } from './binary/decode.js';
export { componentInterface } from './validate/index.js';
export { compileComponent, type CompiledComponent, type FuncEntry, type HostImports, type InstanceValue, type Item };
export { Store } from './concurrency/store.js';
export { StreamReader, StreamWriter, FutureReader, createHostStream, onDrop, pushInto, type PipeOptions, type PushSource } from './concurrency/host-ends.js';
export { GuestResource } from './abi/host-resources.js';
export { borrowsBytes, neverSuspends, throwsErrors } from './canon.js';
export { prim, typeToString, funcTypeToString, type FuncType, type ValType } from './types.js';

export interface InstantiateOptions {
  /** Trap when no thread can run, a call is pending and no host work is in flight (for tests). */
  detectDeadlock?: boolean;
}

/** A live component instance: its exports, and calls into them. */
export class Instance {
  constructor(readonly exports: InstanceValue, readonly store: Store) {}

  /** The function at a path of export names, e.g. ['wasi:cli/run@0.3.0', 'run'] or ['add']. */
  func(path: string | string[]): FuncEntry {
    const names = typeof path === 'string' ? [path] : path;
    let items: InstanceValue = this.exports;
    for (let k = 0; k < names.length; k++) {
      const item = items.get(names[k]!);
      if (!item) throw new Error(`no export named "${names.slice(0, k + 1).join('/')}"`);
      if (k === names.length - 1) {
        if (item.sort !== 'func') throw new Error(`export "${names.join('/')}" is a ${item.sort}, not a function`);
        return item.f;
      }
      if (item.sort !== 'instance') throw new Error(`export "${names.slice(0, k + 1).join('/')}" is not an instance`);
      items = item.i;
    }
    throw new Error('empty export path');
  }

  /** Call an exported function with JS values; resolves with its result. */
  call(path: string | string[], ...args: unknown[]): Promise<unknown> {
    return invoke(this.store, this.func(path), args);
  }

  /** call(), resolving with { value: result }: a future result (a FutureReader, which is
   * thenable) then arrives as itself rather than as its value. */
  callBoxed(path: string | string[], ...args: unknown[]): Promise<{ value: unknown }> {
    return invoke(this.store, this.func(path), args, true) as Promise<{ value: unknown }>;
  }

  /** An exported function as a plain JS function (jco-style): synchronous for a function that can
   * never block (see callSync), Promise-returning otherwise. */
  bind(path: string | string[]): (...args: unknown[]) => unknown {
    const f = this.func(path);
    const store = this.store;
    const inline = f.inline;
    if (inline) {
      return (...args: unknown[]) => {
        if (!store.idle()) throw new Error(`the component is busy: call ${names(path)} with call()`);
        return inline(args);
      };
    }
    return (...args: unknown[]) => invoke(store, f, args);
  }

  /** Call a function that can never block (sync-typed, sync-lifted, in an instance that
   * imports nothing that suspends) synchronously; throws if it could block or the store is busy. */
  callSync(path: string | string[], ...args: unknown[]): unknown {
    const f = this.func(path);
    if (!f.inline) throw new Error(`${names(path)} may block: call it with call()`);
    if (!this.store.idle()) throw new Error(`the component is busy: call ${names(path)} with call()`);
    if (this.store.trapped) throw this.store.poisoned();
    return f.inline(args);
  }
}

const names = (p: string | string[]) => (typeof p === 'string' ? p : p.join('/'));

/** The names a component imports (its top-level imports), in its order. */
export function importNames(c: CompiledComponent): string[] {
  return c.ast.definitions.flatMap((d) => (d.kind === 'import' ? [d.name] : []));
}

/** Compile (if given bytes) and instantiate a component with host imports. */
export async function instantiateComponent(component: Uint8Array | CompiledComponent, imports: HostImports = {},
  options: InstantiateOptions = {}): Promise<Instance> {
  const compiled = component instanceof Uint8Array ? await compileComponent(component) : component;
  const store = new Store(BOUNDARY);
  store.detectDeadlock = options.detectDeadlock ?? false;
  const { exports } = await instantiate(compiled, imports, store);
  return new Instance(exports, store);
}

/** Call a component function from the host (the spec's Store.invoke). */
export function invoke(store: Store, f: FuncEntry, args: unknown[], boxed = false): Promise<unknown> {
  if (args.length !== f.ft.params.length) {
    return Promise.reject(new TypeError(`${f.name} takes ${f.ft.params.length} argument(s), given ${args.length}`));
  }
  if (f.inline && store.idle()) {
    try {
      const v = f.inline(args);
      return Promise.resolve(boxed ? { value: v } : v);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return store.enter<unknown>(async (resolve, reject) => {
    // A result that arrives while the callee still runs (a sync lift's post-return may yet
    // trap) is held until the callee first hands control back.
    let started = false;
    let early: unknown[] | null | undefined;
    const settle = (r: unknown[] | null) => {
      if (r === null) reject(new Error('the call was cancelled'));
      else {
        const v = f.ft.result ? r[0] : undefined;
        resolve(boxed ? { value: v } : v);
      }
    };
    try {
      await f.fn(() => args, (r) => { if (started) settle(r); else early = r; }, null);
      started = true;
      if (store.trapped) throw store.trapped;
      if (early !== undefined) settle(early);
    } catch (e) {
      const t = asTrap(e);
      store.fail(t);
      reject(t);
    }
  });
}
