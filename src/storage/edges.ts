/**
 * Backend-neutral rules of the dependencies table: one statement of the upsert merge that every store
 * applies (the conformance suite checks the stores agree).
 */
import type { DependencyEdge } from './port.js';

/** An edge upserted over a stored one: the given fields win, first_seen keeps the earlier, last_seen the later. */
export function mergeSeen<E extends DependencyEdge>(old: E | undefined, e: E): E {
  if (!old) return e;
  return {
    ...e,
    first_seen: Math.min(old.first_seen, e.first_seen),
    last_seen: Math.max(old.last_seen, e.last_seen),
  };
}
