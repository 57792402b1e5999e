/**
 * Scan and fan-out detection (query/ast.ts ScanQuery), one statement for every SQL store: per source the
 * distinct (dst_ip, dst_port) targets it sent to, each weighted by the lowest sampling rate it was seen at
 * (the Horvitz-Thompson estimate of how many targets the sampled view stands for), the distinct ports,
 * the TCP flows with SYN but no ACK (tcp_flags & 0x12 = 0x02: probes, not answered conversations), the
 * time span and the highest sampling rate. A server's answers (from its lower port, not SYN-only probes) are
 * not targets. Values are bound, never inlined.
 */
import { SCAN_COLUMNS, type ScanQuery } from '../../query/ast.js';
import { compileFilter } from './compile.js';
import type { Dialect } from './dialect.js';

export interface CompiledScan {
  sql: string;
  params: unknown;
}

export function compileScans(q: ScanQuery, d: Dialect): CompiledScan {
  const b = d.binder();
  const where = [d.timeWhere('raw', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'raw', d, b));
  const rate = 'greatest(sampling_rate, 1)';
  const probe = `ip_protocol = 6 AND ${d.bitAnd('tcp_flags', '18')} = 2`;
  const synOnly = `CASE WHEN ${probe} THEN 1 ELSE 0 END`;
  // Answers are no targets: a flow from the lower (service) port that is not a SYN-only probe is a
  // server's response to a client (a busy web or DNS server would otherwise look like a scanner).
  where.push(`(coalesce(src_port, 0) >= coalesce(dst_port, 0) OR (${probe}))`);
  const sql = `SELECT ${d.output('src_ip', 'ip')} AS src_ip, sum(t_rate) AS targets_estimated,
  count(*) AS targets_sampled, count(DISTINCT dst_port) AS ports, sum(t_syn) AS syn_only_flows,
  ${d.epochMs('min(t_first)')} AS first_seen, ${d.epochMs('max(t_last)')} AS last_seen,
  max(t_max_rate) AS sampling_rate
FROM (
  SELECT src_ip, dst_ip, dst_port, min(${rate}) AS t_rate, max(${rate}) AS t_max_rate, sum(${synOnly}) AS t_syn,
    min(flow_start) AS t_first, max(flow_start) AS t_last
  FROM ${d.table('raw')}
  WHERE ${where.join(' AND ')}
  GROUP BY src_ip, dst_ip, dst_port
) AS t
GROUP BY t.src_ip
HAVING sum(t_rate) >= ${b.bind(q.minTargets, 'int')} AND count(*) >= ${b.bind(q.minSampledTargets, 'int')}
ORDER BY targets_estimated DESC, ${d.orderKey('t.src_ip', 'ip')}
LIMIT ${b.bind(q.limit, 'uint')}`;
  return { sql, params: b.params() };
}

export const SCAN_RESULT_COLUMNS: string[] = [...SCAN_COLUMNS];
