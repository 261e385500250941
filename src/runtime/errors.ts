// The errors the runtime raises. Messages follow the wording of the spec's tests (which follow
// wasmtime) so a reader can grep the .wast files for them.

/** A trap: the component did something the Component Model forbids. It poisons its store. */
export class Trap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Trap';
  }
}

/** A component that fails validation or linking (a bad type, a missing or mistyped import). */
export class LinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkError';
  }
}

/** A component that breaks a validation rule of Binary.md / Explainer.md: the message names the
 * rule, `offset` is the byte offset of the definition that breaks it. */
export class ValidationError extends LinkError {
  constructor(readonly rule: string, readonly offset: number) {
    super(`invalid component: ${rule} (at byte offset ${offset})`);
    this.name = 'ValidationError';
  }
}

export function trap(message: string): never {
  throw new Trap(message);
}

/** Trap when cond holds. For constant messages only: a template literal argument would be
 * built on every call, on paths as hot as a stream write; write `if (cond) trap(...)`. */
export function trapIf(cond: boolean, message: string): void {
  if (cond) throw new Trap(message);
}

/** Turn whatever a core wasm call threw into a Trap with a readable message. */
export function asTrap(e: unknown): Trap {
  if (e instanceof Trap) return e;
  if (e instanceof WebAssembly.RuntimeError) {
    const m = e.message === 'unreachable' ? 'wasm `unreachable` instruction executed' : e.message;
    const t = new Trap(`wasm trap: ${m}`);
    t.stack = `${t.name}: ${t.message}\n${(e.stack ?? '').split('\n').slice(1).join('\n')}`;
    return t;
  }
  if (e instanceof Error) {
    const t = new Trap(e.message);
    t.stack = e.stack;
    return t;
  }
  return new Trap(String(e));
}
