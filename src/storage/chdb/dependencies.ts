/**
 * The dependency tables of the embedded store: `dependencies` (edges, ReplacingMergeTree by id: the
 * highest version is the edge), `dependency_changes` (direction corrections, ReplacingMergeTree on their
 * key so a re-recorded correction stays one row) and reading `dependency_stats`.
 */

import { DAY_MS } from '../../core/rules.js';
import { mergeSeen } from '../edges.js';
import {
  type Confidence,
  type DependencyChange,
  type DependencyEdge,
  type DependencyStatsRow,
  type DirectionRule,
  type HostPair,
  normalizeEdge,
  RULE_CONFIDENCE,
} from '../port.js';
import { type Db, dt64, ipOut, num, numOrNull } from './db.js';

/**
 * Upsert by id: first_seen keeps the earlier, last_seen the later of stored and given; the other fields
 * take the given values (ReplacingMergeTree keeps the highest version).
 */
export async function upsertDependencies(
  db: Db,
  edges: readonly DependencyEdge[],
  version: number,
): Promise<void> {
  if (edges.length === 0) return;
  const existing = new Map<string, DependencyEdge>();
  for (const e of await selectDependencies(db, { ids: edges.map((e) => e.id) })) existing.set(e.id, e);
  const merged = new Map<string, DependencyEdge>();
  for (const e of edges) {
    const old = merged.get(e.id) ?? existing.get(e.id);
    merged.set(e.id, mergeSeen(old, e));
  }
  await db.insertJson(
    'dependencies',
    [...merged.values()].map(normalizeEdge).map((e) => ({
      id: e.id,
      client_ip: e.client_ip,
      server_ip: e.server_ip,
      server_port: e.server_port,
      ip_protocol: e.ip_protocol,
      first_seen: dt64(e.first_seen),
      last_seen: dt64(e.last_seen),
      service_name: e.service_name,
      direction_rule: e.direction_rule,
      confidence: e.confidence,
      idle_since: e.idle_since === null ? null : dt64(e.idle_since),
      version,
    })),
  );
}

/** Which edges a read returns; absent fields do not filter. */
interface EdgeFilter {
  ids?: readonly string[];
  /** Edges whose client or server is one of these addresses. */
  around?: readonly string[];
  /** Edges between the two addresses of a pair, either way round, on its protocol. */
  pairs?: readonly HostPair[];
}

const v6 = (a: string) => (a.includes(':') ? a : `::ffff:${a}`);

