/**
 * Questions never hold the connections inserts need: `query` has a pool of its own. Six top-N questions
 * wait on a lock on the aggregate tier (more than either pool has connections); an insert of raw flows
 * still completes at once, and the questions answer when the lock goes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { HOUR_MS } from '../../core/rules.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
const flows = (n: number): FlowRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    ...emptyRecord('ipfix', '192.0.2.1', hourNow - HOUR_MS + i * 1000),
    src_ip: '10.0.0.1',
    dst_ip: `10.9.9.${1 + (i % 9)}`,
    bytes_total: 100,
    packets_total: 1,
  }));

let db: TestDatabase;
let store: PostgresFlowStore;
beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresFlowStore({ url: db.url });
  await store.migrate();
  await store.insertFlows(flows(50));
  await store.aggregateWindows(hourNow - HOUR_MS, hourNow);
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('PostgreSQL query pool', () => {
  it('stores flows while questions wait on the aggregate tier', async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE flow_aggregates IN ACCESS EXCLUSIVE MODE');
      let answered = 0;
      const questions = Array.from({ length: 6 }, () =>
        store
          .query({
            kind: 'top',
            by: ['dst_ip'],
            metric: 'bytes',
            limit: 5,
            from: hourNow - HOUR_MS,
            to: hourNow,
            tier: 'aggregates',
          })
          .then((r) => {
            answered++;
            return r;
          }),
      );
      await new Promise((r) => setTimeout(r, 300)); // the questions are waiting on the lock now
      const stored = await Promise.race([
        store.insertFlows(flows(20)).then(() => 'stored'),
        new Promise((r) => setTimeout(() => r('insert waited behind the questions'), 5000)),
      ]);
      expect(stored).toBe('stored');
      expect(answered).toBe(0);
      await locker.query('COMMIT');
      const answers = await Promise.all(questions);
      for (const a of answers) expect(a.rows.length).toBe(5);
    } finally {
      await locker.end();
    }
  });
});
