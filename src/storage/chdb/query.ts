/**
 * The ClickHouse spelling of the shared compiler (storage/sql) plus the two row queries of this store.
 * Every value becomes a `{pN:Type}` parameter bound by the engine.
 */
import { parseIp } from '../../core/ip.js';
import { cidrToRange, DAY_MS } from '../../core/rules.js';
import type { AggregateRowsQuery, FlowsQuery, Tier } from '../../query/ast.js';
import { compileFilter, QueryError } from '../sql/compile.js';
import type { Binder, Dialect, ExtLeaf } from '../sql/dialect.js';
import type { Params } from './db.js';
import { hourlySource } from './hourly.js';

export { QueryError };

const TYPES = { ip: 'IPv6', int: 'Int64', text: 'String', uint: 'UInt64', num: 'Float64' } as const;

class ChBinder implements Binder {
  private readonly values: Params = {};
  private n = 0;
  bind(value: unknown, type: keyof typeof TYPES): string {
    return this.typed(TYPES[type], value);
  }
  /** Any ClickHouse type (the dialect's own time and date parameters). */
  typed(type: string, value: unknown): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
  params(): Params {
    return this.values;
  }
}

const DURATION_MS = '(toUnixTimestamp64Milli(flow_end) - toUnixTimestamp64Milli(flow_start))';
const DERIVED = {
  bytes: 'bytes_total',
  packets: 'packets_total',
  duration: DURATION_MS,
  // A rate over a zero duration is undefined (NULL), not infinite.
  bps: `(toFloat64(bytes_total) * 8000 / nullIf(${DURATION_MS}, 0))`,
  pps: `(toFloat64(packets_total) * 1000 / nullIf(${DURATION_MS}, 0))`,
} as const;

/**
 * extended_fields is JSON text here: JSONHas tells a missing path (the leaf is then NULL, as on
 * PostgreSQL where #> yields NULL) from a value of another type (false).
 */
function extSql(leaf: ExtLeaf, b: Binder): string {
  const keys = leaf.path.map((k) => b.bind(k, 'text')).join(', ');
  const at = `extended_fields, ${keys}`;
  if (leaf.test === 'exists') return `JSONHas(${at})`;
  let test: string;
  if (leaf.test === 'eq' && typeof leaf.value === 'number')
    test = `JSONType(${at}) IN ('Int64', 'UInt64', 'Double') AND JSONExtractFloat(${at}) = ${b.bind(leaf.value, 'num')}`;
  else {
    const s = `JSONExtractString(${at})`;
    const v = b.bind(String(leaf.value), 'text');
    const cmp =
      leaf.test === 'eq' ? `${s} = ${v}` : leaf.test === 'like' ? `${s} LIKE ${v}` : `match(${s}, ${v})`;
    test = `JSONType(${at}) = 'String' AND ${cmp}`;
  }
  return `if(JSONHas(${at}), ${test}, NULL)`;
}

/** 16 address bytes as the decimal text of a UInt128 parameter. */
const u128 = (bytes: Uint8Array) => bytes.reduce((n, x) => (n << 8n) | BigInt(x), 0n).toString();

