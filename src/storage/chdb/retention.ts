/**
 * Retention per tier: rows whose tier time (raw flow_start, aggregates window_start, daily stat_date) lies
 * before now - retention are removed. Whole partitions past the cutoff are dropped (cheap, metadata only).
 * Aggregates and daily stats: the rows of the one partition that straddles the cutoff are removed with a
 * lightweight DELETE limited to that partition (a patch part, tens of ms), exact to the window / day.
 * Raw flows: whole hourly partitions only (see `align`). TTL (schema.ts) drops partitions inside the engine
 * on its own; this job makes it deterministic and reportable (dry run).
 */

import { DAY_MS } from '../../core/rules.js';
import type { RetentionPolicy, RetentionReport } from '../port.js';
import type { Db } from './db.js';

interface TierSpec {
  tier: 'raw' | 'aggregates' | 'daily';
  table: string;
  /** Condition "older than the cutoff" over a bound parameter {cut:...}. */
  older: string;
  cutParam: (cutoff: number) => unknown;
  /** End (exclusive, ms) of the time range a partition id covers. */
  partitionEnd: (id: string) => number;
  policy: (p: RetentionPolicy) => number;
  /**
   * Raw flows go by whole hourly partitions: the cutoff is rounded down to the hour, so no row is deleted
   * one by one (a lightweight delete over an hour of flows is a mutation of tens of seconds). Up to an
   * hour beyond the retention is kept; the query planner never reads it (raw answers from now - retention).
   */
  align?: (cutoff: number) => number;
  /** Tables derived from this tier's rows (same partitioning), expired with it and not reported apart. */
  rollups?: { table: string; older: string }[];
}

const TIERS: TierSpec[] = [
  {
    tier: 'raw',
    table: 'flow_records',
    older: `flow_start < fromUnixTimestamp64Milli({cut:Int64}, 'UTC')`,
    cutParam: (c) => c,
    // PARTITION BY toStartOfHour(flow_start): the id is the hour's unix seconds.
    partitionEnd: (id) => Number(id) * 1000 + 3_600_000,
    policy: (p) => p.raw,
    align: (c) => Math.floor(c / 3_600_000) * 3_600_000,
  },
  {
    tier: 'aggregates',
    table: 'flow_aggregates',
    older: `window_start < toDateTime({cut:Int64}, 'UTC')`,
    cutParam: (c) => Math.ceil(c / 1000),
    // PARTITION BY toDate(window_start): the id is YYYYMMDD.
    partitionEnd: (id) => Date.UTC(+id.slice(0, 4), +id.slice(4, 6) - 1, +id.slice(6, 8)) + DAY_MS,
    policy: (p) => p.aggregates,
    rollups: [{ table: 'flow_hourly', older: `hour < toDateTime({cut:Int64}, 'UTC')` }],
  },
  {
    tier: 'daily',
    table: 'dependency_stats',
    older: `stat_date < {cut:Date}`,
    cutParam: (c) => new Date(Math.ceil(c / DAY_MS) * DAY_MS).toISOString().slice(0, 10),
    // PARTITION BY toYYYYMM(stat_date): the id is YYYYMM.
    partitionEnd: (id) => Date.UTC(+id.slice(0, 4), +id.slice(4, 6), 1),
    policy: (p) => p.daily,
  },
];

export async function applyRetention(
  db: Db,
  policy: RetentionPolicy,
  options: { dryRun: boolean; now?: number },
): Promise<RetentionReport> {
  const now = options.now ?? Date.now();
  const report: RetentionReport = { dryRun: options.dryRun, tiers: [] };
  for (const t of TIERS) {
    if (!Number.isFinite(t.policy(policy))) continue; // FOREVER: nothing ever expires
    const cutoff = (t.align ?? ((c: number) => c))(now - t.policy(policy));
    const params = { cut: t.cutParam(cutoff) };
    const droppable = await droppablePartitions(db, t.table, (id) => t.partitionEnd(id) <= cutoff);
    const counted = await db.rows<{ n: string | number }>(
      `SELECT count() AS n FROM ${t.table} WHERE ${t.older}`,
      params,
    );
    const rows = Number(counted[0]?.n ?? 0);
    report.tiers.push({ tier: t.tier, cutoff, partitions: droppable.map((id) => `${t.table}:${id}`), rows });
    if (options.dryRun) continue;
    await expire(db, { table: t.table, older: t.older, params, droppable, wholePartitions: !!t.align });
    for (const r of t.rollups ?? []) {
      const ids = await droppablePartitions(db, r.table, (id) => t.partitionEnd(id) <= cutoff);
      await expire(db, { table: r.table, older: r.older, params, droppable: ids, wholePartitions: false });
    }
  }
  return report;
}

/** Partitions of `table` holding rows, by id (digits only: they are inlined in ALTER), that `past` accepts. */
async function droppablePartitions(db: Db, table: string, past: (id: string) => boolean): Promise<string[]> {
  const parts = await db.rows<{ partition_id: string }>(
    `SELECT DISTINCT partition_id FROM system.parts
     WHERE active AND rows > 0 AND database = currentDatabase() AND table = {t:String} ORDER BY partition_id`,
    { t: table },
  );
  return parts.map((p) => p.partition_id).filter((id) => /^\d+$/.test(id) && past(id));
}

async function expire(
  db: Db,
  o: {
    table: string;
    older: string;
    params: Record<string, unknown>;
    droppable: string[];
    wholePartitions: boolean;
  },
): Promise<void> {
  // Partition ids come from system.parts and are checked to be digits: safe to inline (ALTER ... DROP
  // PARTITION takes no bound parameters). One ALTER per 100 partitions: one ALTER each cost about a second
  // per partition after a long downtime.
  for (let i = 0; i < o.droppable.length; i += 100) {
    const drops = o.droppable.slice(i, i + 100).map((id) => `DROP PARTITION ID '${id}'`);
    await db.exec(`ALTER TABLE ${o.table} ${drops.join(', ')}`);
  }
  if (o.wholePartitions) return; // nothing older than the aligned cutoff is left
  // The rows left are in the partition that straddles the cutoff: a lightweight delete limited to it.
  const dropped = new Set(o.droppable);
  const straddling = await db.rows<{ id: string }>(
    `SELECT DISTINCT _partition_id AS id FROM ${o.table} WHERE ${o.older}`,
    o.params,
  );
  for (const { id } of straddling) {
    if (!/^\d+$/.test(id) || dropped.has(id)) continue;
    await db.exec(`DELETE FROM ${o.table} IN PARTITION ID '${id}' WHERE ${o.older}`, o.params);
  }
}
