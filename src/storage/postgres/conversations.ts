/** conversationTotals on PostgreSQL: one GROUP BY over flow_aggregates (port.ts). */
import type pg from 'pg';
import { TCP_ACK, TCP_SYN } from '../../core/rules.js';
import type { ConversationTotalsRow } from '../port.js';

export async function conversationTotals(
  pool: pg.Pool,
  from: number,
  to: number,
): Promise<ConversationTotalsRow[]> {
  const r = await pool.query(
    `SELECT host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port, ip_protocol,
       (extract(epoch FROM min(window_start)) * 1000)::bigint AS fw,
       (extract(epoch FROM max(window_start)) * 1000)::bigint AS lw,
       sum(flow_count) AS fc, sum(bytes_total) AS b, sum(packets_total) AS pk, sum(new_sessions) AS ns,
       bit_or(tcp_flags_observed) AS fl,
       count(*) FILTER (WHERE tcp_flags_observed & $3 = $4) AS sna,
       sum(src_initiated) AS si, sum(dst_initiated) AS di, sum(reverse_bytes) AS rb,
       sum(reverse_packets) AS rp, sum(reverse_flows) AS rf,
       -- reverse flags count only on rows with reverse traffic (as deps/conversations.ts reads a row)
       COALESCE(bit_or(reverse_tcp_flags) FILTER (WHERE reverse_bytes > 0 OR reverse_packets > 0), 0) AS rfl,
       count(*) FILTER (WHERE (reverse_bytes > 0 OR reverse_packets > 0) AND reverse_tcp_flags & $3 = $4) AS rsna
     FROM flow_aggregates
     WHERE window_start >= $1::timestamptz AND window_start < $2::timestamptz
     GROUP BY src_ip, dst_ip, src_port, dst_port, ip_protocol`,
    [new Date(from).toISOString(), new Date(to).toISOString(), TCP_SYN | TCP_ACK, TCP_SYN],
  );
  return r.rows.map((row) => ({
    src_ip: row.src_ip,
    dst_ip: row.dst_ip,
    src_port: Number(row.src_port),
    dst_port: Number(row.dst_port),
    ip_protocol: Number(row.ip_protocol),
    first_window: Number(row.fw),
    last_window: Number(row.lw),
    flow_count: Number(row.fc),
    bytes_total: Number(row.b),
    packets_total: Number(row.pk),
    new_sessions: Number(row.ns),
    tcp_flags_observed: Number(row.fl),
    syn_no_ack_rows: Number(row.sna),
    src_initiated: Number(row.si),
    dst_initiated: Number(row.di),
    reverse_bytes: Number(row.rb),
    reverse_packets: Number(row.rp),
    reverse_flows: Number(row.rf),
    reverse_tcp_flags: Number(row.rfl),
    reverse_syn_no_ack_rows: Number(row.rsna),
  }));
}
