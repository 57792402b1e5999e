import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { cidrToRange, inRanges } from '../../core/rules.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

describe('CIDR filters in the shared IPv6 space (real PostgreSQL)', () => {
  let db: TestDatabase;
  let store: PostgresFlowStore;
  const t = Date.UTC(2025, 0, 1, 12);
  const addrs = ['10.1.2.3', '10.200.0.1', '192.168.1.1', '2001:db8::5', 'fd00::1', '::1'];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresFlowStore({ url: db.url });
    await store.migrate();
    const flows: FlowRecord[] = addrs.map((a, i) => ({
      ...emptyRecord('ipfix', '192.0.2.1', t),
      flow_start: t + i,
      flow_end: t + i,
      src_ip: a,
      dst_ip: '192.0.2.99',
    }));
    await store.insertFlows(flows);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  // Expected sets come from rules.ts (cidrToRange / inRanges), the TypeScript statement of the rule.
  for (const cidr of [
    '10.0.0.0/8',
    '0.0.0.0/0',
    '::/0',
    '::ffff:10.0.0.0/104',
    '::ffff:0:0/96',
    'fd00::/8',
    '::/127',
  ]) {
    it(`src_ip in ${cidr}`, async () => {
      const r = await store.query({
        kind: 'top',
        by: ['src_ip'],
        metric: 'flows',
        from: t,
        to: t + 1000,
        limit: 100,
        tier: 'raw',
        filter: { op: 'in_cidr', field: 'src_ip', cidr },
      });
      const range = cidrToRange(cidr)!;
      const want = addrs.filter((a) => inRanges(a, [range])).sort();
      expect(r.rows.map((x) => x.src_ip).sort()).toEqual(want);
    });
  }
});
