/**
 * The PostgreSQL spelling of the shared compiler (storage/sql) plus the two row queries of this store:
 * `$1..$n` parameters, inet addresses, the enum compared as text.
 *
 * Results match the other backends (storage/conformance): metrics as compile.ts defines them, ties ordered
 * by the grouped fields with addresses compared in the IPv6 (IPv4-mapped) space every backend sorts by.
 */
import { parseIp } from '../../core/ip.js';
import { DAY_MS } from '../../core/rules.js';
import type { AggregateRowsQuery, FlowsQuery, Tier } from '../../query/ast.js';
import { compileFilter, QueryError } from '../sql/compile.js';
import type { Binder, Dialect, ExtLeaf } from '../sql/dialect.js';

export { QueryError };

/** Sort key of an address in the IPv6 space (IPv4 as ::ffff:a.b.c.d), as the other backends sort. */
const ipOrder = (expr: string) =>
  `(CASE WHEN family(${expr}) = 4 THEN ('::ffff:' || host(${expr}))::inet ELSE ${expr} END)`;

/** IPv4-mapped IPv6 literals are the IPv4 address (that is how they are stored, see insert.ts). */
export function canonicalIp(text: string): string | null {
  const b = parseIp(text);
  if (!b) return null;
  if (b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  return text;
}

/** A CIDR as a bound inet; an IPv4-mapped IPv6 prefix of /96 or longer becomes the IPv4 prefix. */
function cidrParam(cidr: string): string | null {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const len = slash < 0 ? null : cidr.slice(slash + 1);
  if (len !== null && !/^\d{1,3}$/.test(len)) return null;
  const b = parseIp(addr);
  if (!b) return null;
  const max = b.length * 8;
  const n = len === null ? max : Number(len);
  if (n > max) return null;
  const mapped = b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped && n >= 96) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}/${n - 96}`;
  return `${addr}/${n}`;
}

const TYPES = {
  ip: '::inet',
  int: '::bigint',
  text: '::text',
  uint: '::bigint',
  num: '::numeric',
  none: '',
} as const;

const DURATION_MS = '(extract(epoch FROM flow_end - flow_start) * 1000)';
const DERIVED = {
  bytes: 'bytes_total',
  packets: 'packets_total',
  duration: DURATION_MS,
  // A rate over a zero duration is undefined (NULL), not infinite.
  bps: `(bytes_total * 8000.0 / NULLIF(${DURATION_MS}, 0))`,
  pps: `(packets_total * 1000.0 / NULLIF(${DURATION_MS}, 0))`,
} as const;

/**
 * extended_fields is jsonb: #> yields NULL for a missing path (the leaf is then unknown) and the value
 * otherwise; a value of another JSON type compares false.
 */
function extSql(leaf: ExtLeaf, b: Binder): string {
  const v = `(extended_fields #> ARRAY[${leaf.path.map((k) => b.bind(k, 'text')).join(', ')}])`;
  if (leaf.test === 'exists') return `(${v} IS NOT NULL)`;
  if (leaf.test === 'eq')
    return typeof leaf.value === 'number'
      ? `(${v} = to_jsonb(${b.bind(leaf.value, 'num')}))`
      : `(${v} = to_jsonb(${b.bind(leaf.value, 'text')}))`;
  const op = leaf.test === 'like' ? 'LIKE' : '~';
  return `(CASE WHEN ${v} IS NULL THEN NULL WHEN jsonb_typeof(${v}) = 'string' THEN (${v} #>> '{}') ${op} ${b.bind(leaf.value, 'text')} ELSE false END)`;
}

