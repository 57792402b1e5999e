/**
 * Exactly-once inserts on PostgreSQL (ledger.ts, schema.ts migration 4): the batch id is claimed in the
 * ledger by the COPY's own transaction, so a batch id is stored once and the ledger never disagrees with
 * the rows; rows themselves are never deduplicated by content.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { DAY_MS, HOUR_MS } from '../../core/rules.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { LEDGER_KEEP_LAST, LEDGER_KEEP_MS } from './ledger.js';
import { PostgresFlowStore } from './store.js';

const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;

function flows(n: number, over: Partial<FlowRecord> = {}): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    ...emptyRecord('ipfix', '192.0.2.1', hourNow - (i % 3) * HOUR_MS + i),
    src_ip: '10.0.0.1',
    dst_ip: '10.9.9.9',
    bytes_total: 100,
    packets_total: 1,
    ...over,
  }));
}

let db: TestDatabase;
let store: PostgresFlowStore;
const count = async () =>
  Number((await store.pool.query('SELECT count(*)::int AS n FROM flow_records')).rows[0].n);

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresFlowStore({ url: db.url });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});
beforeEach(async () => {
  await store.pool.query('TRUNCATE flow_records, ingest_batches');
});

describe('PostgreSQL exactly-once inserts', () => {
  it('stores a batch id once; another id with the same rows, or no id, stores them again', async () => {
    const rows = flows(300);
    expect(await store.insertFlows(rows, { batchId: 'b1' })).toEqual({ rows: 300, duplicate: false });
    expect(await store.insertFlows(rows, { batchId: 'b1' })).toEqual({ rows: 0, duplicate: true });
    expect(await count()).toBe(300);
    expect(await store.insertFlows(rows, { batchId: 'b2' })).toEqual({ rows: 300, duplicate: false });
    await store.insertFlows(rows);
    await store.insertFlows(rows);
    expect(await count()).toBe(1200);
    const ledger = await store.pool.query('SELECT batch_id, rows::int FROM ingest_batches ORDER BY batch_id');
    expect(ledger.rows).toEqual([
      { batch_id: 'b1', rows: 300 },
      { batch_id: 'b2', rows: 300 },
    ]);
  });

  it('a refused batch leaves no ledger row: fixed, it is stored under the same id', async () => {
    const bad = [...flows(10), ...flows(1, { src_ip: 'not-an-ip' })];
    await expect(store.insertFlows(bad, { batchId: 'r1' })).rejects.toThrow(/src_ip/);
    expect((await store.pool.query('SELECT count(*)::int AS n FROM ingest_batches')).rows[0].n).toBe(0);
    expect(await store.insertFlows(bad.slice(0, 10), { batchId: 'r1' })).toEqual({
      rows: 10,
      duplicate: false,
    });
    expect(await count()).toBe(10);
  });

  it('two inserts of one id at the same time store it once (the second waits for the first)', async () => {
    const rows = flows(60_000); // more than one COPY
    const results = await Promise.all([
      store.insertFlows(rows, { batchId: 'twin' }),
      store.insertFlows(rows, { batchId: 'twin' }),
      store.insertFlows(rows, { batchId: 'twin' }),
    ]);
    expect(results.filter((r) => !r.duplicate)).toEqual([{ rows: 60_000, duplicate: false }]);
    expect(await count()).toBe(60_000);
  });

  it('retention prunes ledger ids older than a week, but never the newest ones', async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(ms).toISOString();
    // The newest LEDGER_KEEP_LAST ids are old too (a store that was down): all of them are kept.
    await store.pool.query(
      `INSERT INTO ingest_batches (batch_id, rows, stored_at)
       SELECT 'old-' || i, 1, $1::timestamptz + i * interval '1 ms' FROM generate_series(1, $2) i`,
      [at(now - LEDGER_KEEP_MS - DAY_MS), LEDGER_KEEP_LAST + 5],
    );
    await store.pool.query(`INSERT INTO ingest_batches (batch_id, rows, stored_at) VALUES ('new', 1, $1)`, [
      at(now - HOUR_MS),
    ]);
    await store.applyRetention(
      { raw: 7 * DAY_MS, aggregates: 90 * DAY_MS, daily: 730 * DAY_MS },
      { dryRun: false, now },
    );
    const n = async (where: string) =>
      (await store.pool.query(`SELECT count(*)::int AS n FROM ingest_batches WHERE ${where}`)).rows[0].n;
    // 'new' plus the newest LEDGER_KEEP_LAST - 1 old ones: the six oldest are gone.
    expect(await n('true')).toBe(LEDGER_KEEP_LAST);
    expect(await n(`batch_id IN ('old-6', 'old-7', 'new')`)).toBe(2);
  });
});
