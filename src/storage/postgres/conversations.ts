/** conversationTotals on PostgreSQL: one GROUP BY over flow_aggregates (port.ts). */
import type pg from 'pg';
import { TCP_ACK, TCP_SYN } from '../../core/rules.js';
import type { ConversationTotals, ConversationTotalsOptions } from '../port.js';

const SPAN = 'window_start >= $1::timestamptz AND window_start < $2::timestamptz';
/** A row's endpoint pair in a fixed order, the same for both directions: what `limit` counts and ranks. */
const FIRST = '(src_ip, src_port) <= (dst_ip, dst_port)';
const PAIR = `ip_protocol,
  CASE WHEN ${FIRST} THEN src_ip ELSE dst_ip END, CASE WHEN ${FIRST} THEN src_port ELSE dst_port END,
  CASE WHEN ${FIRST} THEN dst_ip ELSE src_ip END, CASE WHEN ${FIRST} THEN dst_port ELSE src_port END`;
/** Pairs by bytes of both directions, heaviest first (rn 1), ties by the pair. */
const RANKED = `ranked AS (
  SELECT p, a_ip, a_port, b_ip, b_port, b, row_number() OVER (ORDER BY b DESC, p, a_ip, a_port, b_ip, b_port) AS rn
  FROM (SELECT ${PAIR.replace(/\n/g, ' ')}, sum(bytes_total) AS b FROM flow_aggregates WHERE ${SPAN} GROUP BY 1, 2, 3, 4, 5)
    AS pairs (p, a_ip, a_port, b_ip, b_port, b))`;

export async function conversationTotals(
  pool: pg.Pool,
  from: number,
  to: number,
  options: ConversationTotalsOptions = {},
): Promise<ConversationTotals> {
  const span = [new Date(from).toISOString(), new Date(to).toISOString()];
  let leftOut = 0;
  let leftOutBytes = 0;
  if (options.limit !== undefined) {
    const s = await pool.query(
      `WITH ${RANKED}
       SELECT count(*) AS n, COALESCE(sum(b) FILTER (WHERE rn > $3), 0) AS left_bytes FROM ranked`,
      [...span, options.limit],
    );
    leftOut = Math.max(0, Number(s.rows[0].n) - options.limit);
    leftOutBytes = Number(s.rows[0].left_bytes);
  }
  const heaviest =
    leftOut > 0 ? `AND (${PAIR}) IN (SELECT p, a_ip, a_port, b_ip, b_port FROM ranked WHERE rn <= $5)` : '';
  const r = await pool.query(
    `${heaviest ? `WITH ${RANKED}` : ''}
     SELECT host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port, ip_protocol,
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
     WHERE ${SPAN} ${heaviest}
     GROUP BY src_ip, dst_ip, src_port, dst_port, ip_protocol`,
    [...span, TCP_SYN | TCP_ACK, TCP_SYN, ...(heaviest ? [options.limit] : [])],
  );
  const rows = r.rows.map((row) => ({
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
  return { rows, leftOut, leftOutBytes };
}
