/**
 * Inserts have a session of their own and carry no parameters (db.ts): chdb runs one statement at a time
 * per session and parameterized statements one at a time per process, so an insert sharing either waited
 * for a whole window's aggregation (minutes of a high-cardinality window) and timed out into the spool.
 * On the real engine: an insert started while a slow statement runs on the main session, with or without
 * parameters, finishes first; batch ids travel as literals, so hostile ids must be stored and found exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { type ChdbStore, openChdbStore } from './index.js';

const flows = (n: number): FlowRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    ...emptyRecord('ipfix', '192.0.2.1', Date.now() - i * 1000),
    src_ip: '10.0.0.1',
    dst_ip: '10.0.0.2',
    bytes_total: 100 + i,
  }));

describe('chdb ingest session', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-ingest-'));
  beforeAll(async () => {
    store = await openChdbStore({ dir });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 2.5 s of sleeping, half a second per one-row block.
  const slow = 'SELECT sleepEachRow(0.5) FROM numbers(5) SETTINGS max_block_size = 1';
  for (const [name, run] of [
    [
      'a parameterized read',
      () => store.sql(`${slow.replace('numbers(5)', 'numbers({n:UInt8})')}`, { n: 5 }),
    ],
    ['a statement without parameters', () => store.exec(slow)],
  ] as const)
    it(`an insert finishes while ${name} runs on the main session`, async () => {
      const done: string[] = [];
      const running = run().then(() => done.push('slow'));
      await new Promise((r) => setTimeout(r, 200)); // the slow one has started
      await store.insertFlows(flows(100), { batchId: `while-${name.replaceAll(' ', '-')}` });
      done.push('insert');
      await running;
      expect(done).toEqual(['insert', 'slow']);
    });

  it('stores hostile batch ids exactly once and finds them again', async () => {
    const ids = [`it's`, 'back\\slash\\', `');DROP/**/TABLE/**/flow_records;--`, "\\'", 'x{id:String}'];
    const before = await store.sql<{ n: string }>('SELECT count() AS n FROM flow_records');
    for (const id of ids) {
      expect(await store.insertFlows(flows(3), { batchId: id })).toEqual({ rows: 3, duplicate: false });
      expect(await store.insertFlows(flows(3), { batchId: id })).toEqual({ rows: 0, duplicate: true });
    }
    const ledger = await store.sql<{ batch_id: string }>(
      'SELECT batch_id FROM ingest_batches WHERE has({ids:Array(String)}, batch_id) ORDER BY batch_id',
      { ids },
    );
    expect(ledger.map((r) => r.batch_id)).toEqual([...ids].sort());
    const [after] = await store.sql<{ n: string }>('SELECT count() AS n FROM flow_records');
    expect(Number(after.n)).toBe(Number(before[0].n) + 3 * ids.length);
  });
});
