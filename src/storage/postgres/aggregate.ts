/**
 * Raw flows -> 5-minute aggregates and aggregates -> daily dependency stats, in PostgreSQL SQL, implementing
 * the shared rules of storage/query/rules.ts (prose in src/jobs/README.md) exactly like the other backends.
 *
 * Fixes of design-notes/flow-table.md section 3 (DESIGN.md "Known defects"):
 * - windows by FLOW time: window_start = date_bin('5 minutes', flow_start), selection by flow_start;
 * - the grouping key is the primary key (exporter_ip and the collapsed src_port included), so the INSERT can
 *   never hit one key twice;
 * - ephemeral client ports collapse to 0 (rules.ts collapsePorts): for TCP/UDP/SCTP with both ports
 *   non-zero and different, the higher port becomes 0 when it is >= 1024 and the lower is < 1024, or it is
 *   >= 32768 and the lower is < 32768;
 * - idempotent: one transaction deletes the windows (the day) and inserts them again from the tier below,
 *   so re-runs and late flows give the same rows; no `processed` UPDATE (a watermark row records progress);
 * - active_minutes = active 5-minute windows x 5; bytes_per_hour (24 UTC hours), sessions_peak (max new
 *   sessions of one window) and p50/p95/p99 of 5-minute bytes (nearest rank over all 288 windows of the
 *   day, idle windows count as 0: rules.ts PERCENTILE_RANKS) are filled.
 *
 * Only bound parameters carry values: $1/$2 the time range, $3 the internal networks (inet[]).
 */
import { BIFLOW_FIELDS, BIFLOW_VALUE_LIMIT } from '../../core/biflow-fields.js';
import { EPHEMERAL_FROM, PERCENTILE_RANKS, WELL_KNOWN_LIMIT, WINDOWS_PER_DAY } from '../../core/rules.js';

const INT8_MAX = '9223372036854775807';

/** `COALESCE(x <<= ANY($3::inet[]), false)`: the address lies in one of the internal networks. */
const internal = (expr: string) => `COALESCE(${expr} <<= ANY($3::inet[]), false)`;

const PROTOCOLS = ['ipfix', 'netflow_v5', 'netflow_v9', 'sflow_v5'] as const;

/**
 * protocol_sources: nearly every group has ONE protocol (the exporter is part of the key and an exporter
 * speaks one protocol), so that case builds a one-key object; only mixed groups build all four and strip
 * the zero (NULL) ones.
 */
const protocolSources = `CASE ${PROTOCOLS.map((p) => `WHEN n_${p} = n THEN jsonb_build_object('${p}', n)`).join(' ')}
    ELSE jsonb_strip_nulls(jsonb_build_object(${PROTOCOLS.map((p) => `'${p}', NULLIF(n_${p}, 0)`).join(', ')})) END`;

/**
 * Distinct non-null interface indexes, ascending, as a bigint[] that jsonb_build_object turns into a JSON
 * array (cheaper than nesting jsonb values, which are re-read when the outer object is built). min/max
 * answer the common groups (no value, or one value) without the per-group sort an ordered DISTINCT aggregate
 * costs; only groups with several values sort their small array.
 */
const ifaceList = (c: string) => `CASE WHEN ${c}_min IS NULL THEN '{}'::bigint[]
    WHEN ${c}_min = ${c}_max THEN ARRAY[${c}_min]
    ELSE ARRAY(SELECT DISTINCT v FROM unnest(${c}_all) v WHERE v IS NOT NULL ORDER BY v) END`;

/**
 * Per-flow scaled bytes/packets in int8 when the product cannot overflow (|value| < 2^32, rate < 2^31):
 * sum(int8) accumulates in 128 bits, so only the rare flows outside that range pay for numeric.
 */
const FITS = '(bytes_total | packets_total) BETWEEN 0 AND 4294967295 AND sampling_rate < 2147483648';

/**
 * Durations are aggregated as intervals (min/max/sum, no numeric per flow) and turned into milliseconds
 * once per group: exact, as stored flow times are whole milliseconds (insert.ts).
 */
const ms = (interval: string) => `(extract(epoch FROM ${interval}) * 1000)`;

