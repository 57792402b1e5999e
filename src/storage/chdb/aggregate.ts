/**
 * Raw flows -> 5-minute aggregates, by FLOW time (window = floor(flow_start / 5 min)), and the daily rollup
 * into dependency_stats. The rules (port collapsing, sessions, internal networks, percentiles) are stated
 * in storage/query/rules.ts and src/jobs/README.md; the SQL below implements exactly those.
 *
 * Idempotency: a run deletes the rows of the windows (days) it covers and inserts them again from the tier
 * below, so running twice, or again after late flows arrived, gives the same rows as one run over all data.
 */
import { BIFLOW_FIELD_NAMES, BIFLOW_FIELDS } from '../../core/biflow-fields.js';
import { ipv6ToString } from '../../core/ip.js';
import { PROTOCOL_TYPES } from '../../core/record.js';
import {
  DAY_MS,
  EPHEMERAL_FROM,
  type Ipv6Range,
  PERCENTILE_RANKS,
  WELL_KNOWN_LIMIT,
  WINDOW_MS,
  WINDOWS_PER_DAY,
} from '../../core/rules.js';
import type { Params } from './db.js';

/** `(x BETWEEN lo AND hi OR ...)` over bound IPv6 parameters named int_lo<i> / int_hi<i>. */
export function internalPredicate(expr: string, ranges: readonly Ipv6Range[]): string {
  if (ranges.length === 0) return 'false';
  return `(${ranges.map((_r, i) => `${expr} BETWEEN {int_lo${i}:IPv6} AND {int_hi${i}:IPv6}`).join(' OR ')})`;
}

export function internalParams(ranges: readonly Ipv6Range[]): Params {
  const p: Params = {};
  ranges.forEach((r, i) => {
    p[`int_lo${i}`] = ipv6ToString(r.lo);
    p[`int_hi${i}`] = ipv6ToString(r.hi);
  });
  return p;
}

/**
 * Flow counts per protocol_type, zero counts left out. protocol_type is a closed set (core/record.ts), so
 * one countIf per type is used: building a map per row (sumMap(map(...))) cost several times more.
 */
const PROTOCOL_SOURCES = `mapFilter((k, v) -> v > 0, map(${PROTOCOL_TYPES.map(
  (t) => `'${t}', toUInt64(countIf(protocol_type = '${t}'))`,
).join(', ')}))`;

/**
 * A flow's biflow evidence as deps/biflow.ts biflowEvidence reads it (the value rule beside BIFLOW_FIELDS:
 * a JSON integer or a string of digits below 2^64, anything else absent; reverse counters the first of
 * their names readable; NSEL evidence a readable NSEL field), per row: bi_dir, bi_nsel, bi_rev_bytes,
 * bi_rev_packets, bi_rev_flags (NULL where absent). Only rows naming one of the keys parse the JSON.
 * A value is read from its raw JSON text (one parse, like JSONExtract): JSONExtract itself would floor
 * 12.5 and "12.5" and read true as 1. bi_any AND ... is evaluated short-circuit (the engine's default),
 * so the NSEL values too are read on biflow rows only. Measured on 3 M records, one thread: rows naming no
 * field as before (~0.06 µs), biflow rows 0.9 -> 1.05 µs against JSONExtract. allow_simdjson = 0 would
 * read the documents simdjson refuses (a JSON number of 2^64 or more) but made biflow rows 3x slower.
 */
