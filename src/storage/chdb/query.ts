/**
 * Query AST -> parametrized ClickHouse SQL. Field names come from a fixed table (never from the query
 * text), every value becomes a `{pN:Type}` parameter bound by the engine.
 */
import { ipv6ToString, parseIp } from '../../core/ip.js';
import { cidrToRange, DAY_MS } from '../../core/rules.js';
import type { AggregateRowsQuery, Filter, FlowsQuery, Metric, Tier, TopQuery } from '../../query/ast.js';
import { IP_FIELDS, QueryError, tierColumn } from '../../query/tiers.js';

import type { Params } from './db.js';

export { QueryError };

export const column = tierColumn;

class Binder {
  readonly params: Params = {};
  private n = 0;
  bind(type: string, value: unknown): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }
}

function compileFilter(f: Filter, tier: Tier, b: Binder): string {
  switch (f.op) {
    case 'eq': {
      const col = column(tier, f.field);
      if (IP_FIELDS.has(f.field)) {
        const ip = typeof f.value === 'string' ? parseIp(f.value) : null;
        if (!ip) throw new QueryError(`filter ${f.field}: not an IP address: ${JSON.stringify(f.value)}`);
        return `${col} = ${b.bind('IPv6', f.value)}`;
      }
      if (f.field === 'protocol_type') return `${col} = ${b.bind('String', String(f.value))}`;
      const n = typeof f.value === 'number' ? f.value : Number(f.value);
      if (!Number.isSafeInteger(n))
        throw new QueryError(`filter ${f.field}: not an integer: ${JSON.stringify(f.value)}`);
      return `${col} = ${b.bind('Int64', n)}`;
    }
    case 'in_cidr': {
      const col = column(tier, f.field);
      const r = cidrToRange(f.cidr);
      if (!r) throw new QueryError(`filter ${f.field}: not a CIDR: ${JSON.stringify(f.cidr)}`);
      return `${col} BETWEEN ${b.bind('IPv6', ipv6ToString(r.lo))} AND ${b.bind('IPv6', ipv6ToString(r.hi))}`;
    }
    case 'and':
    case 'or': {
      if (f.filters.length === 0) return f.op === 'and' ? 'true' : 'false';
      return `(${f.filters.map((x) => compileFilter(x, tier, b)).join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `NOT (${compileFilter(f.filter, tier, b)})`;
  }
}

function metricExpr(tier: Tier, metric: Metric): string {
  if (tier === 'raw') {
    if (metric === 'bytes') return 'sum(bytes_total * toUInt64(greatest(sampling_rate, 1)))';
    if (metric === 'packets') return 'sum(packets_total * toUInt64(greatest(sampling_rate, 1)))';
    return 'count()';
  }
  const prefix = tier === 'daily' ? 's.' : '';
  if (metric === 'bytes') return `sum(${prefix}bytes_total)`;
  if (metric === 'packets') return `sum(${prefix}packets_total)`;
  return `sum(${prefix}flow_count)`;
}

/** The time predicate of a tier for [from, to) in ms; rows count when their start time lies inside. */
function timeWhere(tier: Tier, from: number, to: number, b: Binder): string {
  if (tier === 'raw') {
    return `flow_start >= fromUnixTimestamp64Milli(${b.bind('Int64', from)}, 'UTC') AND flow_start < fromUnixTimestamp64Milli(${b.bind('Int64', to)}, 'UTC')`;
  }
  if (tier === 'aggregates') {
    // window_start (whole seconds) >= from ms  <=>  window_start >= ceil(from / 1000) s.
    return `window_start >= toDateTime(${b.bind('Int64', Math.ceil(from / 1000))}, 'UTC') AND window_start < toDateTime(${b.bind('Int64', Math.ceil(to / 1000))}, 'UTC')`;
  }
  const d0 = new Date(Math.ceil(from / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  const d1 = new Date(Math.ceil(to / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  return `s.stat_date >= ${b.bind('Date', d0)} AND s.stat_date < ${b.bind('Date', d1)}`;
}

export interface Compiled {
  sql: string;
  params: Params;
}

export function compileTop(q: TopQuery, tier: Tier): Compiled {
  const b = new Binder();
  const by = q.by.map((f) => ({ name: f, col: column(tier, f) }));
  const from =
    tier === 'raw'
      ? 'flow_records'
      : tier === 'aggregates'
        ? 'flow_aggregates'
        : 'dependency_stats AS s INNER JOIN (SELECT id, client_ip, server_ip, server_port, ip_protocol FROM dependencies FINAL) AS d ON s.dependency_id = d.id';
  const where = [timeWhere(tier, q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, tier, b));
  const select = [...by.map((x) => `${x.col} AS ${x.name}`), `${metricExpr(tier, q.metric)} AS ${q.metric}`];
  const limit = Math.max(0, Math.floor(q.limit));
  let sql = `SELECT ${select.join(', ')} FROM ${from} WHERE ${where.join(' AND ')}`;
  if (by.length > 0) {
    sql += ` GROUP BY ${by.map((x) => x.name).join(', ')}`;
    sql += ` ORDER BY ${q.metric} DESC, ${by.map((x) => x.name).join(', ')}`;
    sql += ` LIMIT ${b.bind('UInt64', limit)}`;
  }
  return { sql, params: b.params };
}

export function compileAggregateRows(q: AggregateRowsQuery): Compiled {
  const b = new Binder();
  const where = [timeWhere('aggregates', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'aggregates', b));
  // Output aliases end in _o: an alias equal to a column name would replace the column in WHERE.
  let sql = `SELECT toUnixTimestamp(window_start) * 1000 AS window_start_o, toUnixTimestamp(window_end) * 1000 AS window_end_o,
  exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol, flow_count, bytes_total, packets_total,
  bytes_sampled, packets_sampled, sampling_rate, tcp_flags_observed, new_sessions, closed_sessions,
  min_duration_ms, max_duration_ms, avg_duration_ms,
  toJSONString(mapSort(protocol_sources)) AS protocol_sources_o,
  toJSONString(map('input', input_interfaces, 'output', output_interfaces)) AS interfaces_o,
  toUInt8(is_internal) AS is_internal_o, traffic_direction
FROM flow_aggregates WHERE ${where.join(' AND ')}
ORDER BY window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol`;
  if (q.limit !== undefined) sql += ` LIMIT ${b.bind('UInt64', Math.max(0, Math.floor(q.limit)))}`;
  return { sql, params: b.params };
}

export function compileFlows(q: FlowsQuery): Compiled {
  const b = new Binder();
  const where = [timeWhere('raw', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'raw', b));
  const sql = `SELECT toUnixTimestamp64Milli(received_at) AS received_at_o, toUnixTimestamp64Milli(flow_start) AS flow_start_o,
  toUnixTimestamp64Milli(flow_end) AS flow_end_o, exporter_ip, exporter_id, protocol_type, src_ip, dst_ip, src_port,
  dst_port, ip_protocol, bytes_total, packets_total, tcp_flags, input_interface, output_interface, src_as, dst_as,
  next_hop, src_vlan, dst_vlan, tos, direction, sampling_rate, extended_fields
FROM flow_records WHERE ${where.join(' AND ')}
ORDER BY flow_start DESC, exporter_ip, src_ip, dst_ip, src_port, dst_port
LIMIT ${b.bind('UInt64', Math.max(0, Math.floor(q.limit)))}`;
  return { sql, params: b.params };
}
