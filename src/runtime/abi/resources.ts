// Resource State (CanonicalABI.md): handles in an instance's table.
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
