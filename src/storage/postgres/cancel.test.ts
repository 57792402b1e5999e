/** statement_timeout in the query's transaction on PostgreSQL (storage/testing/cancel.ts). */
import { afterAll, beforeAll, describe } from 'vitest';
import { FOREVER } from '../../core/retention.js';
import { cancellationTests, slowFlows } from '../testing/cancel.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const ROWS = 150_000;

describe('postgres: engine cancellation', () => {
  let db: TestDatabase;
  let store: PostgresFlowStore;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresFlowStore({ url: db.url });
    await store.migrate();
    await store.setRetention({ raw: FOREVER, aggregates: FOREVER, daily: FOREVER });
    const flows = slowFlows(ROWS);
    for (let i = 0; i < flows.length; i += 25_000) await store.insertFlows(flows.slice(i, i + 25_000));
  }, 180_000);
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });
  cancellationTests(() => store, ROWS);
});
