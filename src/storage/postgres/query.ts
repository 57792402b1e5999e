/**
 * Query AST -> parametrized PostgreSQL SQL ($1..$n). Column names come from fixed tables keyed by the AST's
 * enumerated fields, never from query text; every value travels as a bound parameter.
 *
 * Results match the other backends (storage/conformance): tier chosen by storage/query/tier.ts, metrics as
 * tier.ts defines them (raw bytes = sum(bytes_total * sampling_rate)), ties ordered by the grouped fields
 * with addresses compared in the IPv6 (IPv4-mapped) space every backend sorts by.
 */
import { parseIp } from '../../core/ip.js';
import { DAY_MS } from '../../core/rules.js';
import type { AggregateRowsQuery, Filter, FlowsQuery, Metric, Tier, TopQuery } from '../../query/ast.js';
import { IP_FIELDS, QueryError, tierColumn } from '../../query/tiers.js';

export { QueryError };

export function column(tier: Tier, field: string): string {
  const col = tierColumn(tier, field);
  // Output and ordering treat the enum as its label (alphabetical), like the other backends' strings.
  return col === 'protocol_type' ? 'protocol_type::text' : col;
}

/** Sort key of an address in the IPv6 space (IPv4 as ::ffff:a.b.c.d), as the other backends sort. */
const ipOrder = (expr: string) =>
  `(CASE WHEN family(${expr}) = 4 THEN ('::ffff:' || host(${expr}))::inet ELSE ${expr} END)`;

