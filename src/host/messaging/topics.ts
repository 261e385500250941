// Topic names and patterns for wasi:messaging@0.2.0-draft (NATS-style subjects).
// A topic is segments joined by '.': `orders.eu.new`. Each segment is non-empty and has no
// whitespace, control character, '*' or '>'. A pattern may use `*` for exactly one segment and
// `>` (last only) for one or more remaining segments: `orders.*` matches `orders.eu` but not
// `orders.eu.new`; `orders.>` matches both. At most 255 UTF-16 units and 32 segments.

/** The longest topic or pattern, in UTF-16 code units. */
export const MAX_TOPIC_LENGTH = 255;
/** The most segments in a topic or pattern. */
export const MAX_SEGMENTS = 32;

// eslint-disable-next-line no-control-regex
const BAD_CHAR = /[\s\u0000-\u001f\u007f*>]/u;

/** Why `name` is not a valid topic (or, with `pattern`, a valid pattern); null when it is. */
export function topicProblem(name: unknown, pattern = false): string | null {
  if (typeof name !== 'string') return 'a topic must be a string';
  if (name.length === 0) return 'a topic may not be empty';
  if (name.length > MAX_TOPIC_LENGTH) return `a topic is at most ${MAX_TOPIC_LENGTH} characters`;
  const segs = name.split('.');
  if (segs.length > MAX_SEGMENTS) return `a topic has at most ${MAX_SEGMENTS} segments`;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.length === 0) return 'a topic may not have an empty segment (no leading, trailing or double dots)';
    if (pattern && s === '*') continue;
    if (pattern && s === '>') {
      if (i !== segs.length - 1) return "'>' may only be the last segment";
      continue;
    }
    if (BAD_CHAR.test(s)) {
      return pattern
        ? "a segment may not contain whitespace or control characters, and '*' and '>' must be whole segments"
        : "a topic may not contain whitespace, control characters, '*' or '>' (wildcards are for subscriptions)";
    }
  }
  return null;
}

/** A topic, checked: throws a TypeError saying what is wrong. */
export function checkTopic(name: unknown): string {
  const p = topicProblem(name);
  if (p) throw new TypeError(`invalid topic ${JSON.stringify(name)}: ${p}`);
  return name as string;
}

/** A pattern, checked: throws a TypeError saying what is wrong. */
export function checkPattern(name: unknown): string {
  const p = topicProblem(name, true);
  if (p) throw new TypeError(`invalid topic pattern ${JSON.stringify(name)}: ${p}`);
  return name as string;
}

/** A compiled pattern: match(topic) says whether the topic is covered. */
export interface Pattern { readonly source: string; match(topic: string): boolean }

/** Compile a pattern (already checked). */
export function compilePattern(source: string): Pattern {
  const segs = source.split('.');
  if (!segs.includes('*') && !segs.includes('>')) return { source, match: (t) => t === source };
  return {
    source,
    match(topic) {
      const ts = topic.split('.');
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i]!;
        if (s === '>') return ts.length > i;
        if (i >= ts.length) return false;
        if (s !== '*' && s !== ts[i]) return false;
      }
      return ts.length === segs.length;
    },
  };
}

/** A set of patterns: whether any covers a topic (answers are cached per topic). */
export class PatternSet {
  private readonly compiled: Pattern[];
  private readonly cache = new Map<string, boolean>();

  constructor(readonly sources: readonly string[]) {
    this.compiled = sources.map(compilePattern);
  }

  get empty(): boolean { return this.compiled.length === 0; }

  match(topic: string): boolean {
    let r = this.cache.get(topic);
    if (r === undefined) {
      r = this.compiled.some((p) => p.match(topic));
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(topic, r);
    }
    return r;
  }
}