class PgBinder implements Binder {
  readonly values: unknown[] = [];
  bind(value: unknown, type: keyof typeof TYPES): string {
    this.values.push(value);
    return `$${this.values.length}${TYPES[type]}`;
  }
  params(): unknown[] {
    return this.values;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export const postgresDialect: Dialect = {
  binder: () => new PgBinder(),
  table: (tier) =>
    tier === 'raw'
      ? 'flow_records'
      : tier === 'aggregates'
        ? 'flow_aggregates'
        : 'dependency_stats s JOIN dependencies d ON s.dependency_id = d.id',
  /** Rows count when their tier time lies in [from, to): raw flow_start, aggregates window_start, daily day. */
  timeWhere(tier: Tier, from: number, to: number, binder: Binder): string {
    const b = binder as PgBinder;
    if (tier === 'raw')
      return `flow_start >= ${b.bind(iso(from), 'none')} AND flow_start < ${b.bind(iso(to), 'none')}`;
    if (tier === 'aggregates')
      return `window_start >= ${b.bind(iso(from), 'none')} AND window_start < ${b.bind(iso(to), 'none')}`;
    // A day counts when it starts inside [from, to).
    const d0 = iso(Math.ceil(from / DAY_MS) * DAY_MS).slice(0, 10);
    const d1 = iso(Math.ceil(to / DAY_MS) * DAY_MS).slice(0, 10);
    return `s.stat_date >= ${b.bind(d0, 'none')}::date AND s.stat_date < ${b.bind(d1, 'none')}::date`;
  },
  scaledSum: (c) => `sum(${c}::numeric * GREATEST(sampling_rate, 1))`,
  inCidr(col, cidr, b) {
    const net = cidrParam(cidr);
    if (!net) return null;
    if (!net.includes(':')) return `${col} <<= ${b.bind(net, 'ip')}`;
    // In the IPv6 space the backends share, an IPv6 prefix that covers ::ffff:0:0/96 (e.g. ::/0) also
    // holds every IPv4 address, which PostgreSQL stores as family 4.
    const p = b.bind(net, 'ip');
    return `(${col} <<= ${p} OR (family(${col}) = 4 AND '::ffff:0.0.0.0/96'::inet <<= ${p}))`;
  },
  ipEquals(col, value, b) {
    const ip = canonicalIp(value);
    return ip ? `${col} = ${b.bind(ip, 'ip')}` : null;
  },
  sentinel: (v) => (v === 0 ? '0' : `'::'::inet`),
  output: (expr, kind) => (kind === 'ip' ? `host(${expr})` : expr),
  orderKey: (expr, kind) => (kind === 'ip' ? ipOrder(expr) : expr),
  // Output and ordering treat the enum as its label (alphabetical), like the other backends' strings.
  textColumn: (col) => `${col}::text`,
  bitAnd: (expr, mask) => `(${expr} & ${mask})`,
  derived: (field) => DERIVED[field],
  ext: extSql,
  extValue(path, b) {
    // -> with a text key reads objects only (#> would index an array by a digit key); a string reads
    // unquoted, a number or boolean as its JSON text, JSON null, an object or an array as NULL.
    const v = `(extended_fields${path.map((k) => ` -> ${b.bind(k, 'text')}`).join('')})`;
    return `(CASE WHEN jsonb_typeof(${v}) IN ('string', 'number', 'boolean') THEN ${v} #>> '{}' END)`;
  },
  bucket(tier, step, b) {
    const t =
      tier === 'raw' ? 'flow_start' : tier === 'aggregates' ? 'window_start' : 's.stat_date::timestamp';
    // extract() is numeric (exact) since PostgreSQL 14; floor of the quotient, times the step.
    return `(floor(extract(epoch FROM ${t}) * 1000 / ${b.bind(step, 'int')}) * ${b.bind(step, 'int')})::bigint`;
  },
  epochMs: (col) => `(extract(epoch FROM ${col}) * 1000)::bigint`,
  timestamp: (ms, b) => `${(b as PgBinder).bind(iso(ms), 'none')}::timestamptz`,
};

export interface Compiled {
  sql: string;
  values: unknown[];
}

export function compileAggregateRows(q: AggregateRowsQuery): Compiled {
  const b = new PgBinder();
  const where = [postgresDialect.timeWhere('aggregates', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'aggregates', postgresDialect, b));
  let sql = `SELECT (extract(epoch FROM window_start) * 1000)::bigint AS window_start,
  (extract(epoch FROM window_end) * 1000)::bigint AS window_end,
  host(exporter_ip) AS exporter_ip, host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port,
  ip_protocol, flow_count, bytes_total, packets_total, bytes_sampled, packets_sampled, sampling_rate,
  tcp_flags_observed, new_sessions, closed_sessions, min_duration_ms, max_duration_ms, avg_duration_ms,
  protocol_sources, interfaces, is_internal::int AS is_internal, traffic_direction,
  src_initiated, dst_initiated, reverse_bytes, reverse_packets, reverse_flows, reverse_tcp_flags
FROM flow_aggregates a WHERE ${where.join(' AND ')}
ORDER BY a.window_start, ${ipOrder('a.exporter_ip')}, ${ipOrder('a.src_ip')}, ${ipOrder('a.dst_ip')},
  a.src_port, a.dst_port, a.ip_protocol`;
  if (q.limit !== undefined) sql += ` LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), 'uint')}`;
  return { sql, values: b.values };
}

const ms = (c: string) => `(extract(epoch FROM ${c}) * 1000)::float8 AS ${c}`;
/** The canonical columns of flow_records as this store reads them (addresses as text, times in ms). */
export const FLOW_SELECT = `${ms('received_at')}, ${ms('flow_start')}, ${ms('flow_end')},
  host(exporter_ip) AS exporter_ip, exporter_id, protocol_type::text AS protocol_type,
  host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port, ip_protocol, bytes_total, packets_total,
  tcp_flags, input_interface, output_interface, src_as, dst_as, host(next_hop) AS next_hop, src_vlan, dst_vlan,
  tos, direction, sampling_rate, COALESCE(extended_fields_raw, extended_fields::text) AS extended_fields`;

export function compileFlows(q: FlowsQuery): Compiled {
  const b = new PgBinder();
  const where = [postgresDialect.timeWhere('raw', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'raw', postgresDialect, b));
  const sql = `SELECT ${FLOW_SELECT}
FROM flow_records r WHERE ${where.join(' AND ')}
ORDER BY r.flow_start DESC, ${ipOrder('r.exporter_ip')}, ${ipOrder('r.src_ip')}, ${ipOrder('r.dst_ip')},
  r.src_port, r.dst_port
LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), 'uint')}`;
  return { sql, values: b.values };
}
