/**
 * The `dependencies` table (client -> server:port/protocol edges, which the design's rollup joined but never
 * defined) and reading `dependency_stats`. Edges are keyed by id; an upsert keeps the earliest first_seen
 * and the latest last_seen and takes the other fields from the given edge, as in the other backends.
 */

import type pg from 'pg';
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
} from '../port.js';
import { StoreInputError } from './insert.js';
import { canonicalIp } from './query.js';

const iso = (ms: number) => new Date(ms).toISOString();

function ip(text: string, field: string): string {
  const c = canonicalIp(text);
  if (!c) throw new StoreInputError(`${field}: not an IP address: ${JSON.stringify(text)}`);
  return c;
}

export async function writeDependencies(pool: pg.Pool, edges: readonly DependencyEdge[]): Promise<void> {
  if (edges.length === 0) return;
  // One row per id: ON CONFLICT cannot touch the same row twice in one statement. Within a batch the
  // same rule as against the table: earliest first_seen, latest last_seen, other fields from the last.
  const byId = new Map<string, DependencyEdge>();
  for (const e of edges) {
    const id = e.id.toLowerCase();
    const old = byId.get(id);
    byId.set(id, mergeSeen(old, e));
  }
  const list = [...byId.values()].map(normalizeEdge);
  await pool.query(
    `INSERT INTO dependencies (id, client_ip, server_ip, server_port, ip_protocol, first_seen, last_seen,
                               service_name, direction_rule, confidence, idle_since)
     SELECT * FROM unnest($1::uuid[], $2::inet[], $3::inet[], $4::int[], $5::smallint[], $6::timestamptz[],
                          $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
     ON CONFLICT (id) DO UPDATE SET
       client_ip = EXCLUDED.client_ip, server_ip = EXCLUDED.server_ip, server_port = EXCLUDED.server_port,
       ip_protocol = EXCLUDED.ip_protocol,
       first_seen = LEAST(dependencies.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(dependencies.last_seen, EXCLUDED.last_seen),
       service_name = EXCLUDED.service_name, direction_rule = EXCLUDED.direction_rule,
       confidence = EXCLUDED.confidence, idle_since = EXCLUDED.idle_since`,
    [
      list.map((e) => e.id),
      list.map((e) => ip(e.client_ip, 'client_ip')),
      list.map((e) => ip(e.server_ip, 'server_ip')),
      list.map((e) => e.server_port),
      list.map((e) => e.ip_protocol),
      list.map((e) => iso(e.first_seen)),
      list.map((e) => iso(e.last_seen)),
      list.map((e) => e.service_name),
      list.map((e) => e.direction_rule),
      list.map((e) => e.confidence),
      list.map((e) => (e.idle_since === null ? null : iso(e.idle_since))),
    ],
  );
}

const EDGE_COLUMNS = `d.id::text, host(d.client_ip) AS client_ip, host(d.server_ip) AS server_ip, d.server_port,
  d.ip_protocol, d.first_seen, d.last_seen, d.service_name, d.direction_rule, d.confidence, d.idle_since`;

function edgeOf(x: Record<string, unknown>): DependencyEdge {
  return {
    id: x.id as string,
    client_ip: x.client_ip as string,
    server_ip: x.server_ip as string,
    server_port: x.server_port as number,
    ip_protocol: x.ip_protocol as number,
    first_seen: x.first_seen as number,
    last_seen: x.last_seen as number,
    service_name: x.service_name as string | null,
    direction_rule: x.direction_rule as DirectionRule,
    confidence: x.confidence as Confidence,
    idle_since: x.idle_since as number | null,
  };
}

export async function readDependencies(pool: pg.Pool, around?: readonly string[]): Promise<DependencyEdge[]> {
  // Addresses that are not addresses match nothing (canonicalIp: null), rather than failing the read.
  const near = around?.map(canonicalIp).filter((a): a is string => a !== null);
  const r = await pool.query(
    `SELECT ${EDGE_COLUMNS} FROM dependencies d
      ${near ? 'WHERE d.client_ip = ANY($1::inet[]) OR d.server_ip = ANY($1::inet[])' : ''} ORDER BY d.id`,
    near ? [near] : [],
  );
  return r.rows.map(edgeOf);
}

/**
 * FlowStore.dependenciesBetween: each pair looked up both ways round on the edge key's index (client,
 * server first), so the read costs the pairs, not the table.
 */
export async function readDependenciesBetween(
  pool: pg.Pool,
  pairs: readonly HostPair[],
): Promise<DependencyEdge[]> {
  const both = pairs.flatMap((p) => {
    const a = canonicalIp(p.a);
    const b = canonicalIp(p.b);
    return a && b ? [[p.ip_protocol, a, b] as const, [p.ip_protocol, b, a] as const] : [];
  });
  if (both.length === 0) return [];
  const r = await pool.query(
    `SELECT DISTINCT ${EDGE_COLUMNS}
       FROM unnest($1::smallint[], $2::inet[], $3::inet[]) AS p(proto, client, server)
       JOIN dependencies d ON d.client_ip = p.client AND d.server_ip = p.server AND d.ip_protocol = p.proto
      ORDER BY 1`,
    [both.map((x) => x[0]), both.map((x) => x[1]), both.map((x) => x[2])],
  );
  return r.rows.map(edgeOf);
}

