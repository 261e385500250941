// wasip3-web/vite: the Vite plugin. `import app from './app.wasm?component'` emits the component
// as an asset and gives its URL, which loadComponent(app) accepts; the component worker is
// emitted by Vite itself (the page API starts it with the `new Worker(new URL(...))` form);
// changing the .wasm under `vite dev` reloads the page. Runs in Node, in Vite's config.
import type { Plugin } from 'vite';

/** Options of the plugin. */
export interface Wasip3WebPluginOptions {
  /** Write `<file>.wasm.d.ts` beside each imported component, typing its exports (default true). */
  types?: boolean;
}

const QUERY = '?component';

/** The Vite plugin for wasip3-web: `.wasm?component` imports and the component worker. */
export default function wasip3Web(options: Wasip3WebPluginOptions = {}): Plugin {
  const components = new Set<string>();
  return {
    name: 'wasip3-web',
    enforce: 'pre',
    // Pre-bundling would move the page API away from its worker file (a relative URL).
    config: () => ({ optimizeDeps: { exclude: ['wasip3-web'] } }),
    async resolveId(id, importer) {
      if (!id.endsWith(QUERY)) return null;
      const r = await this.resolve(id.slice(0, -QUERY.length), importer, { skipSelf: true });
      return r ? `${r.id}${QUERY}` : null;
    },
    async load(id) {
      if (!id.endsWith(QUERY)) return null;
      const file = id.slice(0, -QUERY.length);
      components.add(file);
      this.addWatchFile(file);
      if (options.types !== false) {
        const { writeComponentTypes } = await import('./vite-types.js');
        await writeComponentTypes(file).catch((e: unknown) => this.warn(`no types for ${file}: ${e instanceof Error ? e.message : String(e)}`));
      }
      // Vite's own `?url` emits the file as an asset (hashed in a build) and gives its URL.
      return `import url from ${JSON.stringify(`${file}?url`)};\nexport default url;\n`;
    },
    handleHotUpdate({ file, server }) {
      if (!components.has(file)) return undefined;
      server.ws.send({ type: 'full-reload' });
      return [];
    },
  };
}
