/**
 * Initiator and reverse-direction evidence of one raw flow record, from the fields biflow exporters add
 * (kept in extended_fields under their IANA names, src/normalize). Pure: the aggregate step that feeds
 * discovery sums it per row into `BiflowEvidence`.
 */
import { BIFLOW_FIELDS, BIFLOW_VALUE_LIMIT } from '../core/biflow-fields.js';
import type { FlowRecord } from '../core/record.js';
import type { BiflowEvidence } from './types.js';

/** RFC 5103 section 6.3, biflowDirection (IE 239): who the exporter says opened the connection. */
export const BIFLOW_DIRECTION = { arbitrary: 0, initiator: 1, reverseInitiator: 2, perimeter: 3 } as const;

/**
 * Cisco NSEL records are connection records whose source is the initiator: initiatorOctets (IE 231) is
 * the source's bytes and responderOctets (232) the destination's. A readable value in one of them
 * (the rule beside BIFLOW_FIELDS) is initiator evidence.
 */
const F = BIFLOW_FIELDS;

/**
 * The field's value by the rule beside BIFLOW_FIELDS: a non-negative integer below 2^64, as a JSON
 * integer (a number, or a bigint the decoder kept and the stores hold as digits) or a string of decimal
 * digits; null (absent) otherwise.
 */
function value(v: unknown): bigint | null {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else {
    // A number as its JSON text, which is what the stores read: beyond 2^53 the shortest decimal of the
    // double (2^60 is 1152921504606847000), not its exact value; a fraction or 1e+21 fails the pattern.
    const s = typeof v === 'number' ? String(v) : v;
    if (typeof s !== 'string' || !/^[0-9]+$/.test(s)) return null;
    b = BigInt(s);
  }
  return b >= 0n && b < BIFLOW_VALUE_LIMIT ? b : null;
}

function num(v: unknown): number | null {
  const b = value(v);
  return b === null ? null : Number(b);
}

function first(ext: Record<string, unknown>, names: readonly string[]): number | null {
  for (const n of names) {
    const v = num(ext[n]);
    if (v !== null) return v;
  }
  return null;
}

/**
 * The record's biflow evidence, or null when it carries none (a plain uniflow record). Reverse counters
 * are scaled by the sampling rate like the aggregate tier's bytes_total. biflowDirection 0 (arbitrary) and
 * 3 (perimeter: source is inside the perimeter) say nothing about who initiated.
 */
export function biflowEvidence(r: FlowRecord): BiflowEvidence | null {
  const ext = r.extended_fields as Record<string, unknown>;
  const dir = num(ext[F.direction]);
  const nsel = F.nsel.some((n) => value(ext[n]) !== null);
  const revBytes = first(ext, F.reverseBytes);
  const revPackets = first(ext, F.reversePackets);
  const flags = value(ext[F.reverseFlags]);
  // The low 16 bits (the columns' width), cut in bigint: a Number above 2^53 has lost them.
  const revFlags = flags === null ? null : Number(flags & 0xffffn);
  if (dir === null && !nsel && revBytes === null && revPackets === null && revFlags === null) return null;
  const rate = Math.max(r.sampling_rate, 1);
  return {
    src_initiated: dir === BIFLOW_DIRECTION.initiator || (dir === null && nsel) ? 1 : 0,
    dst_initiated: dir === BIFLOW_DIRECTION.reverseInitiator ? 1 : 0,
    reverse_bytes: (revBytes ?? 0) * rate,
    reverse_packets: (revPackets ?? 0) * rate,
    reverse_flows: (revPackets ?? 0) > 0 || (revBytes ?? 0) > 0 ? 1 : 0,
    reverse_tcp_flags: revFlags ?? 0,
  };
}

/** Sum of two rows' (or flows') evidence; null stands for none. */
export function addBiflow(
  a: BiflowEvidence | undefined,
  b: BiflowEvidence | null,
): BiflowEvidence | undefined {
  if (!b) return a;
  if (!a) return { ...b };
  return {
    src_initiated: a.src_initiated + b.src_initiated,
    dst_initiated: a.dst_initiated + b.dst_initiated,
    reverse_bytes: a.reverse_bytes + b.reverse_bytes,
    reverse_packets: a.reverse_packets + b.reverse_packets,
    reverse_flows: a.reverse_flows + b.reverse_flows,
    reverse_tcp_flags: a.reverse_tcp_flags | b.reverse_tcp_flags,
  };
}
