/**
 * Scan and fan-out detection on both stores against the TypeScript reference (storage/testing/scans.ts),
 * over generated traffic with an unsampled and a 1:100 sampled scanner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/record.js';
import { FOREVER } from '../core/retention.js';
import type { ScanQuery } from '../query/ast.js';
import { type ChdbStore, openChdbStore } from './chdb/index.js';
import type { FlowStore } from './port.js';
import { PostgresFlowStore } from './postgres/store.js';
import { createTestDatabase, type TestDatabase } from './testing/postgres.js';
import { BUSY_SERVER, referenceScans, SAMPLED_SCANNER, SCAN_T0, scanFlows } from './testing/scans.js';

const FLOWS = scanFlows(7);
const base: ScanQuery = {
  kind: 'scans',
  from: SCAN_T0,
  to: SCAN_T0 + 3_600_000,
  minTargets: 100,
  minSampledTargets: 5,
  limit: 100,
};

function scanTests(store: () => FlowStore): void {
  const cases: [string, Partial<ScanQuery>, ((f: FlowRecord) => boolean)?][] = [
    ['default thresholds', {}],
    ['a low threshold reports ordinary clients too', { minTargets: 10, minSampledTargets: 2 }],
    ['minSampledTargets drops an estimate resting on few samples', { minTargets: 200, minSampledTargets: 1 }],
    [
      'a filter narrows the flows considered',
      { filter: { op: 'eq', field: 'ip_protocol', value: 6 }, minTargets: 50 },
      (f) => f.ip_protocol === 6,
    ],
    ['half the hour', { to: SCAN_T0 + 1_800_000 }],
    ['limit', { limit: 2 }],
  ];
  for (const [name, over, keep] of cases)
    it(`matches the reference: ${name}`, async () => {
      const q = { ...base, ...over };
      const got = await store().query(q);
      expect(got.rows).toEqual(referenceScans(FLOWS, q, keep));
    });

  it('estimates the sampled scanner from its sampled targets (not the sampled count)', async () => {
    const r = await store().query(base);
    const row = r.rows.find((x) => x.src_ip === SAMPLED_SCANNER.ip);
    expect(row).toBeDefined();
    const est = Number(row?.targets_estimated);
    expect(Number(row?.targets_sampled)).toBeLessThan(100);
    expect(est).toBeGreaterThan(SAMPLED_SCANNER.targets * 0.5);
    expect(est).toBeLessThan(SAMPLED_SCANNER.targets * 1.5);
    expect(row?.syn_only_flows).toBe(row?.targets_sampled);
    expect(r.rows.map((x) => x.src_ip)).not.toContain('198.51.100.67');
    expect(r.rows.map((x) => x.src_ip)).not.toContain(BUSY_SERVER);
    const fanout = r.rows.find((x) => x.src_ip === '10.0.9.9');
    expect(fanout?.syn_only_flows).toBe(0);
  });
}

describe('scans on chdb', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-scans-'));
  beforeAll(async () => {
    store = await openChdbStore({ dir });
    await store.migrate();
    await store.setRetention({ raw: FOREVER, aggregates: FOREVER, daily: FOREVER });
    await store.insertFlows(FLOWS);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  scanTests(() => store);
});

describe('scans on PostgreSQL', () => {
  let db: TestDatabase;
  let store: PostgresFlowStore;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresFlowStore({ url: db.url });
    await store.migrate();
    await store.setRetention({ raw: FOREVER, aggregates: FOREVER, daily: FOREVER });
    await store.insertFlows(FLOWS);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });
  scanTests(() => store);
});
