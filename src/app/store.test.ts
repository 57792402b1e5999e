/**
 * The conformance suite through the composition root (openStore) on both engines, with the decoded corpus
 * captures stored alongside the generated flows (times moved into the test day, see storage/conformance).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/record.js';
import { listCaptures } from '../decode/testing/corpus.js';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import { CONFORMANCE_INTERNAL_NETWORKS, runConformance } from '../storage/conformance/index.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { readCapture } from '../wire/pcap.js';
import { openStore } from './store.js';

async function corpusFlows(): Promise<FlowRecord[]> {
  const out: FlowRecord[] = [];
  for (const c of listCaptures()) {
    const decoder = new FlowDecoder();
    try {
      for (const p of readCapture(readFileSync(c.path), { onError: () => {} })) {
        for (const r of decoder.decodeCaptured(p, c.path).records) out.push(r);
      }
    } catch {
      // A damaged capture keeps what was decoded before the damage.
    }
  }
  return out;
}

describe('corpus', () => {
  it('decodes to a non-trivial set of flow records', async () => {
    const flows = await corpusFlows();
    expect(flows.length).toBeGreaterThan(100);
  });
});

const dirs: string[] = [];
runConformance(
  'chdb via openStore, with the corpus',
  () => {
    const data = mkdtempSync(join(tmpdir(), 'flowlens-app-'));
    dirs.push(data);
    return openStore({ data, internalNetworks: CONFORMANCE_INTERNAL_NETWORKS });
  },
  { corpus: corpusFlows, conversations: 500, seed: 7 },
);
const dbs: TestDatabase[] = [];
runConformance(
  'postgres via openStore, with the corpus',
  async () => {
    const db = await createTestDatabase('flowlens_app');
    dbs.push(db);
    return openStore({ store: db.url, internalNetworks: CONFORMANCE_INTERNAL_NETWORKS });
  },
  { corpus: corpusFlows, conversations: 500, seed: 7 },
);

afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const db of dbs) await db.drop();
});

describe('openStore', () => {
  it('names an unsupported store URL scheme', async () => {
    await expect(openStore({ store: 'mysql://x' })).rejects.toThrow(/mysql:/);
  });
});
