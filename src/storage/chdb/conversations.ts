/** conversationTotals on the embedded store: one GROUP BY over flow_aggregates, read in parts (port.ts). */
import { TCP_ACK, TCP_SYN } from '../../core/rules.js';
import type { ConversationTotalsRow } from '../port.js';
import { JOB_SETTINGS } from './aggregate.js';
import { type Db, ipOut, num } from './db.js';

/**
 * Groups per part. The engine answers in one text and a JavaScript string holds at most ~512 M characters
 * (a grouped row is ~250): a busy day is read as several disjoint shares of the groups (by a hash of the
 * key), each converted before the next is read. Smaller parts also keep each parse on serve's main thread
 * (which receives the datagrams) short: 200 k rows parse in about 0.2 s.
 */
const ROWS_PER_PART = 200_000;

export async function conversationTotals(
  db: Db,
  from: number,
  to: number,
  /** Tests: a small value reads in many parts. */
  rowsPerPart = ROWS_PER_PART,
): Promise<ConversationTotalsRow[]> {
  const range = {
    f: Math.ceil(from / 1000),
    t: Math.ceil(to / 1000),
  };
  const where = `window_start >= toDateTime({f:Int64}, 'UTC') AND window_start < toDateTime({t:Int64}, 'UTC')`;
  // The groups, estimated (uniq: HyperLogLog, one light scan): rows are far more (one per window and
  // exporter), so counting them would read a day of 90 k conversations in 28 parts, 28 scans.
  const [{ n }] = await db.rows<{ n: number | string }>(
    `SELECT uniq(src_ip, dst_ip, src_port, dst_port, ip_protocol) AS n FROM flow_aggregates WHERE ${where}
     SETTINGS ${JOB_SETTINGS}`,
    range,
  );
  const parts = Math.max(1, Math.ceil(num(n) / rowsPerPart));
  const out: ConversationTotalsRow[] = [];
  for (let part = 0; part < parts; part++) {
    const rows = await db.rows<Record<string, unknown>>(
      `SELECT src_ip, dst_ip, src_port, dst_port, ip_protocol,
         toInt64(toUnixTimestamp(min(window_start))) * 1000 AS fw,
         toInt64(toUnixTimestamp(max(window_start))) * 1000 AS lw,
         sum(flow_count) AS fc, sum(bytes_total) AS b, sum(packets_total) AS pk, sum(new_sessions) AS ns,
         groupBitOr(tcp_flags_observed) AS fl,
         countIf(bitAnd(tcp_flags_observed, {mask:UInt16}) = {syn:UInt16}) AS sna,
         sum(src_initiated) AS si, sum(dst_initiated) AS di, sum(reverse_bytes) AS rb,
         sum(reverse_packets) AS rp, sum(reverse_flows) AS rf,
         -- reverse flags count only on rows with reverse traffic (as deps/conversations.ts reads a row)
         groupBitOr(if(reverse_bytes > 0 OR reverse_packets > 0, reverse_tcp_flags, 0)) AS rfl,
         countIf((reverse_bytes > 0 OR reverse_packets > 0)
           AND bitAnd(reverse_tcp_flags, {mask:UInt16}) = {syn:UInt16}) AS rsna
       FROM flow_aggregates
       WHERE ${where}${parts > 1 ? ' AND cityHash64(src_ip, dst_ip, src_port, dst_port, ip_protocol) % {parts:UInt64} = {part:UInt64}' : ''}
       GROUP BY src_ip, dst_ip, src_port, dst_port, ip_protocol
       SETTINGS ${JOB_SETTINGS}`,
      { ...range, mask: TCP_SYN | TCP_ACK, syn: TCP_SYN, parts, part },
    );
    for (const r of rows)
      out.push({
        src_ip: ipOut(r.src_ip) as string,
        dst_ip: ipOut(r.dst_ip) as string,
        src_port: num(r.src_port),
        dst_port: num(r.dst_port),
        ip_protocol: num(r.ip_protocol),
        first_window: num(r.fw),
        last_window: num(r.lw),
        flow_count: num(r.fc),
        bytes_total: num(r.b),
        packets_total: num(r.pk),
        new_sessions: num(r.ns),
        tcp_flags_observed: num(r.fl),
        syn_no_ack_rows: num(r.sna),
        src_initiated: num(r.si),
        dst_initiated: num(r.di),
        reverse_bytes: num(r.rb),
        reverse_packets: num(r.rp),
        reverse_flows: num(r.rf),
        reverse_tcp_flags: num(r.rfl),
        reverse_syn_no_ack_rows: num(r.rsna),
      });
  }
  return out;
}
