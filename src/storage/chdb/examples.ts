/**
 * The flow-table design's six example queries (design-notes/flow-table.md section 5.1) in the embedded
 * ClickHouse dialect, parametrized, with the design's defects fixed:
 *
 * - time filters use flow_start (the partition and sort key), not received_at;
 * - query 2 sums flow_count (the design's COUNT(*) counted aggregate rows, not flows);
 * - query 5 looks for scan probes: SYN without ACK (`tcp_flags & 18 = 2`), not any flow with SYN set
 *   (which matched every SYN-ACK and the cumulative flags of ordinary flows).
 *
 * Used by bench/storage-chdb.ts (timed on 10 M flows) and chdb tests.
 */

import { ipv6ToString } from '../../core/ip.js';
import { cidrToRange } from '../../core/rules.js';

export interface ExampleQuery {
  name: string;
  sql: string;
  params: (now: number) => Record<string, unknown>;
}

const range = (cidr: string) => {
  const r = cidrToRange(cidr)!;
  return { lo: ipv6ToString(r.lo), hi: ipv6ToString(r.hi) };
};

const since = (name: string) => `flow_start >= fromUnixTimestamp64Milli({${name}:Int64}, 'UTC')`;

export const EXAMPLE_QUERIES: ExampleQuery[] = [
  {
    name: 'q1 flows of one source, last hour',
    sql: `SELECT received_at, src_ip, dst_ip, dst_port, ip_protocol, bytes_total, packets_total
FROM flow_records WHERE src_ip = {ip:IPv6} AND ${since('from')}
ORDER BY flow_start DESC LIMIT 100`,
    params: (now) => ({ ip: '10.1.2.3', from: now - 3_600_000 }),
  },
  {
    name: 'q2 top destinations from 10/8, 24 h (aggregates)',
    sql: `SELECT dst_ip, dst_port, sum(bytes_total) AS total_bytes, sum(packets_total) AS total_packets,
  sum(flow_count) AS flows
FROM flow_aggregates
WHERE window_start >= toDateTime({from:Int64}, 'UTC') AND src_ip BETWEEN {lo:IPv6} AND {hi:IPv6}
GROUP BY dst_ip, dst_port ORDER BY total_bytes DESC LIMIT 20`,
    params: (now) => ({ from: Math.floor((now - 86_400_000) / 1000), ...range('10.0.0.0/8') }),
  },
  {
    name: 'q3 flows by application name, last hour',
    sql: `SELECT src_ip, dst_ip, JSONExtractString(extended_fields, 'application_name') AS app_name, bytes_total
FROM flow_records
WHERE ${since('from')} AND JSONExtractString(extended_fields, 'application_name') = {app:String}`,
    params: (now) => ({ from: now - 3_600_000, app: 'HTTPS' }),
  },
  {
    name: 'q4 hourly traffic 10.1/16 -> 10.2/16, 7 days (aggregates)',
    sql: `SELECT toStartOfHour(window_start) AS hour, sum(bytes_total) AS bytes, sum(flow_count) AS flows
FROM flow_aggregates
WHERE window_start >= toDateTime({from:Int64}, 'UTC')
  AND src_ip BETWEEN {slo:IPv6} AND {shi:IPv6} AND dst_ip BETWEEN {dlo:IPv6} AND {dhi:IPv6}
GROUP BY hour ORDER BY hour`,
    params: (now) => {
      const s = range('10.1.0.0/16');
      const d = range('10.2.0.0/16');
      return { from: Math.floor((now - 7 * 86_400_000) / 1000), slo: s.lo, shi: s.hi, dlo: d.lo, dhi: d.hi };
    },
  },
  {
    name: 'q5 port scans (SYN without ACK), last 5 minutes',
    sql: `SELECT src_ip, uniqExact(dst_ip) AS unique_destinations, uniqExact(dst_port) AS unique_ports,
  groupBitOr(tcp_flags) AS flags_seen
FROM flow_records
WHERE ${since('from')} AND ip_protocol = 6 AND bitAnd(tcp_flags, 18) = 2
GROUP BY src_ip HAVING unique_ports > 100 ORDER BY unique_ports DESC`,
    params: (now) => ({ from: now - 300_000 }),
  },
  {
    name: 'q6 one exporter with a vendor field, last hour',
    sql: `SELECT received_at, src_ip, dst_ip,
  JSONExtractRaw(extended_fields, 'vendor', 'cisco', 'firewall_event') AS fw_event
FROM flow_records
WHERE exporter_ip = {exporter:IPv6} AND ${since('from')}
  AND JSONHas(extended_fields, 'vendor', 'cisco', 'firewall_event')`,
    params: (now) => ({ exporter: '192.0.2.1', from: now - 3_600_000 }),
  },
];
