/**
 * Which tier answers a query: one rule shared by every backend so they pick the same tier for the same
 * question (the conformance suite relies on it).
 *
 * 1. A forced `q.tier` wins.
 * 2. raw when the range lies inside raw retention (from >= now - retention.raw) and spans at most
 *    RAW_MAX_SPAN_MS (6 h): full detail is affordable there.
 * 3. aggregates when from >= now - retention.aggregates.
 * 4. daily otherwise.
 * A tier is only chosen if it has every field the query groups or filters by (fieldsOf below); otherwise
 * the next finer tier that has them is used (daily -> aggregates -> raw).
 *
 * Metrics mean estimated real traffic on every tier: on raw `bytes` = sum(bytes_total * sampling_rate)
 * (likewise packets), on aggregates the already scaled bytes_total / packets_total, on daily the edge's
 * bytes_total / packets_total. `flows` = number of flow records (count / flow_count).
 */
import { DEFAULT_RETENTION, type RetentionPolicy } from '../core/retention.js';
import type { Filter, GroupField, Tier, TopQuery } from './ast.js';

export const RAW_MAX_SPAN_MS = 6 * 3_600_000;

/** Fields each tier can group or filter by. Aggregates collapse ephemeral ports (see rules.ts). */
export const TIER_FIELDS: Record<Tier, ReadonlySet<string>> = {
  raw: new Set<string>([
    'src_ip',
    'dst_ip',
    'src_port',
    'dst_port',
    'ip_protocol',
    'exporter_ip',
    'input_interface',
    'output_interface',
    'src_as',
    'dst_as',
    'protocol_type',
    'next_hop',
  ]),
  aggregates: new Set<string>(['src_ip', 'dst_ip', 'src_port', 'dst_port', 'ip_protocol', 'exporter_ip']),
  /** Daily stats are per dependency edge: src = client, dst = server, dst_port = server port. */
  daily: new Set<string>(['src_ip', 'dst_ip', 'dst_port', 'ip_protocol']),
};

export function filterFields(f: Filter | undefined, out: Set<string> = new Set()): Set<string> {
  if (!f) return out;
  switch (f.op) {
    case 'eq':
    case 'in_cidr':
      out.add(f.field);
      break;
    case 'and':
    case 'or':
      for (const x of f.filters) filterFields(x, out);
      break;
    case 'not':
      filterFields(f.filter, out);
      break;
  }
  return out;
}

export function tierHasFields(tier: Tier, fields: Iterable<GroupField | string>): boolean {
  const have = TIER_FIELDS[tier];
  for (const f of fields) if (!have.has(f)) return false;
  return true;
}

export function pickTier(
  q: Pick<TopQuery, 'from' | 'to' | 'by' | 'filter' | 'tier'>,
  now: number,
  retention: RetentionPolicy = DEFAULT_RETENTION,
): Tier {
  if (q.tier) return q.tier;
  const fields = [...q.by, ...filterFields(q.filter)];
  let tier: Tier;
  if (q.from >= now - retention.raw && q.to - q.from <= RAW_MAX_SPAN_MS) tier = 'raw';
  else if (q.from >= now - retention.aggregates) tier = 'aggregates';
  else tier = 'daily';
  if (tier === 'daily' && !tierHasFields('daily', fields)) tier = 'aggregates';
  if (tier === 'aggregates' && !tierHasFields('aggregates', fields)) tier = 'raw';
  return tier;
}

/** A query the store refuses (unknown field for the tier, a value of the wrong kind): the caller's error. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Fields holding addresses: their values are parsed and bound as addresses. */
export const IP_FIELDS: ReadonlySet<string> = new Set(['src_ip', 'dst_ip', 'exporter_ip', 'next_hop']);

/** Daily stats are per dependency edge: src = client, dst = server, dst_port = server port. */
const DAILY_COLUMN: Record<string, string> = {
  src_ip: 'd.client_ip',
  dst_ip: 'd.server_ip',
  dst_port: 'd.server_port',
  ip_protocol: 'd.ip_protocol',
};

/**
 * The column a field reads on a tier (the daily tier reads the dependency edge joined as `d`); throws
 * QueryError for a field the tier does not keep. Names come from this fixed table, never from query text.
 */
export function tierColumn(tier: Tier, field: string): string {
  if (!TIER_FIELDS[tier].has(field))
    throw new QueryError(`field ${field} is not available on the ${tier} tier`);
  return tier === 'daily' ? DAILY_COLUMN[field] : field;
}
