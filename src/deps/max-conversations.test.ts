/**
 * deps.maxConversations: a discovery pass reads at most that many conversations, the heaviest by bytes, so
 * a high-cardinality day cannot take serve past its memory; what it leaves out is counted and the job's
 * summary warns, naming the setting. Through the DiscoveryJob as serve wires it, on both stores.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir, testConfig } from '../app/testing/harness.js';
import { ConfigError } from '../config/error.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import { JobScheduler } from '../jobs/scheduler.js';
import type { FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { DiscoveryJob } from './job.js';
import { conversationFlows } from './testing/conversation.js';

const HOUR = 3_600_000;
const signal = new AbortController().signal;
const MAX = testConfig(tempDir('flowlens-maxconv-cfg-'), { 'deps.maxConversations': '2' }).deps
  .maxConversations;
const D = dayStart(Date.now()) - DAY_MS;
const SERVER = '10.40.0.10';
/** Five clients of one service; client i sends i kB (the answer four times as much). */
const CLIENTS = [1, 2, 3, 4, 5].map((i) => ({ ip: `10.40.1.${i}`, bytes: 1000 * i }));

function onStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`deps.maxConversations on ${name}`, () => {
    let store: FlowStore;
    afterAll(async () => {
      await store?.close();
    });

    it('maps only the heaviest conversations, counts the rest and warns naming the setting', async () => {
      expect(MAX).toBe(2);
      store = await open();
      await store.migrate();
      await store.insertFlows(
        CLIENTS.flatMap((c, i) =>
          conversationFlows({
            client: c.ip,
            server: SERVER,
            sport: 40001 + i,
            port: 5432,
            at: D + HOUR,
            bytes: c.bytes,
          }),
        ),
      );
      await store.aggregateWindows(D, D + 2 * HOUR);
      await store.setAggregatedUntil(D + 2 * HOUR);
      const summary = await new DiscoveryJob({ store, everyMs: 60_000, maxConversations: MAX }).run(signal);
      const leftOutBytes = CLIENTS.slice(0, 3).reduce((a, c) => a + 5 * c.bytes, 0);
      expect(summary).toMatchObject({ newEdges: 2, conversationsLeftOut: 3, bytesLeftOut: leftOutBytes });
      expect(String(summary?.warning)).toContain('deps.maxConversations (2)');
      const clients = (await store.listDependencies()).map((e) => e.client_ip).sort();
      expect(clients).toEqual(['10.40.1.4', '10.40.1.5']);
    });

    it('without a bound every conversation is mapped and nothing is said', async () => {
      await store.putSetting('discovered_until', String(D));
      const summary = await new DiscoveryJob({ store, everyMs: 60_000 }).run(signal);
      expect(summary).toMatchObject({ newEdges: 3 });
      expect(summary).not.toHaveProperty('warning');
      expect((await store.listDependencies()).length).toBe(5);
    });

    it('serve logs such a run as a warning (the scheduler reads the summary)', async () => {
      await store.putSetting('discovered_until', String(D));
      const lines: Record<string, unknown>[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const scheduler = new JobScheduler({ registry: new Registry(), log });
      scheduler.register(new DiscoveryJob({ store, everyMs: 60_000, maxConversations: MAX }).job());
      await scheduler.run('discover');
      await scheduler.stop();
      const run = lines.find((l) => l.job === 'discover');
      expect(run).toMatchObject({ level: 40, conversationsLeftOut: 3, result: 'ok' });
    });
  });
}

it('a bad deps.maxConversations is one error naming it', () => {
  for (const bad of ['0', '-5', 'many', '2.5'])
    expect(() => testConfig(tempDir('flowlens-maxconv-bad-'), { 'deps.maxConversations': bad })).toThrow(
      expect.objectContaining({
        name: ConfigError.name,
        message: expect.stringContaining('deps.maxConversations'),
      }),
    );
});

const dbs: TestDatabase[] = [];
onStore('chdb', async () => openStore({ data: tempDir('flowlens-maxconv-') }));
onStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_maxconv');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