const EDGES = `(SELECT id, client_ip, server_ip, server_port, ip_protocol FROM dependencies FINAL)`;
const dayText = (ms: number) => new Date(Math.ceil(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

export const chdbDialect: Dialect = {
  binder: () => new ChBinder(),
  table: (tier) =>
    tier === 'raw'
      ? 'flow_records'
      : tier === 'aggregates'
        ? 'flow_aggregates'
        : `dependency_stats AS s INNER JOIN ${EDGES} AS d ON s.dependency_id = d.id`,
  timeWhere(tier: Tier, from: number, to: number, binder: Binder): string {
    const b = binder as ChBinder;
    if (tier === 'raw')
      return `flow_start >= fromUnixTimestamp64Milli(${b.typed('Int64', from)}, 'UTC') AND flow_start < fromUnixTimestamp64Milli(${b.typed('Int64', to)}, 'UTC')`;
    // window_start (whole seconds) >= from ms  <=>  window_start >= ceil(from / 1000) s.
    if (tier === 'aggregates')
      return `window_start >= toDateTime(${b.typed('Int64', Math.ceil(from / 1000))}, 'UTC') AND window_start < toDateTime(${b.typed('Int64', Math.ceil(to / 1000))}, 'UTC')`;
    // A day counts when it starts inside [from, to).
    return `s.stat_date >= ${b.typed('Date', dayText(from))} AND s.stat_date < ${b.typed('Date', dayText(to))}`;
  },
  rollup: (_name, from, to, b) => hourlySource(from, to, b as ChBinder),
  scaledSum: (c) => `sum(${c} * toUInt64(greatest(sampling_rate, 1)))`,
  inCidr(col, cidr, binder) {
    const r = cidrToRange(cidr);
    if (!r) return null;
    // Compared as UInt128 (the address read as a big-endian number, the same order as IPv6's): IPv6's own
    // ordering comparison cost about 4 ns a row per bound, the integer one a fraction of it, and a broad
    // tenant scope compares every row with two bounds per network and side (README "Tenants").
    const b = binder as ChBinder;
    return `toUInt128(${col}) BETWEEN ${b.typed('UInt128', u128(r.lo))} AND ${b.typed('UInt128', u128(r.hi))}`;
  },
  ipEquals: (col, value, b) => (parseIp(value) ? `${col} = ${b.bind(value, 'ip')}` : null),
  sentinel: (v) => (v === 0 ? '0' : `toIPv6('::')`),
  output: (expr) => expr,
  orderKey: (expr) => expr,
  textColumn: (col) => col,
  bitAnd: (expr, mask) => `bitAnd(${expr}, ${mask})`,
  derived: (field) => DERIVED[field],
  ext: extSql,
  extValue(path, b) {
    // One parse of the document: the raw JSON text of the value ('' when missing; the engine computes the
    // repeated expression once). A string reads unescaped, a number or boolean as its text, JSON null, an
    // object or an array as NULL (as on PostgreSQL). Limit: the engine's parser refuses a document holding
    // a JSON number of 2^64 or more, whose keys then all read NULL (decoders write such values as strings).
    const raw = `JSONExtractRaw(extended_fields, ${path.map((k) => b.bind(k, 'text')).join(', ')})`;
    return `multiIf(${raw} IN ('', 'null') OR startsWith(${raw}, '{') OR startsWith(${raw}, '['), NULL, startsWith(${raw}, '"'), JSONExtractString(${raw}), ${raw})`;
  },
  bucket(tier, step, binder) {
    const b = binder as ChBinder;
    const ms =
      tier === 'raw'
        ? 'toUnixTimestamp64Milli(flow_start)'
        : tier === 'aggregates'
          ? 'toInt64(toUnixTimestamp(window_start)) * 1000'
          : "toInt64(toUnixTimestamp(toDateTime(s.stat_date, 'UTC'))) * 1000";
    return `intDiv(${ms}, ${b.typed('Int64', step)}) * ${b.typed('Int64', step)}`;
  },
  rankOf(col, kind, values, b) {
    if (values.some((v) => (kind === 'ip' ? typeof v !== 'string' || !parseIp(v) : !Number.isSafeInteger(v))))
      return null;
    const from = values.map((v) => b.bind(v, kind));
    // A NULL column value maps to the default (-1) too: no top key is NULL when this is used.
    return `transform(${col}, [${from.join(', ')}], [${values.map((_v, i) => i).join(', ')}], -1)`;
  },
  aggregateIf(agg, cond) {
    if (agg === 'count(*)') return `countIf(${cond})`;
    const sum = /^sum\((.*)\)$/s.exec(agg);
    if (!sum) throw new QueryError(`no conditional form of the aggregate ${agg}`);
    return `sumIf(${sum[1]}, ${cond})`;
  },
  epochMs: (col) => `toUnixTimestamp64Milli(${col})`,
  timestamp: (ms, binder) => `fromUnixTimestamp64Milli(${(binder as ChBinder).typed('Int64', ms)}, 'UTC')`,
};

export interface Compiled {
  sql: string;
  params: Params;
}

export function compileAggregateRows(q: AggregateRowsQuery): Compiled {
  const b = new ChBinder();
  const where = [chdbDialect.timeWhere('aggregates', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'aggregates', chdbDialect, b));
  // Output aliases end in _o: an alias equal to a column name would replace the column in WHERE. The
  // store reads 64-bit integers as text (store.ts): protocol_sources' counts, a row's flows, stay numbers.
  let sql = `SELECT toUnixTimestamp(window_start) * 1000 AS window_start_o, toUnixTimestamp(window_end) * 1000 AS window_end_o,
  exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol, flow_count, bytes_total, packets_total,
  bytes_sampled, packets_sampled, sampling_rate, tcp_flags_observed, new_sessions, closed_sessions,
  min_duration_ms, max_duration_ms, avg_duration_ms,
  toJSONString(mapSort(CAST(protocol_sources, 'Map(String, UInt32)'))) AS protocol_sources_o,
  toJSONString(map('input', input_interfaces, 'output', output_interfaces)) AS interfaces_o,
  toUInt8(is_internal) AS is_internal_o, traffic_direction,
  src_initiated, dst_initiated, reverse_bytes, reverse_packets, reverse_flows, reverse_tcp_flags
FROM flow_aggregates WHERE ${where.join(' AND ')}
ORDER BY window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol`;
  if (q.limit !== undefined) sql += ` LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), 'uint')}`;
  return { sql, params: b.params() };
}

/** The canonical columns of flow_records as this store reads them (times renamed: see store.ts RENAMED). */
export const FLOW_SELECT = `toUnixTimestamp64Milli(received_at) AS received_at_o, toUnixTimestamp64Milli(flow_start) AS flow_start_o,
  toUnixTimestamp64Milli(flow_end) AS flow_end_o, exporter_ip, exporter_id, protocol_type, src_ip, dst_ip, src_port,
  dst_port, ip_protocol, bytes_total, packets_total, tcp_flags, input_interface, output_interface, src_as, dst_as,
  next_hop, src_vlan, dst_vlan, tos, direction, sampling_rate, extended_fields`;

export function compileFlows(q: FlowsQuery): Compiled {
  const b = new ChBinder();
  const where = [chdbDialect.timeWhere('raw', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'raw', chdbDialect, b));
  const sql = `SELECT ${FLOW_SELECT}
FROM flow_records WHERE ${where.join(' AND ')}
ORDER BY flow_start DESC, exporter_ip, src_ip, dst_ip, src_port, dst_port
LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), 'uint')}`;
  return { sql, params: b.params() };
}
