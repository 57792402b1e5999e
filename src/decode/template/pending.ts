/**
 * Data sets that arrive before their template (UDP reorders; exporters restart and send data first) are
 * held, bounded per exporter, and decoded when the template arrives: their records come out with the
 * datagram that brought the template (DESIGN.md "Decoding rules"). Oldest sets are evicted first and every
 * eviction is a counted error, so nothing disappears silently.
 */
import { DecodeError } from '../../core/errors.js';
import type { MessageHeader } from './context.js';

export const PENDING_MAX_SETS = 256;
export const PENDING_MAX_BYTES = 1 << 20;

export interface PendingSet {
  header: MessageHeader;
  setId: number;
  /** A copy of the set body (the datagram buffer is not ours to keep). */
  body: Uint8Array;
}

export interface PendingQueue {
  sets: PendingSet[];
  bytes: number;
}

export function newPendingQueue(): PendingQueue {
  return { sets: [], bytes: 0 };
}

/** Hold a set; returns the errors for sets evicted to make room. */
export function holdSet(q: PendingQueue, set: PendingSet): DecodeError[] {
  const evicted: DecodeError[] = [];
  if (set.body.length > PENDING_MAX_BYTES) {
    evicted.push(evictionError(set, 'data set larger than the pending budget'));
    return evicted;
  }
  q.sets.push(set);
  q.bytes += set.body.length;
  while (q.sets.length > PENDING_MAX_SETS || q.bytes > PENDING_MAX_BYTES) {
    // Copies (MessageHeader.copy) go first, silently: the worker that owns each holds the set itself.
    const copy = q.sets.findIndex((s) => s.header.copy);
    const old = q.sets.splice(Math.max(copy, 0), 1)[0];
    q.bytes -= old.body.length;
    if (!old.header.copy)
      evicted.push(evictionError(old, 'data set waiting for its template evicted (pending budget full)'));
  }
  return evicted;
}

function evictionError(s: PendingSet, message: string): DecodeError {
  return new DecodeError('bad_template', message, {
    exporter: s.header.exporter,
    version: s.header.version,
    domain: s.header.domain,
    templateId: s.setId,
    setId: s.setId,
  });
}

/** Remove and return the held sets of (version, domain, template id), oldest first. */
export function takePending(
  q: PendingQueue,
  version: number,
  domain: number,
  templateId: number,
): PendingSet[] {
  if (q.sets.length === 0) return [];
  const out: PendingSet[] = [];
  const keep: PendingSet[] = [];
  for (const s of q.sets) {
    if (s.setId === templateId && s.header.domain === domain && s.header.version === version) out.push(s);
    else keep.push(s);
  }
  if (out.length) {
    q.sets = keep;
    for (const s of out) q.bytes -= s.body.length;
  }
  return out;
}