/** FlowStore.markIdleDependencies. */
export async function markIdle(pool: pg.Pool, before: number): Promise<number> {
  const r = await pool.query(
    'UPDATE dependencies SET idle_since = last_seen WHERE idle_since IS NULL AND last_seen < $1',
    [iso(before)],
  );
  return r.rowCount ?? 0;
}

export async function deleteDependencies(pool: pg.Pool, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query('DELETE FROM dependency_changes WHERE dependency_id = ANY($1::uuid[])', [ids]);
  await pool.query('DELETE FROM dependencies WHERE id = ANY($1::uuid[])', [ids]);
}

const SIDE_COLUMNS = ['client_ip', 'server_ip', 'server_port', 'rule', 'confidence'] as const;

export async function writeChanges(pool: pg.Pool, changes: readonly DependencyChange[]): Promise<void> {
  if (changes.length === 0) return;
  const col = (p: 'from' | 'to', k: (typeof SIDE_COLUMNS)[number]) =>
    changes.map((c) => (k.endsWith('_ip') ? ip(c[p][k] as string, `${p}.${k}`) : c[p][k]));
  await pool.query(
    `INSERT INTO dependency_changes (dependency_id, at, from_client_ip, from_server_ip, from_server_port,
        from_rule, from_confidence, to_client_ip, to_server_ip, to_server_port, to_rule, to_confidence)
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::inet[], $4::inet[], $5::int[], $6::text[],
                          $7::text[], $8::inet[], $9::inet[], $10::int[], $11::text[], $12::text[])
     ON CONFLICT DO NOTHING`,
    [
      changes.map((c) => c.dependency_id),
      changes.map((c) => iso(c.at)),
      ...SIDE_COLUMNS.map((k) => col('from', k)),
      ...SIDE_COLUMNS.map((k) => col('to', k)),
    ],
  );
}

export async function readChanges(pool: pg.Pool, from: number, to: number): Promise<DependencyChange[]> {
  // Bounds beyond what TIMESTAMPTZ holds (a "whole history" range) are clamped to years 1..9999.
  const clamp = (ms: number) => iso(Math.min(Math.max(ms, -62_135_596_800_000), 253_402_300_799_999));
  const r = await pool.query(
    `SELECT dependency_id::text, at, host(from_client_ip) AS from_client_ip, host(from_server_ip) AS from_server_ip,
            from_server_port, from_rule, from_confidence, host(to_client_ip) AS to_client_ip,
            host(to_server_ip) AS to_server_ip, to_server_port, to_rule, to_confidence
       FROM dependency_changes WHERE at >= $1 AND at < $2
      ORDER BY at, dependency_id, to_server_ip, to_server_port`,
    [clamp(from), clamp(to)],
  );
  const side = (x: Record<string, unknown>, p: 'from' | 'to') => ({
    client_ip: x[`${p}_client_ip`] as string,
    server_ip: x[`${p}_server_ip`] as string,
    server_port: Number(x[`${p}_server_port`]),
    rule: x[`${p}_rule`] as DirectionRule,
    confidence: x[`${p}_confidence`] as Confidence,
  });
  return r.rows.map((x) => ({
    dependency_id: x.dependency_id,
    at: x.at,
    from: side(x, 'from'),
    to: side(x, 'to'),
  }));
}

/** Daily rows of the days starting in [from, to), ordered by day then edge id. */
export async function readDependencyStats(
  pool: pg.Pool,
  from: number,
  to: number,
): Promise<DependencyStatsRow[]> {
  const d0 = iso(Math.ceil(from / DAY_MS) * DAY_MS).slice(0, 10);
  const d1 = iso(Math.ceil(to / DAY_MS) * DAY_MS).slice(0, 10);
  const r = await pool.query(
    `SELECT stat_date, dependency_id::text, bytes_total, packets_total, flow_count, sessions_total, sessions_peak,
            first_seen_today, last_seen_today, active_minutes, bytes_per_hour::text AS bytes_per_hour,
            bytes_p50, bytes_p95, bytes_p99, request_bytes, request_packets, request_flows
       FROM dependency_stats WHERE stat_date >= $1::date AND stat_date < $2::date
      ORDER BY stat_date, dependency_id`,
    [d0, d1],
  );
  return r.rows.map((x) => ({
    stat_date: x.stat_date,
    dependency_id: x.dependency_id,
    bytes_total: Number(x.bytes_total),
    packets_total: Number(x.packets_total),
    flow_count: Number(x.flow_count),
    sessions_total: x.sessions_total,
    sessions_peak: x.sessions_peak,
    first_seen_today: x.first_seen_today,
    last_seen_today: x.last_seen_today,
    active_minutes: x.active_minutes,
    bytes_per_hour: (x.bytes_per_hour as string).replace(/[{}]/g, '').split(',').filter(Boolean).map(Number),
    bytes_p50: x.bytes_p50 === null ? null : Number(x.bytes_p50),
    bytes_p95: x.bytes_p95 === null ? null : Number(x.bytes_p95),
    bytes_p99: x.bytes_p99 === null ? null : Number(x.bytes_p99),
    request_bytes: x.request_bytes === null ? null : Number(x.request_bytes),
    request_packets: x.request_packets === null ? null : Number(x.request_packets),
    request_flows: x.request_flows === null ? null : Number(x.request_flows),
  }));
}