/** DELETE of the aggregate windows in [$1, $2). */
export const DELETE_WINDOWS_SQL =
  'DELETE FROM flow_aggregates WHERE window_start >= $1 AND window_start < $2';

/**
 * A flow's biflow evidence as deps/biflow.ts biflowEvidence reads it (the value rule beside BIFLOW_FIELDS:
 * a JSON integer or a string of digits below 2^64, anything else absent; reverse counters the first of
 * their names readable; NSEL evidence a readable NSEL field): bi_dir, bi_nsel, bi_rev_bytes,
 * bi_rev_packets, bi_rev_flags (NULL where absent; bi_nsel false). Each value is up to three key lookups
 * on the row's jsonb (->> gives the digits of a number and of a string alike; a negative, fractional or boolean
 * value fails the pattern). A guard testing all the names first made the aggregation a third slower (the
 * planner copies a lateral column into every use, so the guard ran once per lookup); only the NSEL test
 * is guarded by its names (?|), so rows without them read no NSEL value. Measured on 1 M rows (this
 * lateral alone): rows naming no field as before, RFC 5103 rows 1.25 -> 1.5 µs, NSEL rows 0.8 -> 1.3 µs
 * (the bound check, and NSEL read as values instead of key presence), against ~17 µs per raw flow for
 * the whole aggregation.
 */
const BIFLOW_LATERAL = (() => {
  const k = BIFLOW_FIELDS;
  const v = (key: string) => `(extended_fields->>'${key}')`;
  const n = (key: string) =>
    `(CASE WHEN ${v(key)} ~ '^[0-9]+$' THEN (CASE WHEN ${v(key)}::numeric < ${BIFLOW_VALUE_LIMIT} THEN ${v(key)}::numeric END) END)`;
  return `LATERAL (SELECT ${n(k.direction)} AS bi_dir,
      CASE WHEN extended_fields ?| ARRAY[${k.nsel.map((x) => `'${x}'`).join(', ')}]
        THEN ${k.nsel.map((x) => `${n(x)} IS NOT NULL`).join(' OR ')} ELSE false END AS bi_nsel,
      COALESCE(${k.reverseBytes.map(n).join(', ')}) AS bi_rev_bytes,
      COALESCE(${k.reversePackets.map(n).join(', ')}) AS bi_rev_packets,
      mod(${n(k.reverseFlags)}, 65536)::int AS bi_rev_flags) bi`;
})();

