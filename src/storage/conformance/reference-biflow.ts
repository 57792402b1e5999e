/**
 * The reference's biflow columns of the aggregate tier (src_initiated, dst_initiated, reverse_bytes,
 * reverse_packets, reverse_flows, reverse_tcp_flags) and the conversationTotals it implies, computed here
 * from the raw flows' extended_fields by the rule written beside core/biflow-fields.ts BIFLOW_FIELDS:
 * the field names come from there, the reading and the arithmetic are this file's own (neither
 * deps/biflow.ts nor any store's SQL is called).
 */
import { BIFLOW_FIELDS } from '../../core/biflow-fields.js';
import type { FlowRecord } from '../../core/record.js';
import type { BiflowTotals, ConversationTotalsRow } from '../port.js';

export type RefBiflow = BiflowTotals;

export const NO_BIFLOW: RefBiflow = {
  src_initiated: 0,
  dst_initiated: 0,
  reverse_bytes: 0,
  reverse_packets: 0,
  reverse_flows: 0,
  reverse_tcp_flags: 0,
};

/**
 * A field's value, or undefined when the rule says absent: only a non-negative integer below 2^64, as a
 * number, a bigint or a string of ASCII digits, is read. Anything else (negative, fractional, null,
 * boolean, "n/a", "12.5", " 5", 2^64 and above) is absent.
 */
export function readable(v: unknown): bigint | undefined {
  let text: string;
  if (typeof v === 'bigint') text = v.toString();
  // A number is read as the stores read it: its JSON text, the shortest decimal that reads back as the
  // same double (2^60 is 1152921504606847000, not ...976); "2.5", "1e+21" and null (NaN) are refused.
  else if (typeof v === 'number') text = JSON.stringify(v);
  else if (typeof v === 'string') text = v;
  else return undefined;
  if (text.length === 0 || [...text].some((c) => c < '0' || c > '9')) return undefined;
  const b = BigInt(text);
  return b <= 18_446_744_073_709_551_615n ? b : undefined;
}

