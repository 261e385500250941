// A cursor over component bytes. Every decode error carries the byte offset where it happened.

/** A malformed component binary: the message names what was expected and `offset` where. */
export class MalformedError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte offset ${offset})`);
    this.name = 'MalformedError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  get done(): boolean { return this.pos >= this.end; }

  fail(message: string, at = this.pos): never {
    throw new MalformedError(message, at);
  }

  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end-of-file');
    return this.bytes[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('unexpected end-of-file');
    return this.bytes[this.pos]!;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    const start = this.pos;
    for (;;) {
      const b = this.byte();
      if (shift === 28 && (b & 0x70) !== 0) this.fail('integer too large', start);
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) this.fail('integer representation too long', start);
    }
    return result >>> 0;
  }

  /** A signed LEB128 of at most 33 bits, as used for value types and type indices. */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    const start = this.pos;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 35) this.fail('integer representation too long', start);
    } while (b & 0x80);
    if (shift < 33 && b & 0x40) result -= 2 ** shift;
    return result;
  }

  bytesN(n: number): Uint8Array {
    if (this.pos + n > this.end) this.fail('unexpected end-of-file');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  name(): string {
    const len = this.u32();
    const at = this.pos;
    const b = this.bytesN(len);
    try {
      return utf8.decode(b);
    } catch {
      this.fail('malformed UTF-8 encoding', at);
    }
  }

  vec<T>(item: (r: Reader) => T): T[] {
    const n = this.u32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }

  /** A sub-reader over the next n bytes, which this reader skips. */
  sub(n: number): Reader {
    if (this.pos + n > this.end) this.fail('unexpected end-of-file');
    const r = new Reader(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}
