// Table State (CanonicalABI.md): per-instance handle tables. Index 0 is never used.
import { trap, trapIf } from '../errors.js';

export const MAX_TABLE_LENGTH = 2 ** 28 - 1;

export class Table<T> {
  private array: (T | undefined)[] = [undefined];
  private free: number[] = [];

  get(i: number): T {
    const e = i < this.array.length ? this.array[i] : undefined;
    if (e === undefined) trap(`unknown handle index ${i >>> 0}`);
    return e as T;
  }

  /** The element at i, or undefined; never traps. */
  peek(i: number): T | undefined {
    return this.array[i];
  }

  add(e: T): number {
    const i = this.free.pop();
    if (i !== undefined) {
      this.array[i] = e;
      return i;
    }
    const n = this.array.length;
    trapIf(n > MAX_TABLE_LENGTH, 'handle table full');
    this.array.push(e);
    return n;
  }

  remove(i: number): T {
    const e = this.get(i);
    this.array[i] = undefined;
    this.free.push(i);
    return e;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const e of this.array) if (e !== undefined) yield e;
  }
}