export async function selectDependencies(db: Db, filter: EdgeFilter = {}): Promise<DependencyEdge[]> {
  const { ids, around, pairs } = filter;
  // `around` and `pairs` filter after FINAL (the subquery): an edge turned round has older versions with
  // other endpoints, which must not match.
  const outer: string[] = [];
  if (around) outer.push('(has({around:Array(IPv6)}, client_ip) OR has({around:Array(IPv6)}, server_ip))');
  // Tuples travel as three arrays zipped (a nested array parameter is not read as tuples).
  if (pairs)
    outer.push(
      '(ip_protocol, client_ip, server_ip) IN arrayZip({pp:Array(UInt8)}, {pc:Array(IPv6)}, {ps:Array(IPv6)})',
    );
  const both = pairs?.flatMap((p) => [p, { ip_protocol: p.ip_protocol, a: p.b, b: p.a }]);
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT * FROM (SELECT id, toString(id) AS id_s, client_ip, server_ip, server_port, ip_protocol,
       toUnixTimestamp64Milli(first_seen) AS first_ms, toUnixTimestamp64Milli(last_seen) AS last_ms,
       service_name, direction_rule, confidence, toUnixTimestamp64Milli(idle_since) AS idle_ms
     FROM dependencies FINAL ${ids ? 'WHERE id IN {ids:Array(UUID)}' : ''})
     ${outer.length > 0 ? `WHERE ${outer.join(' AND ')}` : ''}
     ORDER BY client_ip, server_ip, server_port, ip_protocol, id`,
    {
      ...(ids ? { ids } : {}),
      ...(around ? { around: around.map(v6) } : {}),
      ...(both
        ? { pp: both.map((p) => p.ip_protocol), pc: both.map((p) => v6(p.a)), ps: both.map((p) => v6(p.b)) }
        : {}),
    },
  );
  return rows.map((r) => {
    const rule = r.direction_rule as DirectionRule;
    return {
      id: String(r.id_s),
      client_ip: ipOut(r.client_ip) as string,
      server_ip: ipOut(r.server_ip) as string,
      server_port: num(r.server_port),
      ip_protocol: num(r.ip_protocol),
      first_seen: num(r.first_ms),
      last_seen: num(r.last_ms),
      service_name: (r.service_name as string | null) ?? null,
      direction_rule: rule,
      // Rows written before migration 4 have '' (the column's default): the rule's usual confidence.
      confidence: (r.confidence as Confidence) || RULE_CONFIDENCE[rule],
      idle_since: numOrNull(r.idle_ms),
    };
  });
}

/** Pairs per read: each is two tuples in the statement's parameters. */
const PAIRS_PER_READ = 5_000;

/** The edges between the hosts of `pairs` (FlowStore.dependenciesBetween), read in slices. */
export async function dependenciesBetween(db: Db, pairs: readonly HostPair[]): Promise<DependencyEdge[]> {
  const byId = new Map<string, DependencyEdge>();
  for (let i = 0; i < pairs.length; i += PAIRS_PER_READ)
    for (const e of await selectDependencies(db, { pairs: pairs.slice(i, i + PAIRS_PER_READ) }))
      byId.set(e.id, e);
  return [...byId.values()];
}

const IDLE_WHERE = `idle_since IS NULL AND last_seen < fromUnixTimestamp64Milli({before:Int64}, 'UTC')`;

/** FlowStore.markIdleDependencies: a new version of each such edge, idle since its last_seen. */
export async function markIdle(db: Db, before: number, version: number): Promise<number> {
  const [c] = await db.rows<{ n: number }>(
    `SELECT count() AS n FROM dependencies FINAL WHERE ${IDLE_WHERE}`,
    {
      before,
    },
  );
  if (num(c.n) === 0) return 0;
  await db.exec(
    `INSERT INTO dependencies (id, client_ip, server_ip, server_port, ip_protocol, first_seen, last_seen,
                               service_name, direction_rule, confidence, idle_since, version)
     SELECT id, client_ip, server_ip, server_port, ip_protocol, first_seen, last_seen, service_name,
            direction_rule, confidence, last_seen, {version:UInt64}
       FROM dependencies FINAL WHERE ${IDLE_WHERE}`,
    { before, version },
  );
  return num(c.n);
}

/** Lightweight deletes: rare (tests and operators), so a mutation's cost is fine. */
export async function removeDependencies(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.exec('DELETE FROM dependencies WHERE id IN {ids:Array(UUID)}', { ids });
  await db.exec('DELETE FROM dependency_changes WHERE dependency_id IN {ids:Array(UUID)}', { ids });
}

export async function recordChanges(db: Db, changes: readonly DependencyChange[]): Promise<void> {
  await db.insertJson(
    'dependency_changes',
    changes.map((c) => ({
      dependency_id: c.dependency_id,
      at: dt64(c.at),
      from_client_ip: c.from.client_ip,
      from_server_ip: c.from.server_ip,
      from_server_port: c.from.server_port,
      from_rule: c.from.rule,
      from_confidence: c.from.confidence,
      to_client_ip: c.to.client_ip,
      to_server_ip: c.to.server_ip,
      to_server_port: c.to.server_port,
      to_rule: c.to.rule,
      to_confidence: c.to.confidence,
    })),
  );
}

export async function listChanges(db: Db, from: number, to: number): Promise<DependencyChange[]> {
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT toString(dependency_id) AS dep, toUnixTimestamp64Milli(at) AS at_ms,
       from_client_ip, from_server_ip, from_server_port, from_rule, from_confidence,
       to_client_ip, to_server_ip, to_server_port, to_rule, to_confidence
     FROM dependency_changes FINAL
     WHERE at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     ORDER BY at, dep, to_server_ip, to_server_port`,
    { from: clampMs(from), to: clampMs(to) },
  );
  const side = (r: Record<string, unknown>, p: 'from' | 'to') => ({
    client_ip: ipOut(r[`${p}_client_ip`]) as string,
    server_ip: ipOut(r[`${p}_server_ip`]) as string,
    server_port: num(r[`${p}_server_port`]),
    rule: r[`${p}_rule`] as DirectionRule,
    confidence: r[`${p}_confidence`] as Confidence,
  });
  return rows.map((r) => ({
    dependency_id: String(r.dep),
    at: num(r.at_ms),
    from: side(r, 'from'),
    to: side(r, 'to'),
  }));
}

/** DateTime64(3) holds 1900..2299: wider bounds (a "whole history" range) are clamped to it. */
function clampMs(ms: number): number {
  return Math.min(Math.max(ms, -2_208_988_800_000), 10_413_791_999_999);
}

export async function dependencyStats(db: Db, from: number, to: number): Promise<DependencyStatsRow[]> {
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT toUnixTimestamp(toDateTime(stat_date, 'UTC')) * 1000 AS stat_ms, toString(dependency_id) AS dep,
       bytes_total, packets_total, flow_count, sessions_total, sessions_peak,
       toUnixTimestamp(first_seen_today) * 1000 AS first_ms, toUnixTimestamp(last_seen_today) * 1000 AS last_ms,
       active_minutes, bytes_per_hour, bytes_p50, bytes_p95, bytes_p99, request_bytes, request_packets, request_flows
     FROM dependency_stats
     WHERE stat_date >= {d0:Date} AND stat_date < {d1:Date}
     ORDER BY stat_date, dependency_id`,
    {
      d0: new Date(Math.ceil(from / DAY_MS) * DAY_MS).toISOString().slice(0, 10),
      d1: new Date(Math.ceil(to / DAY_MS) * DAY_MS).toISOString().slice(0, 10),
    },
  );
  return rows.map((r) => ({
    stat_date: num(r.stat_ms),
    dependency_id: String(r.dep),
    bytes_total: num(r.bytes_total),
    packets_total: num(r.packets_total),
    flow_count: num(r.flow_count),
    sessions_total: num(r.sessions_total),
    sessions_peak: num(r.sessions_peak),
    first_seen_today: numOrNull(r.first_ms),
    last_seen_today: numOrNull(r.last_ms),
    active_minutes: num(r.active_minutes),
    bytes_per_hour: (r.bytes_per_hour as unknown[]).map(num),
    bytes_p50: numOrNull(r.bytes_p50),
    bytes_p95: numOrNull(r.bytes_p95),
    bytes_p99: numOrNull(r.bytes_p99),
    request_bytes: numOrNull(r.request_bytes),
    request_packets: numOrNull(r.request_packets),
    request_flows: numOrNull(r.request_flows),
  }));
}
