import { afterAll } from 'vitest';
import { runAccessConformance } from '../conformance/access.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const dbs: TestDatabase[] = [];
runAccessConformance('postgres', async () => {
  const db = await createTestDatabase('flowlens_access');
  dbs.push(db);
  return new PostgresFlowStore({ url: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
