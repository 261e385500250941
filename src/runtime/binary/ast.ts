// The typed description of a component binary, in the order of Binary.md. It holds indices
// into the component's index spaces; resolving them is instantiate.ts's work.

export type CoreSort = 'core-func' | 'core-table' | 'core-memory' | 'core-global' | 'core-type' |
  'core-module' | 'core-instance' | 'core-tag';
export type Sort = CoreSort | 'func' | 'value' | 'type' | 'component' | 'instance';

export type PrimName = 'bool' | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64' |
  'f32' | 'f64' | 'char' | 'string' | 'error-context';

/** A value type as written: a primitive, or an index into the type index space. */
export type ValTypeRef = { prim: PrimName } | { idx: number };

export type DefValType =
  | { k: 'prim'; prim: PrimName }
  | { k: 'record'; fields: { name: string; t: ValTypeRef }[] }
  | { k: 'variant'; cases: { name: string; t: ValTypeRef | null }[] }
  | { k: 'list'; t: ValTypeRef; len?: number }
  | { k: 'tuple'; ts: ValTypeRef[] }
  | { k: 'flags'; names: string[] }
  | { k: 'enum'; names: string[] }
  | { k: 'option'; t: ValTypeRef }
  | { k: 'result'; ok: ValTypeRef | null; err: ValTypeRef | null }
  | { k: 'own'; idx: number }
  | { k: 'borrow'; idx: number }
  | { k: 'stream'; t: ValTypeRef | null }
  | { k: 'future'; t: ValTypeRef | null }
  | { k: 'map'; key: ValTypeRef; value: ValTypeRef };

export interface FuncTypeDef {
  k: 'func';
  async: boolean;
  params: { name: string; t: ValTypeRef }[];
  result: ValTypeRef | null;
}

export type TypeDef =
  | DefValType
  | FuncTypeDef
  | { k: 'component'; decls: Decl[] }
  | { k: 'instance'; decls: Decl[] }
  | { k: 'resource'; dtor: number | null; callback: number | null; async: boolean };

export type TypeBound = { eq: number } | { subResource: true };

export type ExternDesc =
  | { sort: 'core-module'; type: number }
  | { sort: 'func'; type: number }
  | { sort: 'value'; t: ValTypeRef }
  | { sort: 'type'; bound: TypeBound }
  | { sort: 'instance'; type: number }
  | { sort: 'component'; type: number };

export type AliasTarget =
  | { kind: 'export'; instance: number; name: string }
  | { kind: 'core-export'; instance: number; name: string }
  | { kind: 'outer'; count: number; idx: number };

export interface Alias { sort: Sort; target: AliasTarget }

/** An extern name's attribute (Binary.md `0x02` names): 0x00 implements, 0x02 external-id. */
export interface NameAttr { tag: number; value: string }

/** Declarations inside component and instance types. */
export type Decl =
  | { kind: 'core-type'; type: CoreTypeDef }
  | { kind: 'type'; type: TypeDef }
  | { kind: 'alias'; alias: Alias }
  | { kind: 'import'; name: string; attrs?: NameAttr[]; desc: ExternDesc }
  | { kind: 'export'; name: string; attrs?: NameAttr[]; desc: ExternDesc };

export type CoreValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | 'ref';
export type CoreTypeDef =
  | { k: 'func'; params: CoreValType[]; results: CoreValType[] }
  | { k: 'module'; decls: ModuleDecl[] };

/** A core import or export description, as written in a module type. */
export type CoreExternDesc =
  | { k: 'func'; type: number }
  | { k: 'table'; elem: CoreValType; min: number; max: number | null }
  | { k: 'memory'; min: number; max: number | null; shared: boolean; mem64: boolean }
  | { k: 'global'; t: CoreValType; mut: boolean }
  | { k: 'tag'; type: number };

export type ModuleDecl =
  | { k: 'import'; module: string; name: string; desc: CoreExternDesc }
  | { k: 'type'; type: CoreTypeDef }
  | { k: 'alias'; count: number; idx: number }
  | { k: 'export'; name: string; desc: CoreExternDesc };

export type StringEncoding = 'utf8' | 'utf16' | 'latin1+utf16';
export interface CanonOpts {
  stringEncoding?: StringEncoding;
  memory?: number;
  realloc?: number;
  postReturn?: number;
  async?: boolean;
  callback?: number;
  /** Options given more than once (the first counts): a validation error, kept to report. */
  repeated?: string[];
}

export type Canon =
  | { op: 'lift'; func: number; opts: CanonOpts; type: number }
  | { op: 'lower'; func: number; opts: CanonOpts }
  | { op: 'resource.new' | 'resource.drop' | 'resource.rep'; type: number; async?: boolean }
  | { op: 'task.return'; result: ValTypeRef | null; opts: CanonOpts }
  | { op: 'task.cancel' | 'subtask.drop' | 'waitable-set.new' | 'waitable-set.drop' | 'waitable.join' |
      'backpressure.inc' | 'backpressure.dec' | 'backpressure.set' | 'error-context.drop' | 'thread.index' }
  | { op: 'context.get' | 'context.set'; i: number }
  | { op: 'thread.yield'; cancellable: boolean }
  | { op: 'subtask.cancel'; async: boolean }
  | { op: 'stream.new' | 'stream.drop-readable' | 'stream.drop-writable' |
      'future.new' | 'future.drop-readable' | 'future.drop-writable'; type: number }
  | { op: 'stream.read' | 'stream.write' | 'future.read' | 'future.write'; type: number; opts: CanonOpts }
  | { op: 'stream.cancel-read' | 'stream.cancel-write' | 'future.cancel-read' | 'future.cancel-write';
      type: number; async: boolean }
  | { op: 'error-context.new' | 'error-context.debug-message'; opts: CanonOpts }
  | { op: 'waitable-set.wait' | 'waitable-set.poll'; cancellable: boolean; memory: number }
  | { op: 'gated'; name: string };

export type CoreInstanceExpr =
  | { kind: 'instantiate'; module: number; args: { name: string; instance: number }[] }
  | { kind: 'exports'; exports: { name: string; sort: CoreSort; idx: number }[] };

export type InstanceExpr =
  | { kind: 'instantiate'; component: number; args: { name: string; sort: Sort; idx: number }[] }
  | { kind: 'exports'; exports: { name: string; attrs?: NameAttr[]; sort: Sort; idx: number }[] };

/** One definition, in binary order; each appends to one index space (or none). */
export type Definition =
  | { kind: 'core-module'; bytes: Uint8Array; offset: number }
  | { kind: 'core-instance'; expr: CoreInstanceExpr }
  | { kind: 'core-type'; type: CoreTypeDef }
  | { kind: 'component'; component: ComponentAst }
  | { kind: 'instance'; expr: InstanceExpr }
  | { kind: 'alias'; alias: Alias }
  | { kind: 'type'; type: TypeDef }
  | { kind: 'canon'; canon: Canon }
  | { kind: 'start'; func: number; args: number[]; results: number }
  | { kind: 'import'; name: string; attrs?: NameAttr[]; desc: ExternDesc }
  | { kind: 'export'; name: string; attrs?: NameAttr[]; sort: Sort; idx: number; desc: ExternDesc | null };

export interface ComponentAst {
  definitions: Definition[];
  /** Byte offset of each definition, for error messages. */
  offsets: number[];
}