/** INSERT ... SELECT of every aggregate row of the windows [$1, $2) (window-aligned timestamps). */
export const AGGREGATE_SQL = `
INSERT INTO flow_aggregates (
  window_start, window_end, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol,
  flow_count, bytes_total, packets_total, bytes_sampled, packets_sampled, sampling_rate, tcp_flags_observed,
  active_sessions, new_sessions, closed_sessions, min_duration_ms, max_duration_ms, avg_duration_ms,
  protocol_sources, interfaces, is_internal, traffic_direction,
  src_initiated, dst_initiated, reverse_bytes, reverse_packets, reverse_flows, reverse_tcp_flags)
SELECT
  ws, ws + interval '5 minutes', exporter_ip, sip, dip, sp, dp, proto,
  n,
  LEAST(COALESCE(b_fit, 0) + COALESCE(b_big, 0), ${INT8_MAX}),
  LEAST(COALESCE(p_fit, 0) + COALESCE(p_big, 0), ${INT8_MAX}),
  LEAST(b_sampled, ${INT8_MAX}),
  LEAST(p_sampled, ${INT8_MAX}),
  max_rate, flags, n, new_s, closed_s,
  ${ms('min_d')}::bigint, ${ms('max_d')}::bigint, floor(${ms('sum_d')} / n),
  ${protocolSources},
  jsonb_build_object('input', ${ifaceList('in')}, 'output', ${ifaceList('out')}),
  si AND di,
  CASE WHEN si AND di THEN 'internal' WHEN si THEN 'egress' WHEN di THEN 'ingress' ELSE 'external' END,
  bi_src, bi_dst, LEAST(bi_rev_b, ${INT8_MAX}), LEAST(bi_rev_p, ${INT8_MAX}), bi_rev_n, bi_rev_fl
FROM (
  SELECT ws, exporter_ip, sip, dip, sp, dp, proto,
    count(*) AS n,
    sum(bytes_total * rate) FILTER (WHERE fits) AS b_fit,
    sum(bytes_total::numeric * rate) FILTER (WHERE NOT fits) AS b_big,
    sum(packets_total * rate) FILTER (WHERE fits) AS p_fit,
    sum(packets_total::numeric * rate) FILTER (WHERE NOT fits) AS p_big,
    sum(bytes_total) AS b_sampled,
    sum(packets_total) AS p_sampled,
    max(rate) AS max_rate,
    bit_or(flags) AS flags,
    count(*) FILTER (WHERE proto = 6 AND flags & 2 <> 0) AS new_s,
    count(*) FILTER (WHERE proto = 6 AND flags & 5 <> 0) AS closed_s,
    min(dur) AS min_d, max(dur) AS max_d, sum(dur) AS sum_d,
    ${PROTOCOLS.map((p) => `count(*) FILTER (WHERE protocol_type = '${p}') AS n_${p}`).join(',\n    ')},
    min(input_interface) AS in_min, max(input_interface) AS in_max, array_agg(input_interface) AS in_all,
    min(output_interface) AS out_min, max(output_interface) AS out_max, array_agg(output_interface) AS out_all,
    ${internal('sip')} AS si,
    ${internal('dip')} AS di,
    count(*) FILTER (WHERE bi_dir = 1 OR (bi_dir IS NULL AND bi_nsel)) AS bi_src,
    count(*) FILTER (WHERE bi_dir = 2) AS bi_dst,
    COALESCE(sum(bi_rev_bytes * rate), 0) AS bi_rev_b,
    COALESCE(sum(bi_rev_packets * rate), 0) AS bi_rev_p,
    count(*) FILTER (WHERE bi_rev_bytes > 0 OR bi_rev_packets > 0) AS bi_rev_n,
    COALESCE(bit_or(bi_rev_flags), 0) AS bi_rev_fl
  FROM (
    SELECT
      date_bin('5 minutes', flow_start, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS ws,
      exporter_ip, protocol_type, bytes_total, packets_total, input_interface, output_interface,
      COALESCE(src_ip, '::'::inet) AS sip,
      COALESCE(dst_ip, '::'::inet) AS dip,
      CASE WHEN c.collapse AND c.s > c.d THEN 0 ELSE c.s END AS sp,
      CASE WHEN c.collapse AND c.d > c.s THEN 0 ELSE c.d END AS dp,
      c.proto,
      COALESCE(tcp_flags, 0) AS flags,
      GREATEST(sampling_rate, 1) AS rate,
      ${FITS} AS fits,
      GREATEST(flow_end - flow_start, interval '0') AS dur,
      bi.bi_dir, bi.bi_nsel, bi.bi_rev_bytes, bi.bi_rev_packets, bi.bi_rev_flags
    FROM flow_records,
    LATERAL (SELECT COALESCE(src_port, 0) AS s, COALESCE(dst_port, 0) AS d, COALESCE(ip_protocol, 0) AS proto) p,
    LATERAL (SELECT p.s, p.d, p.proto,
        p.proto IN (6, 17, 132) AND p.s > 0 AND p.d > 0 AND p.s <> p.d
        AND GREATEST(p.s, p.d) >= ${WELL_KNOWN_LIMIT}
        AND (LEAST(p.s, p.d) < ${WELL_KNOWN_LIMIT}
             OR (GREATEST(p.s, p.d) >= ${EPHEMERAL_FROM} AND LEAST(p.s, p.d) < ${EPHEMERAL_FROM})) AS collapse) c,
    ${BIFLOW_LATERAL}
    WHERE flow_start >= $1 AND flow_start < $2
  ) r
  GROUP BY ws, exporter_ip, sip, dip, sp, dp, proto
) g`;

export const DELETE_DAY_SQL = 'DELETE FROM dependency_stats WHERE stat_date = $1::date';

