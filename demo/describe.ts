// What a component imports and exports, read from its own binary by the runtime's decoder and
// validator (the same reading a load does): names, and each function's WIT-like signature.
import { componentInterface, decodeComponent, funcTypeToString } from '../src/runtime/index.ts';

export interface Described {
  imports: { name: string; funcs: string[] }[];
  exports: { name: string; funcs: string[] }[];
}

type Entities = ReturnType<typeof componentInterface>['imports'];

function list(m: Entities): Described['imports'] {
  return [...m].map(([name, e]) => ({
    name: e.sort === 'instance' || e.sort === 'func' ? name : `${name} (${e.sort})`,
    funcs: e.sort === 'func' ? [funcTypeToString(e.t)]
      : e.sort === 'instance' ? [...e.t.exports].flatMap(([n, x]) => (x.sort === 'func' ? [`${n}: ${funcTypeToString(x.t)}`] : [])) : [],
  }));
}

/** Decode and validate a component's bytes; throws MalformedError or ValidationError. */
export function describeComponent(bytes: Uint8Array): Described {
  const { imports, exports } = componentInterface(decodeComponent(bytes));
  return { imports: list(imports), exports: list(exports) };
}
