/**
 * The `dependencies` table (client -> server:port/protocol edges, which the design's rollup joined but never
 * defined) and reading `dependency_stats`. Edges are keyed by id; an upsert keeps the earliest first_seen
 * and the latest last_seen and takes the other fields from the given edge, as in the other backends.
 */
import type pg from 'pg';
import { DAY_MS } from '../../core/rules.js';
import type { DependencyEdge, DependencyStatsRow, DirectionRule } from '../port.js';
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
    byId.set(
      id,
      old
        ? {
            ...e,
            first_seen: Math.min(old.first_seen, e.first_seen),
            last_seen: Math.max(old.last_seen, e.last_seen),
          }
        : e,
    );
  }
  const list = [...byId.values()];
  await pool.query(
    `INSERT INTO dependencies (id, client_ip, server_ip, server_port, ip_protocol, first_seen, last_seen,
                               service_name, direction_rule)
     SELECT * FROM unnest($1::uuid[], $2::inet[], $3::inet[], $4::int[], $5::smallint[], $6::timestamptz[],
                          $7::timestamptz[], $8::text[], $9::text[])
     ON CONFLICT (id) DO UPDATE SET
       client_ip = EXCLUDED.client_ip, server_ip = EXCLUDED.server_ip, server_port = EXCLUDED.server_port,
       ip_protocol = EXCLUDED.ip_protocol,
       first_seen = LEAST(dependencies.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(dependencies.last_seen, EXCLUDED.last_seen),
       service_name = EXCLUDED.service_name, direction_rule = EXCLUDED.direction_rule`,
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
    ],
  );
}

export async function readDependencies(pool: pg.Pool): Promise<DependencyEdge[]> {
  const r = await pool.query(
    `SELECT id::text, host(client_ip) AS client_ip, host(server_ip) AS server_ip, server_port, ip_protocol,
            first_seen, last_seen, service_name, direction_rule
       FROM dependencies ORDER BY id`,
  );
  return r.rows.map((x) => ({
    id: x.id,
    client_ip: x.client_ip,
    server_ip: x.server_ip,
    server_port: x.server_port,
    ip_protocol: x.ip_protocol,
    first_seen: x.first_seen,
    last_seen: x.last_seen,
    service_name: x.service_name,
    direction_rule: x.direction_rule as DirectionRule,
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
            bytes_p50, bytes_p95, bytes_p99
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
  }));
}