export class Binder {
  readonly values: unknown[] = [];
  bind(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

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

export function compileFilter(f: Filter, tier: Tier, b: Binder): string {
  switch (f.op) {
    case 'eq': {
      const col = column(tier, f.field);
      if (IP_FIELDS.has(f.field)) {
        const ip = typeof f.value === 'string' ? canonicalIp(f.value) : null;
        if (!ip) throw new QueryError(`filter ${f.field}: not an IP address: ${JSON.stringify(f.value)}`);
        return `${col} = ${b.bind(ip, '::inet')}`;
      }
      if (f.field === 'protocol_type') return `${col} = ${b.bind(String(f.value), '::text')}`;
      const n = typeof f.value === 'number' ? f.value : Number(f.value);
      if (!Number.isSafeInteger(n)) {
        throw new QueryError(`filter ${f.field}: not an integer: ${JSON.stringify(f.value)}`);
      }
      return `${col} = ${b.bind(n, '::bigint')}`;
    }
    case 'in_cidr': {
      const col = column(tier, f.field);
      const net = cidrParam(f.cidr);
      if (!net) throw new QueryError(`filter ${f.field}: not a CIDR: ${JSON.stringify(f.cidr)}`);
      if (!net.includes(':')) return `${col} <<= ${b.bind(net, '::inet')}`;
      // In the IPv6 space the backends share, an IPv6 prefix that covers ::ffff:0:0/96 (e.g. ::/0) also
      // holds every IPv4 address, which PostgreSQL stores as family 4.
      const p = b.bind(net, '::inet');
      return `(${col} <<= ${p} OR (family(${col}) = 4 AND '::ffff:0.0.0.0/96'::inet <<= ${p}))`;
    }
    case 'and':
    case 'or': {
      if (f.filters.length === 0) return f.op === 'and' ? 'true' : 'false';
      return `(${f.filters.map((x) => compileFilter(x, tier, b)).join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      // Three-valued logic like every SQL backend: NOT of a comparison with NULL keeps the row out.
      return `NOT (${compileFilter(f.filter, tier, b)})`;
  }
}

function metricExpr(tier: Tier, metric: Metric): string {
  if (tier === 'raw') {
    if (metric === 'bytes') return 'sum(bytes_total::numeric * GREATEST(sampling_rate, 1))';
    if (metric === 'packets') return 'sum(packets_total::numeric * GREATEST(sampling_rate, 1))';
    return 'count(*)';
  }
  const prefix = tier === 'daily' ? 's.' : '';
  if (metric === 'bytes') return `sum(${prefix}bytes_total)`;
  if (metric === 'packets') return `sum(${prefix}packets_total)`;
  return `sum(${prefix}flow_count)`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Rows count when their tier time lies in [from, to): raw flow_start, aggregates window_start, daily day. */
function timeWhere(tier: Tier, from: number, to: number, b: Binder): string {
  if (tier === 'raw') return `flow_start >= ${b.bind(iso(from))} AND flow_start < ${b.bind(iso(to))}`;
  if (tier === 'aggregates') {
    return `window_start >= ${b.bind(iso(from))} AND window_start < ${b.bind(iso(to))}`;
  }
  // A day counts when it starts inside [from, to).
  const d0 = iso(Math.ceil(from / DAY_MS) * DAY_MS).slice(0, 10);
  const d1 = iso(Math.ceil(to / DAY_MS) * DAY_MS).slice(0, 10);
  return `s.stat_date >= ${b.bind(d0, '::date')} AND s.stat_date < ${b.bind(d1, '::date')}`;
}

export interface Compiled {
  sql: string;
  values: unknown[];
}

export function compileTop(q: TopQuery, tier: Tier): Compiled {
  const b = new Binder();
  const by = q.by.map((f) => ({ name: f, col: column(tier, f) }));
  const from =
    tier === 'raw'
      ? 'flow_records'
      : tier === 'aggregates'
        ? 'flow_aggregates'
        : 'dependency_stats s JOIN dependencies d ON s.dependency_id = d.id';
  const where = [timeWhere(tier, q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, tier, b));
  const out = (x: { name: string; col: string }) => (IP_FIELDS.has(x.name) ? `host(${x.col})` : x.col);
  const select = [...by.map((x) => `${out(x)} AS ${x.name}`), `${metricExpr(tier, q.metric)} AS ${q.metric}`];
  let sql = `SELECT ${select.join(', ')} FROM ${from} WHERE ${where.join(' AND ')}`;
  if (by.length > 0) {
    const order = by.map((x) => (IP_FIELDS.has(x.name) ? ipOrder(x.col) : x.col));
    sql += ` GROUP BY ${by.map((x) => x.col).join(', ')}`;
    sql += ` ORDER BY ${q.metric} DESC, ${order.join(', ')}`;
    sql += ` LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), '::bigint')}`;
  }
  return { sql, values: b.values };
}

export function compileAggregateRows(q: AggregateRowsQuery): Compiled {
  const b = new Binder();
  const where = [timeWhere('aggregates', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'aggregates', b));
  let sql = `SELECT (extract(epoch FROM window_start) * 1000)::bigint AS window_start,
  (extract(epoch FROM window_end) * 1000)::bigint AS window_end,
  host(exporter_ip) AS exporter_ip, host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port,
  ip_protocol, flow_count, bytes_total, packets_total, bytes_sampled, packets_sampled, sampling_rate,
  tcp_flags_observed, new_sessions, closed_sessions, min_duration_ms, max_duration_ms, avg_duration_ms,
  protocol_sources, interfaces, is_internal::int AS is_internal, traffic_direction
FROM flow_aggregates a WHERE ${where.join(' AND ')}
ORDER BY a.window_start, ${ipOrder('a.exporter_ip')}, ${ipOrder('a.src_ip')}, ${ipOrder('a.dst_ip')},
  a.src_port, a.dst_port, a.ip_protocol`;
  if (q.limit !== undefined) sql += ` LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), '::bigint')}`;
  return { sql, values: b.values };
}

export function compileFlows(q: FlowsQuery): Compiled {
  const b = new Binder();
  const where = [timeWhere('raw', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'raw', b));
  const ms = (c: string) => `(extract(epoch FROM ${c}) * 1000)::float8 AS ${c}`;
  const sql = `SELECT ${ms('received_at')}, ${ms('flow_start')}, ${ms('flow_end')},
  host(exporter_ip) AS exporter_ip, exporter_id, protocol_type::text AS protocol_type,
  host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port, ip_protocol, bytes_total, packets_total,
  tcp_flags, input_interface, output_interface, src_as, dst_as, host(next_hop) AS next_hop, src_vlan, dst_vlan,
  tos, direction, sampling_rate, COALESCE(extended_fields_raw, extended_fields::text) AS extended_fields
FROM flow_records r WHERE ${where.join(' AND ')}
ORDER BY r.flow_start DESC, ${ipOrder('r.exporter_ip')}, ${ipOrder('r.src_ip')}, ${ipOrder('r.dst_ip')},
  r.src_port, r.dst_port
LIMIT ${b.bind(Math.max(0, Math.floor(q.limit)), '::bigint')}`;
  return { sql, values: b.values };
}
