/**
 * Exactly-once inserts on the embedded engine (store.ts insertPayload, schema.ts migration 3): a batch id
 * is stored once, by the ledger and, underneath it, by the engine's insert deduplication token, whatever
 * the chunking of the rows; rows themselves are never deduplicated by content.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { HOUR_MS } from '../../core/rules.js';
import { encodeRows } from '../testing/encoded.js';
import { type ChdbStore, openChdbStore } from './index.js';

const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;

/** n distinct flows over the last three hours (three partitions, so an insert writes several blocks). */
function flows(n: number, seed = 0): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    ...emptyRecord('ipfix', '192.0.2.1', hourNow - (i % 3) * HOUR_MS + (i % 3_600_000)),
    src_ip: `10.${(seed + i) >> 16}.${((seed + i) >> 8) & 255}.${(seed + i) & 255}`,
    dst_ip: '10.9.9.9',
    src_port: 40000,
    dst_port: 443,
    ip_protocol: 6,
    bytes_total: 1000 + i,
    packets_total: 2,
  }));
}

describe('chdb exactly-once inserts', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-once-'));
  const count = async () =>
    Number((await store.sql<{ n: number }>('SELECT count() AS n FROM flow_records'))[0].n);

  beforeAll(async () => {
    store = await openChdbStore({ dir });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store.exec('TRUNCATE TABLE flow_records');
    await store.exec('TRUNCATE TABLE ingest_batches');
  });

  it('migration 3 gives flow_records a deduplication window', async () => {
    const [t] = await store.sql<{ engine_full: string }>(
      `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'flow_records'`,
    );
    expect(t.engine_full).toMatch(/non_replicated_deduplication_window = 10000/);
  });

  it('stores a batch id once; another id with the same rows, or no id, stores them again', async () => {
    const rows = flows(500);
    expect(await store.insertFlows(rows, { batchId: 'b1' })).toEqual({ rows: 500, duplicate: false });
    expect(await store.insertFlows(rows, { batchId: 'b1' })).toEqual({ rows: 0, duplicate: true });
    expect(await count()).toBe(500);
    // Identical flows are legal: only a repeated id is a repeat.
    expect(await store.insertFlows(rows, { batchId: 'b2' })).toEqual({ rows: 500, duplicate: false });
    expect(await count()).toBe(1000);
    await store.insertFlows(rows);
    await store.insertFlows(rows);
    expect(await count()).toBe(2000);
  });

  it('encoded rows: the same id stores once however the rows are chunked', async () => {
    const rows = flows(3000, 7);
    const s = store.rowEncoding;
    expect(await s.insertEncoded(await encodeRows(s, rows, 7), { batchId: 'e1' })).toEqual({
      rows: 3000,
      duplicate: false,
    });
    expect(await s.insertEncoded(await encodeRows(s, rows, 1), { batchId: 'e1' })).toEqual({
      rows: 0,
      duplicate: true,
    });
    expect(await count()).toBe(3000);
  });

  it('the engine drops a repeat the ledger missed, chunked differently (an insert that completed unrecorded)', async () => {
    // 200 k rows in three hourly partitions: several blocks per insert, parts read in chunks by the engine.
    const rows = flows(200_000, 11);
    const s = store.rowEncoding;
    await s.insertEncoded(await encodeRows(s, rows, 40), { batchId: 'big' });
    expect(await count()).toBe(200_000);
    for (const [parts, how] of [
      [1, 'one payload (as spooled)'],
      [3, 'three chunks'],
      [97, 'ninety-seven chunks'],
    ] as const) {
      await store.exec('TRUNCATE TABLE ingest_batches'); // as if the first insert died before its ledger row
      const r = await s.insertEncoded(await encodeRows(s, rows, parts), { batchId: 'big' });
      expect({ how, r, n: await count() }).toEqual({
        how,
        r: { rows: 200_000, duplicate: false },
        n: 200_000,
      });
    }
    // Records of the same flows under the same id (the engine's token, not the ledger, decides).
    await store.exec('TRUNCATE TABLE ingest_batches');
    await store.insertFlows(rows, { batchId: 'big-records' });
    await store.exec('TRUNCATE TABLE ingest_batches');
    await store.insertFlows(rows, { batchId: 'big-records' });
    expect(await count()).toBe(400_000);
  });

  it('two inserts of one id at the same time store it once', async () => {
    const rows = flows(20_000, 3);
    await Promise.all([
      store.insertFlows(rows, { batchId: 'twin' }),
      store.rowEncoding.insertEncoded(await encodeRows(store.rowEncoding, rows, 5), { batchId: 'twin' }),
      store.insertFlows(rows, { batchId: 'twin' }),
    ]);
    expect(await count()).toBe(20_000);
  });

  it('refuses a batch id no engine can key on', async () => {
    await expect(store.insertFlows(flows(1), { batchId: 'has space' })).rejects.toThrow(/batch id/);
    await expect(store.insertFlows(flows(1), { batchId: '' })).rejects.toThrow(/batch id/);
  });
});
