/**
 * The batch ledger of exactly-once inserts (port.ts InsertOptions): one row per stored batch id, written
 * by the insert's own transaction, before its COPY. A batch whose id is already in the ledger is a repeat
 * (a retry of an insert that committed after its caller gave up on it, or a spool replay): the transaction
 * rolls back and nothing is stored twice. Committed together, the ledger and the rows can never disagree.
 *
 * Two inserts of one id at the same time (the caller timed out, the first is still running, the retry
 * starts): the second waits on the primary key until the first commits (then it is a duplicate) or rolls
 * back (then it stores the rows). PostgreSQL's unique index does the locking.
 *
 * Retention: a repeat comes from the collector's spool, which replays soon after the store comes back, so
 * ids are kept LEDGER_KEEP_MS and, whatever their age, the newest LEDGER_KEEP_LAST (a store that was down
 * for longer than that still knows the last batches written before it went down). Pruned by the retention
 * job (store.applyRetention).
 */
import type pg from 'pg';
import { DAY_MS } from '../../core/rules.js';

export const LEDGER_KEEP_MS = 7 * DAY_MS;
export const LEDGER_KEEP_LAST = 10_000;

/**
 * Inside the insert's transaction: records the id. false when a committed insert already holds it (the
 * caller rolls back and reports a duplicate).
 */
export async function claimBatch(client: pg.ClientBase, batchId: string, rows: number): Promise<boolean> {
  const r = await client.query(
    'INSERT INTO ingest_batches (batch_id, rows) VALUES ($1, $2) ON CONFLICT (batch_id) DO NOTHING',
    [batchId, rows],
  );
  return r.rowCount === 1;
}

/** Removes ids older than LEDGER_KEEP_MS except the newest LEDGER_KEEP_LAST; returns how many. */
export async function pruneLedger(pool: pg.Pool, now: number): Promise<number> {
  const r = await pool.query(
    `DELETE FROM ingest_batches
      WHERE stored_at < $1
        AND stored_at < (SELECT stored_at FROM ingest_batches ORDER BY stored_at DESC OFFSET $2 LIMIT 1)`,
    [new Date(now - LEDGER_KEEP_MS).toISOString(), LEDGER_KEEP_LAST - 1],
  );
  return r.rowCount ?? 0;
}