const BIFLOW_COLUMNS = (() => {
  const k = BIFLOW_FIELDS;
  const n = (key: string) =>
    `toUInt64OrNull(extract(JSONExtractRaw(extended_fields, '${key}'), '^"?([0-9]+)"?$'))`;
  const when = (expr: string) => `if(bi_any, ${expr}, NULL)`;
  return [
    `multiSearchAny(extended_fields, [${BIFLOW_FIELD_NAMES.map((x) => `'"${x}"'`).join(', ')}]) AS bi_any`,
    `${when(n(k.direction))} AS bi_dir`,
    `bi_any AND (${k.nsel.map((x) => `${n(x)} IS NOT NULL`).join(' OR ')}) AS bi_nsel`,
    `${when(`coalesce(${k.reverseBytes.map(n).join(', ')})`)} AS bi_rev_bytes`,
    `${when(`coalesce(${k.reversePackets.map(n).join(', ')})`)} AS bi_rev_packets`,
    `${when(`bitAnd(${n(k.reverseFlags)}, 65535)`)} AS bi_rev_flags`,
  ].join(',\n    ');
})();

/**
 * INSERT ... SELECT of every aggregate row of the windows [{lo:Int64}, {hi:Int64}) (ms, window-aligned).
 * Port rule (rules.ts collapsePorts): for TCP/UDP/SCTP with both ports non-zero and different, the higher
 * port becomes 0 when it is >= 1024 and the lower is < 1024, or it is >= 32768 and the lower is < 32768.
 */
export function aggregateSql(ranges: readonly Ipv6Range[]): string {
  const win = WINDOW_MS;
  return `INSERT INTO flow_aggregates
SELECT
  toDateTime(intDiv(toUnixTimestamp64Milli(flow_start), ${win}) * ${win / 1000}, 'UTC') AS ws,
  ws + ${win / 1000} AS we,
  exporter_ip,
  sip, dip, sp, dp, proto,
  count() AS flow_count,
  sum(bytes_total * rate) AS bytes_scaled,
  sum(packets_total * rate) AS packets_scaled,
  sum(bytes_total) AS bytes_sampled,
  sum(packets_total) AS packets_sampled,
  max(rate) AS sampling_rate,
  groupBitOr(flags) AS tcp_flags_observed,
  countIf(proto = 6 AND bitAnd(flags, 2) != 0) AS new_sessions,
  countIf(proto = 6 AND bitAnd(flags, 5) != 0) AS closed_sessions,
  min(dur) AS min_duration_ms,
  max(dur) AS max_duration_ms,
  intDiv(sum(dur), count()) AS avg_duration_ms,
  ${PROTOCOL_SOURCES} AS protocol_sources,
  arraySort(groupUniqArray(input_interface)) AS input_interfaces,
  arraySort(groupUniqArray(output_interface)) AS output_interfaces,
  any(src_int AND dst_int) AS is_internal,
  any(multiIf(src_int AND dst_int, 'internal', src_int, 'egress', dst_int, 'ingress', 'external')) AS traffic_direction,
  countIf(bi_dir = 1 OR (bi_dir IS NULL AND bi_nsel)) AS src_initiated,
  countIf(bi_dir = 2) AS dst_initiated,
  sum(ifNull(bi_rev_bytes, 0) * rate) AS reverse_bytes,
  sum(ifNull(bi_rev_packets, 0) * rate) AS reverse_packets,
  countIf(ifNull(bi_rev_packets, 0) > 0 OR ifNull(bi_rev_bytes, 0) > 0) AS reverse_flows,
  groupBitOr(ifNull(bi_rev_flags, 0)) AS reverse_tcp_flags
FROM (
  SELECT
    flow_start, exporter_ip, protocol_type, bytes_total, packets_total, input_interface, output_interface,
    ifNull(src_ip, toIPv6('::')) AS sip,
    ifNull(dst_ip, toIPv6('::')) AS dip,
    toUInt16(ifNull(src_port, 0)) AS s,
    toUInt16(ifNull(dst_port, 0)) AS d,
    toUInt8(ifNull(ip_protocol, 0)) AS proto,
    toUInt16(ifNull(tcp_flags, 0)) AS flags,
    toUInt64(greatest(sampling_rate, 1)) AS rate,
    greatest(toUnixTimestamp64Milli(flow_end) - toUnixTimestamp64Milli(flow_start), 0) AS dur,
    proto IN (6, 17, 132) AND s > 0 AND d > 0 AND s != d
      AND greatest(s, d) >= ${WELL_KNOWN_LIMIT}
      AND (least(s, d) < ${WELL_KNOWN_LIMIT} OR (greatest(s, d) >= ${EPHEMERAL_FROM} AND least(s, d) < ${EPHEMERAL_FROM})) AS collapse,
    if(collapse AND s > d, toUInt16(0), s) AS sp,
    if(collapse AND d > s, toUInt16(0), d) AS dp,
    ${internalPredicate('sip', ranges)} AS src_int,
    ${internalPredicate('dip', ranges)} AS dst_int,
    ${BIFLOW_COLUMNS}
  FROM flow_records
  WHERE flow_start >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC')
    AND flow_start < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')
)
GROUP BY ws, exporter_ip, sip, dip, sp, dp, proto
SETTINGS ${JOB_SETTINGS}`;
}

