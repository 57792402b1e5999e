/**
 * The six example queries of design-notes/flow-table.md section 5.1, as this schema runs them (for
 * reporting SQL, Grafana panels and the benchmark). Differences from the design, and why:
 * - time bounds are on flow_start (the raw tier's partition key) so partition pruning applies;
 * - times and addresses are bound parameters ($n), never spliced into the text;
 * - query 3 uses containment (`@>`), which the GIN index (profile 'all' or 'extended_gin') can serve, and
 *   the expression index `app_name` serves the ->> form equally;
 * - query 5 counts scan probes as SYN without ACK (`tcp_flags & 18 = 2`): the design's `tcp_flags & 2 = 2`
 *   also matched SYN-ACK replies and the cumulative flags of every ordinary TCP flow, so busy servers
 *   looked like scanners.
 */

export interface ExampleQuery {
  name: string;
  sql: string;
}

export const EXAMPLE_QUERIES: Readonly<Record<string, ExampleQuery>> = {
  q1_flows_of_source: {
    name: 'flows from one source IP in the last hour',
    // $1 source address, $2 now
    sql: `SELECT received_at, flow_start, src_ip, dst_ip, dst_port, ip_protocol, bytes_total, packets_total
            FROM flow_records
           WHERE src_ip = $1::inet AND flow_start >= $2::timestamptz - interval '1 hour'
             AND flow_start < $2::timestamptz
           ORDER BY flow_start DESC LIMIT 100`,
  },
  q2_top_destinations: {
    name: 'top destinations by traffic from a network, last 24 h (aggregates)',
    // $1 source network, $2 now
    sql: `SELECT dst_ip, dst_port, sum(bytes_total) AS total_bytes, sum(packets_total) AS total_packets,
                 sum(flow_count) AS flow_count
            FROM flow_aggregates
           WHERE window_start >= $2::timestamptz - interval '24 hours' AND window_start < $2::timestamptz
             AND src_ip << $1::inet
           GROUP BY dst_ip, dst_port ORDER BY total_bytes DESC LIMIT 20`,
  },
  q3_application: {
    name: 'flows of one application (extended_fields), last hour',
    // $1 {"application_name": ...} as jsonb, $2 now
    sql: `SELECT src_ip, dst_ip, extended_fields->>'application_name' AS app_name, bytes_total
            FROM flow_records
           WHERE extended_fields @> $1::jsonb
             AND flow_start >= $2::timestamptz - interval '1 hour' AND flow_start < $2::timestamptz`,
  },
  q4_subnet_to_subnet: {
    name: 'hourly traffic between two subnets, last 7 days (aggregates)',
    // $1 source network, $2 destination network, $3 now
    sql: `SELECT date_trunc('hour', window_start) AS hour, sum(bytes_total) AS bytes, sum(flow_count) AS flows
            FROM flow_aggregates
           WHERE src_ip << $1::inet AND dst_ip << $2::inet
             AND window_start >= $3::timestamptz - interval '7 days' AND window_start < $3::timestamptz
           GROUP BY 1 ORDER BY 1`,
  },
  q5_port_scans: {
    name: 'port scan candidates: SYN-without-ACK probes to many ports, last 5 minutes',
    // $1 now, $2 distinct-port threshold (the design used 100)
    sql: `SELECT src_ip, count(DISTINCT dst_ip) AS unique_destinations, count(DISTINCT dst_port) AS unique_ports,
                 bit_or(tcp_flags) AS flags_seen
            FROM flow_records
           WHERE flow_start >= $1::timestamptz - interval '5 minutes' AND flow_start < $1::timestamptz
             AND ip_protocol = 6 AND tcp_flags & 18 = 2
           GROUP BY src_ip HAVING count(DISTINCT dst_port) > $2::int
           ORDER BY unique_ports DESC`,
  },
  q6_exporter_vendor: {
    name: 'flows of one exporter carrying a vendor firewall event, last hour',
    // $1 exporter address, $2 now
    sql: `SELECT received_at, src_ip, dst_ip, extended_fields->'vendor'->'cisco'->>'firewall_event' AS fw_event
            FROM flow_records
           WHERE exporter_ip = $1::inet
             AND extended_fields->'vendor'->'cisco'->>'firewall_event' IS NOT NULL
             AND flow_start >= $2::timestamptz - interval '1 hour' AND flow_start < $2::timestamptz`,
  },
};
