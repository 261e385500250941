// A reader for the Component Model's .wast test scripts: top-level commands, with each
// component's source text kept so wasm-tools can build it.

/** @typedef {{ t: 'list', items: Node[], start: number, end: number } | { t: 'atom', v: string, start: number, end: number } | { t: 'str', v: Uint8Array, start: number, end: number }} Node */

/** Tokenize and parse s-expressions, keeping byte spans. */
export function parseSexprs(src) {
  let i = 0;
  const n = src.length;
  const skip = () => {
    for (;;) {
      while (i < n && /\s/.test(src[i])) i++;
      if (src.startsWith(';;', i)) { while (i < n && src[i] !== '\n') i++; continue; }
      if (src.startsWith('(;', i)) {
        let depth = 1; i += 2;
        while (i < n && depth > 0) {
          if (src.startsWith('(;', i)) { depth++; i += 2; } else if (src.startsWith(';)', i)) { depth--; i += 2; } else i++;
        }
        continue;
      }
      break;
    }
  };
  const readString = () => {
    const start = i;
    i++; // opening quote
    const bytes = [];
    const enc = new TextEncoder();
    while (i < n && src[i] !== '"') {
      if (src[i] === '\\') {
        const c = src[i + 1];
        if (/[0-9a-fA-F]/.test(c) && /[0-9a-fA-F]/.test(src[i + 2])) { bytes.push(parseInt(src.slice(i + 1, i + 3), 16)); i += 3; continue; }
        const simple = { n: 10, t: 9, r: 13, '"': 34, "'": 39, '\\': 92 }[c];
        if (simple !== undefined) { bytes.push(simple); i += 2; continue; }
        if (c === 'u') {
          const close = src.indexOf('}', i);
          const cp = parseInt(src.slice(i + 3, close), 16);
          bytes.push(...enc.encode(String.fromCodePoint(cp)));
          i = close + 1;
          continue;
        }
        throw new Error(`bad escape at ${i}`);
      }
      const cp = src.codePointAt(i);
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length;
    }
    i++;
    return { t: 'str', v: new Uint8Array(bytes), start, end: i };
  };
  const readNode = () => {
    skip();
    if (src[i] === '(') {
      const start = i++;
      const items = [];
      for (;;) {
        skip();
        if (i >= n) throw new Error('unclosed (');
        if (src[i] === ')') { i++; break; }
        items.push(readNode());
      }
      return { t: 'list', items, start, end: i };
    }
    if (src[i] === '"') return readString();
    const start = i;
    while (i < n && !/[\s()";]/.test(src[i])) i++;
    return { t: 'atom', v: src.slice(start, i), start, end: i };
  };
  const out = [];
  for (;;) {
    skip();
    if (i >= n) break;
    out.push(readNode());
  }
  return out;
}

const head = (node) => (node.t === 'list' && node.items[0]?.t === 'atom' ? node.items[0].v : null);
const dec = new TextDecoder();

/** A component form -> { name, definition, source: {text}|{binary}|{quote} }. */
function componentForm(node, src) {
  const items = node.items;
  let k = 1;
  let name = null;
  let definition = false;
  for (; k < items.length && items[k].t === 'atom'; k++) {
    const v = items[k].v;
    if (v === 'definition') definition = true;
    else if (v.startsWith('$')) name = v;
    else if (v === 'binary' || v === 'quote') break;
  }
  const kw = items[k]?.t === 'atom' ? items[k].v : null;
  if (kw === 'binary') {
    const parts = items.slice(k + 1).map((s) => s.v);
    const len = parts.reduce((a, p) => a + p.length, 0);
    const bytes = new Uint8Array(len);
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    return { name, definition, source: { binary: bytes } };
  }
  if (kw === 'quote') {
    const text = items.slice(k + 1).map((s) => dec.decode(s.v)).join(' ');
    return { name, definition, source: { text: `(component ${text})` } };
  }
  // Rebuild the text without the wast-only `definition` keyword, keeping the name: outer
  // aliases inside may refer to it (`(alias outer $Top $M ...)`).
  const bodyStart = items[k] ? items[k].start : node.end - 1;
  return { name, definition, source: { text: `(component ${name ?? ''} ${src.slice(bodyStart, node.end - 1)})` } };
}

/** A WAST value: { type, value } for scalars, nested for compounds. */
function readValues(items, from) {
  const out = [];
  let k = from;
  while (k < items.length) {
    const it = items[k];
    if (it.t === 'list') { out.push(valueOf(it.items)); k++; continue; }
    if (it.t === 'atom' && /\.(const)$|^option\.|^result\./.test(it.v)) {
      // bare form: `u8.const 0`; a bare compound (`list.const (u32.const 1) (u32.const 2)`, as
      // a record field's value) takes the rest of the form
      const kw = it.v;
      const compound = /^(list|tuple|record|flags|variant)\.const$/.test(kw);
      const argc = kw === 'option.none' ? 0 : compound ? items.length - k - 1 : 1;
      out.push(valueOf(items.slice(k, k + 1 + argc)));
      k += 1 + argc;
      continue;
    }
    k++;
  }
  return out;
}

function valueOf(items) {
  const kw = items[0].v;
  const arg = (j) => items[j];
  const scalar = (j) => (arg(j).t === 'str' ? dec.decode(arg(j).v) : arg(j).v);
  switch (kw) {
    case 'bool.const': return { k: 'bool', v: scalar(1) === 'true' };
    case 'u8.const': case 'u16.const': case 'u32.const': case 's8.const': case 's16.const': case 's32.const':
    case 'u64.const': case 's64.const': case 'f32.const': case 'f64.const':
      return { k: kw.split('.')[0], v: scalar(1) };
    case 'char.const': return { k: 'char', v: scalar(1) };
    case 'str.const': return { k: 'string', v: scalar(1) };
    case 'enum.const': return { k: 'enum', v: scalar(1) };
    case 'list.const': return { k: 'list', v: readValues(items, 1) };
    case 'tuple.const': return { k: 'tuple', v: readValues(items, 1) };
    case 'record.const': return {
      k: 'record',
      v: items.slice(1).filter((f) => f.t === 'list').map((f) => ({ name: dec.decode(f.items[1].v), value: readValues(f.items, 2)[0] })),
    };
    case 'variant.const': { const vs = readValues(items, 2); return { k: 'variant', tag: scalar(1), v: vs[0] ?? null }; }
    case 'flags.const': return { k: 'flags', v: items.slice(1).map((s) => dec.decode(s.v)) };
    case 'option.none': return { k: 'option', v: null };
    case 'option.some': return { k: 'option', v: readValues(items, 1)[0] };
    case 'result.ok': return { k: 'result', tag: 'ok', v: readValues(items, 1)[0] ?? null };
    case 'result.err': return { k: 'result', tag: 'err', v: readValues(items, 1)[0] ?? null };
  }
  throw new Error(`unsupported wast value ${kw}`);
}

function invokeOf(node) {
  const items = node.items;
  let k = 1;
  let instance = null;
  if (items[k].t === 'atom') instance = items[k++].v;
  const name = dec.decode(items[k].v);
  return { instance, name, args: readValues(items, k + 1) };
}

/** Parse a .wast file into commands. Components keep their source for building. */
export function parseWast(src) {
  const cmds = [];
  for (const node of parseSexprs(src)) {
    const h = head(node);
    const line = src.slice(0, node.start).split('\n').length;
    const str = (j) => (node.items[j]?.t === 'str' ? dec.decode(node.items[j].v) : '');
    switch (h) {
      case 'component': {
        if (node.items[1]?.t === 'atom' && node.items[1].v === 'instance') {
          cmds.push({ kind: 'instance', line, name: node.items[2].v, of: node.items[3].v });
        } else cmds.push({ kind: 'component', line, ...componentForm(node, src) });
        break;
      }
      case 'invoke': cmds.push({ kind: 'invoke', line, invoke: invokeOf(node) }); break;
      case 'assert_return': cmds.push({ kind: 'assert_return', line, invoke: invokeOf(node.items[1]), expected: readValues(node.items, 2) }); break;
      case 'assert_trap': {
        const target = node.items[1];
        if (head(target) === 'invoke') cmds.push({ kind: 'assert_trap', line, invoke: invokeOf(target), message: str(2) });
        else cmds.push({ kind: 'assert_trap_instantiate', line, component: componentForm(target, src), message: str(2) });
        break;
      }
      case 'assert_invalid': case 'assert_malformed': case 'assert_unlinkable':
        cmds.push({ kind: h, line, component: componentForm(node.items[1], src), message: str(2) });
        break;
      case 'register': cmds.push({ kind: 'register', line, as: str(1), name: node.items[2]?.v ?? null }); break;
      default: cmds.push({ kind: 'unsupported', line, what: h });
    }
  }
  return cmds;
}