/** Engine threads at the lowest CPU priority: when the cores are short, the collector gets them. */
export const NICE = 'os_threads_nice_value_query = 19';

/**
 * Jobs yield to ingest and stay bounded in memory whatever a window's cardinality: one engine thread (the
 * other core stays with the collector) at the lowest CPU priority (nice 19), and GROUP BY state beyond 512 MiB spills to disk (external
 * aggregation) instead of growing: one aggregation run holds at most about that plus one block.
 */
export const JOB_SETTINGS = `max_threads = 1, max_bytes_before_external_group_by = 536870912, ${NICE}`;

/** Patch-part lightweight delete (schema.ts): tens of ms instead of a mutation over the partition. */
export const PATCH_DELETE = `SETTINGS lightweight_delete_mode = 'lightweight_update'`;

/** Aggregate rows of the windows in [{lo}, {hi}) (epoch ms). */
export const WINDOWS_WHERE = `window_start >= toDateTime(intDiv({lo:Int64}, 1000), 'UTC') AND window_start < toDateTime(intDiv({hi:Int64}, 1000), 'UTC')`;

export const DELETE_WINDOWS_SQL = `DELETE FROM flow_aggregates
WHERE ${WINDOWS_WHERE}
${PATCH_DELETE}`;

/**
 * Every edge numbered 1..n in id order: the rollup groups by this number instead of the edge's UUID (half
 * the grouping cost on a day of 10 M flows, README "Dependency map"). Numbered by a total order so each
 * reading of it in one statement numbers alike, as long as no edge is written while the statement runs:
 * edges and rollups are written by the one discovery pass at a time of the process holding the store.
 */
const EDGES = `(SELECT toUInt32(row_number() OVER (ORDER BY id)) AS n, id, client_ip, server_ip, server_port, ip_protocol
    FROM dependencies FINAL)`;
const DAY_WHERE = `a.window_start >= toDateTime(intDiv({day:Int64}, 1000), 'UTC')
    AND a.window_start < toDateTime(intDiv({day:Int64}, 1000) + ${DAY_MS / 1000}, 'UTC')`;

/**
 * Nearest rank over all 288 windows of the day, zero windows included (rules.ts PERCENTILE_RANKS);
 * `sorted` holds the edge's active windows ascending, `zeros` the count of idle ones.
 */
const pct = (rank: number) => `if(${rank} <= zeros, toUInt64(0), sorted[${rank} - zeros])`;

/**
 * Daily rollup of one UTC day for every known edge. Per 5-minute window the edge's value is the sum over
 * matching aggregate rows of BOTH directions: client -> server:port (src = client, dst = server,
 * dst_port = server_port) and server:port -> client (src = server, src_port = server_port, dst = client).
 * sessions count new_sessions of the client -> server rows only (the server's SYN-ACK flows carry SYN too);
 * the request side (request_*) sums those rows only. A biflow row's reverse counters (RFC 5103) are the
 * other direction's traffic: they count for the edge, on the response side of a client -> server row and
 * on the request side of a server -> client row. Edges are grouped by their number (EDGES) and named
 * by a last join with the result rows.
 */
