/**
 * A synthetic dependency map for tests and the bench: `edges` edges over `days` days of daily stats, the
 * stats written by the engine itself from one formula (SQL on each backend), so 300k rows take seconds, and
 * the same formula in TypeScript is the reference the tests hold the views and the diff against.
 *
 * Over the second half of the days: edges i % 10 = 0 are new, i % 10 = 1 have vanished, i % 10 = 2 carry
 * three times the bytes (changed), i % 10 = 3 keep their bytes but have four times the p95 (burstier:
 * changed by p95 alone); the rest keep their pattern (same).
 */
import { DAY_MS } from '../../core/rules.js';
import type { DependencyEdge, FlowStore, HostLabel } from '../../storage/port.js';

// What each backend offers tests and benchmarks for direct SQL (structural: only src/app names backends).
interface EngineSql {
  exec(sql: string): Promise<void>;
}
interface PoolSql {
  pool: { query(sql: string): Promise<unknown> };
}

/** A label giving a prefix a group (tests add a name, service or validity through `more`). */
export const groupLabel = (cidr: string, group: string, more: Partial<HostLabel> = {}): HostLabel => ({
  cidr,
  name: '',
  group,
  service: null,
  port: null,
  valid_from: null,
  valid_to: null,
  ...more,
});

export interface SeedOptions {
  edges: number;
  days: number;
  /** The first day (UTC midnight). */
  day0: number;
}

/** Host k: 64 per /24 (10.K.0.1-64), so prefixes of several lengths hold several hosts. */
export const hostIp = (k: number) => `10.${(k >> 6) & 255}.0.${(k & 63) + 1}`;
export const edgeIdOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

export function seedEdges(o: SeedOptions): DependencyEdge[] {
  const hosts = Math.max(256, Math.ceil(o.edges / 10));
  const out: DependencyEdge[] = [];
  for (let i = 0; i < o.edges; i++) {
    const c = i % hosts;
    let s = (c * 31 + 7 + Math.floor(i / hosts)) % hosts;
    if (s === c) s = (s + 1) % hosts;
    out.push({
      id: edgeIdOf(i),
      client_ip: hostIp(c),
      server_ip: hostIp(s),
      // (client, port) is unique per edge: port = the edge's round over the hosts.
      server_port: 1000 + Math.floor(i / hosts),
      ip_protocol: i % 7 === 0 ? 17 : 6,
      first_seen: o.day0,
      last_seen: o.day0 + o.days * DAY_MS - 1,
      service_name: null,
      direction_rule: 'service_port',
      confidence: 'medium',
      idle_since: null,
    });
  }
  return out;
}

/** The reference: the daily p95 of 5-minute bytes of edge i on day d (null when it did not talk). */
export function seedP95(i: number, d: number, days: number): number | null {
  const b = seedBytes(i, d, days);
  if (b === 0) return null;
  return Math.floor(b / 288) * (i % 10 === 3 && d >= Math.floor(days / 2) ? 4 : 1);
}

/** The reference: bytes of edge i on day d (0 when the edge did not talk that day). */
export function seedBytes(i: number, d: number, days: number): number {
  const half = Math.floor(days / 2);
  if ((i % 10 === 0 && d < half) || (i % 10 === 1 && d >= half)) return 0;
  return (((i * 7919 + d * 104729) % 99991) + 1) * (i % 10 === 2 && d >= half ? 3 : 1);
}

// The same formula in SQL (i, d, half bound by the subquery; both engines read % and CASE alike).
const ACTIVE = 'NOT ((i % 10 = 0 AND d < half) OR (i % 10 = 1 AND d >= half))';
const BYTES =
  '((i * 7919 + d * 104729) % 99991 + 1) * (CASE WHEN i % 10 = 2 AND d >= half THEN 3 ELSE 1 END)';
const P95_TIMES = '(CASE WHEN i % 10 = 3 AND d >= half THEN 4 ELSE 1 END)';

export async function seedMap(store: FlowStore, o: SeedOptions): Promise<DependencyEdge[]> {
  const edges = seedEdges(o);
  for (let k = 0; k < edges.length; k += 5000) await store.upsertDependencies(edges.slice(k, k + 5000));
  const half = Math.floor(o.days / 2);
  const n = o.edges;
  const d0 = new Date(o.day0).toISOString().slice(0, 10);
  if (store.capabilities.engine === 'chdb') {
    await (store as unknown as EngineSql).exec(
      `INSERT INTO dependency_stats (stat_date, dependency_id, bytes_total, packets_total, flow_count,
         sessions_total, sessions_peak, active_minutes, bytes_per_hour, bytes_p95, request_bytes, request_packets,
         request_flows)
       SELECT toDate('${d0}') + d, toUUID(concat('00000000-0000-4000-8000-', leftPad(lower(hex(i)), 12, '0'))),
         ${BYTES} AS b, intDiv(b, 100) + 1, intDiv(b, 1000) + 1, 1, 1, 5, [], intDiv(b, 288) * ${P95_TIMES},
         intDiv(b, 4), intDiv(b, 400), 1 -- the request side: seedRequest
       FROM (SELECT number % ${n} AS i, intDiv(number, ${n}) AS d, ${half} AS half FROM numbers(${n * o.days}))
       WHERE ${ACTIVE}`,
    );
  } else {
    await (store as unknown as PoolSql).pool.query(
      `INSERT INTO dependency_stats (stat_date, dependency_id, bytes_total, packets_total, flow_count,
         sessions_total, sessions_peak, active_minutes, bytes_p95, request_bytes, request_packets, request_flows)
       SELECT ('${d0}'::date + d::int), ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
         b, b / 100 + 1, b / 1000 + 1, 1, 1, 5, b / 288 * p95x, b / 4, b / 400, 1 -- the request side: seedRequest
       FROM (SELECT i, d, ${BYTES} AS b, ${P95_TIMES} AS p95x FROM (SELECT g % ${n} AS i, g / ${n} AS d, ${half} AS half
             FROM generate_series(0::bigint, ${n * o.days - 1}) g) x WHERE ${ACTIVE}) y`,
    );
    await (store as unknown as PoolSql).pool.query('ANALYZE dependency_stats');
  }
  return edges;
}

/** The request side of a seeded day: a quarter of its bytes, rounded down (as seedMap stores it). */
export const seedRequest = (bytes: number) => Math.floor(bytes / 4);

/**
 * A day rolled up before the request side was kept: a stats row of `bytes` without request_* (NULL), as
 * the migration leaves older days.
 */
export async function seedLegacyDay(
  store: FlowStore,
  o: { edgeId: string; day: number; bytes: number },
): Promise<void> {
  const d = new Date(o.day).toISOString().slice(0, 10);
  const sql = `INSERT INTO dependency_stats (stat_date, dependency_id, bytes_total, packets_total, flow_count,
     sessions_total, sessions_peak, active_minutes)
     VALUES ('${d}', '${o.edgeId}', ${o.bytes}, 1, 1, 1, 1, 5)`;
  if (store.capabilities.engine === 'chdb') await (store as unknown as EngineSql).exec(sql);
  else await (store as unknown as PoolSql).pool.query(sql);
}