/** The first name of the list whose value is readable (the order of the list is the precedence). */
function firstReadable(ext: Record<string, unknown>, names: readonly string[]): bigint | undefined {
  for (const name of names) {
    const v = readable(ext[name]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** One flow's contribution to its aggregate row's biflow columns, the reverse counters exact. */
function flowExact(f: FlowRecord) {
  const ext = (f.extended_fields ?? {}) as Record<string, unknown>;
  const dir = readable(ext[BIFLOW_FIELDS.direction]);
  const nsel = BIFLOW_FIELDS.nsel.some((name) => readable(ext[name]) !== undefined);
  const rb = firstReadable(ext, BIFLOW_FIELDS.reverseBytes) ?? 0n;
  const rp = firstReadable(ext, BIFLOW_FIELDS.reversePackets) ?? 0n;
  const flags = readable(ext[BIFLOW_FIELDS.reverseFlags]) ?? 0n;
  const rate = BigInt(Math.max(f.sampling_rate, 1));
  // biflowDirection decides when readable (1 source, 2 destination, 0/3/other: nobody); NSEL otherwise.
  const srcInit = dir === undefined ? nsel : dir === 1n;
  return {
    src_initiated: srcInit ? 1 : 0,
    dst_initiated: dir === 2n ? 1 : 0,
    reverse_bytes: rb * rate,
    reverse_packets: rp * rate,
    reverse_flows: rb > 0n || rp > 0n ? 1 : 0,
    reverse_tcp_flags: Number(flags % 65_536n),
  };
}

/** One flow's contribution to its aggregate row's biflow columns (NO_BIFLOW for a plain flow). */
export function flowBiflow(f: FlowRecord): RefBiflow {
  const x = flowExact(f);
  return { ...x, reverse_bytes: Number(x.reverse_bytes), reverse_packets: Number(x.reverse_packets) };
}

/**
 * An aggregate row's biflow columns; `unsafe` holds the sums beyond 2^53 as exact decimal text, which is
 * how both stores return such a value in aggregate_rows (the numbers here are the nearest doubles).
 */
export interface RowBiflow extends RefBiflow {
  unsafe?: Partial<Record<'reverse_bytes' | 'reverse_packets', string>>;
}

/** The biflow columns of an aggregate row: counts and sums over its flows, the flags OR-ed. */
export function rowBiflow(flows: readonly FlowRecord[]): RowBiflow {
  const t = { ...NO_BIFLOW };
  let rb = 0n;
  let rp = 0n;
  for (const f of flows) {
    const b = flowExact(f);
    t.src_initiated += b.src_initiated;
    t.dst_initiated += b.dst_initiated;
    rb += b.reverse_bytes;
    rp += b.reverse_packets;
    t.reverse_flows += b.reverse_flows;
    t.reverse_tcp_flags |= b.reverse_tcp_flags;
  }
  const out: RowBiflow = { ...t, reverse_bytes: Number(rb), reverse_packets: Number(rp) };
  for (const [k, v] of [
    ['reverse_bytes', rb],
    ['reverse_packets', rp],
  ] as const)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) out.unsafe = { ...out.unsafe, [k]: v.toString() };
  return out;
}

/** What conversationTotals reads of an aggregate row (the reference's RefAggregate has all of it). */
export interface ConversationSource extends RefBiflow {
  window_start: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  ip_protocol: number;
  flow_count: number;
  bytes_total: number;
  packets_total: number;
  new_sessions: number;
  tcp_flags_observed: number;
}

const synNoAck = (flags: number) => (flags & 0x02) !== 0 && (flags & 0x10) === 0;

/**
 * FlowStore.conversationTotals over [from, to) as port.ts states it: per direction of a conversation
 * (src, dst, ports, protocol) the rows summed; reverse flags, and the reverse SYN-without-ACK count, only
 * from rows with reverse traffic.
 */
export function referenceConversationTotals(
  rows: readonly ConversationSource[],
  from: number,
  to: number,
): ConversationTotalsRow[] {
  const out = new Map<string, ConversationTotalsRow>();
  for (const a of rows) {
    if (a.window_start < from || a.window_start >= to) continue;
    const key = [a.src_ip, a.dst_ip, a.src_port, a.dst_port, a.ip_protocol].join('|');
    let c = out.get(key);
    if (!c) {
      c = {
        src_ip: a.src_ip,
        dst_ip: a.dst_ip,
        src_port: a.src_port,
        dst_port: a.dst_port,
        ip_protocol: a.ip_protocol,
        first_window: a.window_start,
        last_window: a.window_start,
        flow_count: 0,
        bytes_total: 0,
        packets_total: 0,
        new_sessions: 0,
        tcp_flags_observed: 0,
        syn_no_ack_rows: 0,
        ...NO_BIFLOW,
        reverse_syn_no_ack_rows: 0,
      };
      out.set(key, c);
    }
    c.first_window = Math.min(c.first_window, a.window_start);
    c.last_window = Math.max(c.last_window, a.window_start);
    c.flow_count += a.flow_count;
    c.bytes_total += a.bytes_total;
    c.packets_total += a.packets_total;
    c.new_sessions += a.new_sessions;
    c.tcp_flags_observed |= a.tcp_flags_observed;
    if (synNoAck(a.tcp_flags_observed)) c.syn_no_ack_rows++;
    addBiflowTotals(c, a);
  }
  return [...out.values()];
}

/**
 * Adds one aggregate row's biflow evidence to a conversation's sums: the reverse flags (and their
 * SYN-without-ACK rows) only from rows that carried reverse traffic, as conversationTotals sums them.
 */
export function addBiflowTotals(
  t: BiflowTotals & { reverse_syn_no_ack_rows: number },
  a: BiflowTotals,
): void {
  t.src_initiated += a.src_initiated;
  t.dst_initiated += a.dst_initiated;
  t.reverse_bytes += a.reverse_bytes;
  t.reverse_packets += a.reverse_packets;
  t.reverse_flows += a.reverse_flows;
  if (a.reverse_bytes > 0 || a.reverse_packets > 0) {
    t.reverse_tcp_flags |= a.reverse_tcp_flags;
    if (synNoAck(a.reverse_tcp_flags)) t.reverse_syn_no_ack_rows++;
  }
}
