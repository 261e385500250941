// JSPI (WebAssembly JavaScript Promise Integration), in Chromium 137+, Firefox 153+, Safari 27+.
declare namespace WebAssembly {
  /** Wrap a wasm export so that calling it returns a Promise and its imports may suspend. */
  function promising(f: (...args: never[]) => unknown): (...args: unknown[]) => Promise<unknown>;
  /** Wrap a JS function so that wasm importing it suspends while its Promise is pending. */
  class Suspending {
    constructor(f: (...args: never[]) => unknown);
  }
}
