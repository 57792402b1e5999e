/**
 * Retention per tier: rows whose tier time (raw flow_start, aggregates window_start, daily stat_date) lies
 * before now - retention are removed, exactly, like every backend. Partitions entirely before the cutoff
 * are dropped (catalog only, no row is rewritten); the rows of the one partition that straddles the
 * cutoff and of the default partition are DELETEd. With the job running hourly that DELETE touches at most
 * about an hour of raw flows; the rest of the data goes away by DROP TABLE.
 *
 * The same code serves app-managed and pg_partman-managed partitions: bounds come from the catalog.
 */
import type pg from 'pg';
import { DAY_MS } from '../../core/rules.js';
import type { RetentionPolicy, RetentionReport } from '../port.js';
import { inTransaction } from './db.js';
import { listPartitions, TIERS } from './partitions.js';

export async function applyRetention(
  pool: pg.Pool,
  policy: RetentionPolicy,
  options: { dryRun: boolean; now?: number },
): Promise<RetentionReport> {
  const now = options.now ?? Date.now();
  const report: RetentionReport = { dryRun: options.dryRun, tiers: [] };
  for (const spec of TIERS) {
    if (!Number.isFinite(policy[spec.tier])) continue; // FOREVER: nothing ever expires
    const cutoff = now - policy[spec.tier];
    // A day is older than the cutoff when it starts before the first day boundary at or after the cutoff.
    const effective = spec.keyType === 'date' ? Math.ceil(cutoff / DAY_MS) * DAY_MS : cutoff;
    const cut =
      spec.keyType === 'date'
        ? new Date(effective).toISOString().slice(0, 10)
        : new Date(effective).toISOString();
    const droppable = (await listPartitions(pool, spec)).filter((p) => p.to <= effective);
    const counted = await pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${spec.table} WHERE ${spec.key} < $1::${spec.keyType}`,
      [cut],
    );
    const rows = Number(counted.rows[0]?.n ?? 0);
    report.tiers.push({ tier: spec.tier, cutoff, partitions: droppable.map((p) => p.name), rows });
    if (options.dryRun) continue;
    await inTransaction(pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('flowlens_partitions'))`);
      // Names come from the catalog (pg_inherits of our own table), quoted all the same.
      for (const p of droppable) await c.query(`DROP TABLE IF EXISTS ${c.escapeIdentifier(p.name)}`);
      await c.query(`DELETE FROM ${spec.table} WHERE ${spec.key} < $1::${spec.keyType}`, [cut]);
    });
  }
  return report;
}
