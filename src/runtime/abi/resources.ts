// Resource State (CanonicalABI.md): handles in an instance's table.
import { trap } from '../errors.js';
import type { ResourceType } from '../types.js';
import type { Task } from '../concurrency/store.js';

export class ResourceHandle {
  numLends = 0;
  constructor(
    readonly rt: ResourceType,
    readonly rep: number,
    readonly own: boolean,
    readonly borrowScope: Task | null = null,
  ) {}
}

/** The trap for a handle of the wrong kind or resource type (the spec tests' wording). */
export function wrongHandleType(i: number, want: ResourceType, h: unknown): never {
  const kind = (rt: ResourceType) => (rt.impl === null ? 'host-defined resource' : 'guest-defined resource');
  const found = h instanceof ResourceHandle
    ? (h.rt.impl === null) === (want.impl === null) ? `a different ${kind(h.rt)}` : kind(h.rt)
    : 'a handle that is not a resource';
  return trap(`handle index ${i >>> 0} used with the wrong type, expected ${kind(want)} but found ${found}`);
}

/** Check that h is a resource handle of type rt. */
export function checkResourceHandle(i: number, h: unknown, rt: ResourceType): ResourceHandle {
  if (!(h instanceof ResourceHandle) || h.rt !== rt) wrongHandleType(i, rt, h);
  return h as ResourceHandle;
}

export const BORROWED_OWN = 'cannot remove owned resource while borrowed';
