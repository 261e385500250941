// How resources look on the host side: host-implemented resources are the host's own JS objects
// (a per-type table maps them to reps); guest resources reach the host as GuestResource values.
import { Table } from './table.js';
import type { ResourceType } from '../types.js';
import { trap, trapIf } from '../errors.js';

/** A resource implemented by a component, held by the host (its rep is opaque). */
export class GuestResource {
  constructor(readonly rt: ResourceType, readonly rep: number, readonly own: boolean) {}
}

interface HostReps { table: Table<object>; reps: WeakMap<object, number> }
const HOST = new WeakMap<ResourceType, HostReps>();

function repsOf(rt: ResourceType): HostReps {
  let r = HOST.get(rt);
  if (!r) { r = { table: new Table(), reps: new WeakMap() }; HOST.set(rt, r); }
  return r;
}

/** The rep of a host object of host resource type rt, registering it on first sight. */
export function hostResourceRep(rt: ResourceType, obj: unknown, _own: boolean): number {
  if (obj instanceof GuestResource) { trapIf(obj.rt !== rt, 'wrong resource type'); return obj.rep; }
  if (typeof obj !== 'object' || obj === null) trap(`a ${rt.name} resource must be an object`);
  const r = repsOf(rt);
  let rep = r.reps.get(obj as object);
  if (rep === undefined) {
    rep = r.table.add(obj as object);
    r.reps.set(obj as object, rep);
  }
  return rep;
}

export function hostResourceObject(rt: ResourceType, rep: number, _own: boolean): object {
  return repsOf(rt).table.get(rep);
}

/** Forget a host resource once its last own handle is dropped; returns the object. */
export function releaseHostResource(rt: ResourceType, rep: number): object | undefined {
  const r = repsOf(rt);
  const obj = r.table.peek(rep);
  if (obj === undefined) return undefined;
  r.table.remove(rep);
  r.reps.delete(obj);
  return obj;
}