const hourSums = Array.from(
  { length: 24 },
  (_v, h) => `COALESCE(sum(b) FILTER (WHERE extract(hour FROM w AT TIME ZONE 'UTC') = ${h}), 0)`,
).join(', ');

/** Nearest-rank percentile over the day's 288 windows: rank r hits an idle (0) window when r <= 288 - n. */
const pct = (rank: number) => `COALESCE(max(b) FILTER (WHERE rn = ${rank} - (${WINDOWS_PER_DAY} - n)), 0)`;

/** x + y in bigint, saturating at its maximum (both are clamped to it already; the sum may not fit). */
const satAdd = (x: string, y: string) => `(${x} + LEAST(${y}, ${INT8_MAX} - ${x}))`;

const DAY = `a.window_start >= $1::date::timestamptz AND a.window_start < ($1::date + 1)::timestamptz`;

/**
 * Daily rollup of the UTC day $1 ('YYYY-MM-DD') for every known edge. An edge's 5-minute value is the sum
 * over aggregate rows of BOTH directions: client -> server:port and server:port -> client. Sessions count
 * new_sessions of client -> server rows only (the server's SYN-ACK flows carry SYN too), and so does the
 * request side (request_*). A biflow row's reverse counters (RFC 5103) are the other direction's traffic:
 * the response side of a client -> server row, the request side of a server -> client row.
 */
export const ROLLUP_SQL = `
INSERT INTO dependency_stats (
  stat_date, dependency_id, bytes_total, packets_total, flow_count, sessions_total, sessions_peak,
  first_seen_today, last_seen_today, active_minutes, bytes_per_hour, bytes_p50, bytes_p95, bytes_p99,
  request_bytes, request_packets, request_flows)
SELECT
  $1::date, id, LEAST(sum(b), ${INT8_MAX}), LEAST(sum(p), ${INT8_MAX}), sum(f), sum(s), max(s),
  min(w), max(w) + interval '5 minutes', count(*) * 5,
  ARRAY[${hourSums}]::bigint[],
  ${pct(PERCENTILE_RANKS.p50)}, ${pct(PERCENTILE_RANKS.p95)}, ${pct(PERCENTILE_RANKS.p99)},
  LEAST(sum(rb), ${INT8_MAX}), LEAST(sum(rp), ${INT8_MAX}), sum(rf)
FROM (
  SELECT id, w, b, p, f, s, rb, rp, rf,
    row_number() OVER (PARTITION BY id ORDER BY b) AS rn,
    count(*) OVER (PARTITION BY id) AS n
  FROM (
    SELECT id, w, sum(b) AS b, sum(p) AS p, sum(f) AS f, sum(s) AS s, sum(rb) AS rb, sum(rp) AS rp,
           sum(rf) AS rf
    FROM (
      SELECT e.id, a.window_start AS w, ${satAdd('a.bytes_total', 'a.reverse_bytes')} AS b,
             ${satAdd('a.packets_total', 'a.reverse_packets')} AS p, a.flow_count + a.reverse_flows AS f,
             a.new_sessions AS s, a.bytes_total AS rb, a.packets_total AS rp, a.flow_count AS rf
        FROM flow_aggregates a
        JOIN dependencies e ON a.src_ip = e.client_ip AND a.dst_ip = e.server_ip
         AND a.dst_port = e.server_port AND a.ip_protocol = e.ip_protocol
       WHERE ${DAY}
      UNION ALL
      SELECT e.id, a.window_start, ${satAdd('a.bytes_total', 'a.reverse_bytes')},
             ${satAdd('a.packets_total', 'a.reverse_packets')},
             a.flow_count + a.reverse_flows, 0, a.reverse_bytes, a.reverse_packets, a.reverse_flows
        FROM flow_aggregates a
        JOIN dependencies e ON a.src_ip = e.server_ip AND a.src_port = e.server_port
         AND a.dst_ip = e.client_ip AND a.ip_protocol = e.ip_protocol
       WHERE ${DAY}
    ) both_directions
    GROUP BY id, w
  ) per_window
) ranked
GROUP BY id`;
