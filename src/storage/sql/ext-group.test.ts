/**
 * Top-N by values of extended_fields (ext.KEY) on both stores, on values of every JSON type, against the
 * conformance reference's extText: strings, integers, a fraction, booleans, JSON null, objects, arrays, a
 * digit key that must not index an array, nested keys, a missing key.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../app/store.js';
import { tempDir } from '../../app/testing/harness.js';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import type { ExtGroupKey, TopQuery } from '../../query/ast.js';
import { expectTop } from '../conformance/compare.js';
import { extText, rank } from '../conformance/reference.js';
import type { FlowStore } from '../port.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';

const T0 = Date.now() - 3_600_000;
const VALUES: unknown[] = [
  'HTTPS',
  'dns',
  '',
  ' spaced ',
  'quote " and \\ backslash',
  'ünïcode',
  '443',
  443,
  0,
  -7,
  1.5,
  2 ** 40,
  true,
  false,
  null,
  { inner: 'x', n: 2 },
  ['a', 1],
  [],
  {},
];

function flows(): FlowRecord[] {
  const out: FlowRecord[] = [];
  VALUES.forEach((v, i) => {
    for (let j = 0; j <= i % 3; j++) {
      const f = emptyRecord('ipfix', '192.0.2.1', T0 + i * 1000 + j + 500);
      Object.assign(f, {
        flow_start: T0 + i * 1000 + j,
        flow_end: T0 + i * 1000 + j + 100,
        src_ip: `10.0.0.${i + 1}`,
        dst_ip: '10.0.1.1',
        src_port: 40000 + j,
        dst_port: 443,
        ip_protocol: 6,
        bytes_total: 100 * (i + 1) + j,
        packets_total: 1,
      });
      f.extended_fields.app = v;
      f.extended_fields.nested = { level: { app: v } };
      f.extended_fields.list = ['zero', 'one'];
      out.push(f);
    }
  });
  const bare = emptyRecord('ipfix', '192.0.2.1', T0 + 90_000);
  Object.assign(bare, { flow_start: T0 + 90_000, flow_end: T0 + 90_100, bytes_total: 5, packets_total: 1 });
  out.push(bare);
  return out;
}

const KEYS: ExtGroupKey[] = [
  'ext.app',
  'ext.nested.level.app',
  'ext.list.0',
  'ext.missing',
  'ext.app.deeper',
];

function onStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`top-N by ext.KEY on ${name}`, () => {
    let store: FlowStore;
    const all = flows();
    afterAll(async () => {
      await store?.close();
    });

    it('groups every JSON type as the reference says', async () => {
      store = await open();
      await store.migrate();
      await store.insertFlows(all);
      for (const key of KEYS) {
        const q: TopQuery = {
          kind: 'top',
          by: [key, 'src_ip'],
          metric: 'bytes',
          from: T0 - 1000,
          to: T0 + 100_000,
          limit: 100,
          tier: 'raw',
        };
        const r = await store.query(q);
        const want = rank(
          all.map((f) => ({ key: [extText(f, key), f.src_ip], v: Number(f.bytes_total) })),
          q.by,
          'bytes',
        );
        expectTop(r.rows, want, 'bytes', 100, key);
      }
      // The digit key names no array position, the path through a string no member: all null.
      const list = await store.query({
        kind: 'top',
        by: ['ext.list.0'],
        metric: 'flows',
        from: T0 - 1000,
        to: T0 + 100_000,
        limit: 10,
        tier: 'raw',
      });
      expect(list.rows).toEqual([{ 'ext.list.0': null, flows: all.length }]);
    });
  });
}

const dbs: TestDatabase[] = [];
onStore('chdb', async () => openStore({ data: tempDir('flowlens-ext-group-') }));
onStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_ext_group');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
