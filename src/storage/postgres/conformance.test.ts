import { afterAll } from 'vitest';
import { CONFORMANCE_INTERNAL_NETWORKS, runConformance } from '../conformance/index.js';
import { runPlannedConformance } from '../conformance/planned.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const dbs: TestDatabase[] = [];

runConformance('postgres', async () => {
  const db = await createTestDatabase('flowlens_conf');
  dbs.push(db);
  return new PostgresFlowStore({ url: db.url, internalNetworks: CONFORMANCE_INTERNAL_NETWORKS });
});

runPlannedConformance('postgres', async () => {
  const db = await createTestDatabase('flowlens_plan');
  dbs.push(db);
  return new PostgresFlowStore({ url: db.url });
});

afterAll(async () => {
  for (const db of dbs) await db.drop();
});
