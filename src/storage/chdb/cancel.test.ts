/** max_execution_time on the embedded engine (storage/testing/cancel.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { FOREVER } from '../../core/retention.js';
import { cancellationTests, slowFlows } from '../testing/cancel.js';
import { type ChdbStore, openChdbStore } from './index.js';

const ROWS = 400_000;

describe('chdb: engine cancellation', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-cancel-'));
  beforeAll(async () => {
    store = await openChdbStore({ dir });
    await store.migrate();
    await store.setRetention({ raw: FOREVER, aggregates: FOREVER, daily: FOREVER });
    const flows = slowFlows(ROWS);
    for (let i = 0; i < flows.length; i += 50_000) await store.insertFlows(flows.slice(i, i + 50_000));
  }, 180_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  cancellationTests(() => store, ROWS);
});