export const ROLLUP_SQL = `INSERT INTO dependency_stats (stat_date, dependency_id, bytes_total, packets_total,
  flow_count, sessions_total, sessions_peak, first_seen_today, last_seen_today, active_minutes, bytes_per_hour,
  bytes_p50, bytes_p95, bytes_p99, request_bytes, request_packets, request_flows)
SELECT
  toDate(toDateTime(intDiv({day:Int64}, 1000), 'UTC')) AS stat_date,
  e.id AS dependency_id,
  bytes_total, packets_total, flow_count, sessions_total, sessions_peak, first_seen_today, last_seen_today,
  active_minutes, bytes_per_hour, bytes_p50, bytes_p95, bytes_p99, request_bytes, request_packets, request_flows
FROM (
  WITH arraySort(groupArray(b)) AS sorted, ${WINDOWS_PER_DAY} - length(sorted) AS zeros
  SELECT
    n,
    sum(b) AS bytes_total,
    sum(p) AS packets_total,
    sum(f) AS flow_count,
    sum(s) AS sessions_total,
    max(s) AS sessions_peak,
    min(w) AS first_seen_today,
    max(w) + ${WINDOW_MS / 1000} AS last_seen_today,
    toUInt32(count() * 5) AS active_minutes,
    arrayMap(h -> arraySum(arrayFilter((x, xh) -> xh = h, groupArray(b) AS bs, groupArray(toHour(w)) AS hs)),
      range(24)) AS bytes_per_hour,
    ${pct(PERCENTILE_RANKS.p50)} AS bytes_p50,
    ${pct(PERCENTILE_RANKS.p95)} AS bytes_p95,
    ${pct(PERCENTILE_RANKS.p99)} AS bytes_p99,
    sum(rb) AS request_bytes,
    sum(rp) AS request_packets,
    sum(rf) AS request_flows
  FROM (
    SELECT n, w, sum(b) AS b, sum(p) AS p, sum(f) AS f, sum(s) AS s, sum(rb) AS rb, sum(rp) AS rp, sum(rf) AS rf
    FROM (
      SELECT e.n AS n, a.window_start AS w, a.bytes_total + a.reverse_bytes AS b,
        a.packets_total + a.reverse_packets AS p, a.flow_count + a.reverse_flows AS f,
        a.new_sessions AS s, a.bytes_total AS rb, a.packets_total AS rp, a.flow_count AS rf
      FROM flow_aggregates AS a
      INNER JOIN ${EDGES} AS e
        ON a.src_ip = e.client_ip AND a.dst_ip = e.server_ip AND a.dst_port = e.server_port
        AND a.ip_protocol = e.ip_protocol
      WHERE ${DAY_WHERE}
      UNION ALL
      SELECT e.n AS n, a.window_start AS w, a.bytes_total + a.reverse_bytes AS b,
        a.packets_total + a.reverse_packets AS p, a.flow_count + a.reverse_flows AS f,
        toUInt64(0) AS s, a.reverse_bytes AS rb, a.reverse_packets AS rp, a.reverse_flows AS rf
      FROM flow_aggregates AS a
      INNER JOIN ${EDGES} AS e
        ON a.src_ip = e.server_ip AND a.src_port = e.server_port AND a.dst_ip = e.client_ip
        AND a.ip_protocol = e.ip_protocol
      WHERE ${DAY_WHERE}
    )
    GROUP BY n, w
  )
  GROUP BY n
) AS r
INNER JOIN ${EDGES} AS e ON r.n = e.n
SETTINGS ${NICE}`;

export const DELETE_DAY_SQL = `DELETE FROM dependency_stats
WHERE stat_date = toDate(toDateTime(intDiv({day:Int64}, 1000), 'UTC'))
${PATCH_DELETE}`;
