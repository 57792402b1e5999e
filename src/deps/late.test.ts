/**
 * Issue 9 "late windows re-examined": a flow that arrives after its window was aggregated and discovered
 * goes the way serve sends it: TierJobs re-aggregates the window and tells the DiscoveryJob
 * (onReaggregated -> noteReaggregated, wired as in src/app/serve.ts), whose next run discovers that day
 * again. The late flow's new edge appears, an existing edge's daily stats grow by exactly the late bytes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir } from '../app/testing/harness.js';
import { DAY_MS, dayStart, WINDOW_MS } from '../core/rules.js';
import { TierJobs } from '../jobs/tier-jobs.js';
import type { DependencyEdge, DependencyStatsRow, FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { DiscoveryJob, LATE_DAYS_KEY } from './job.js';
import { conversationFlows } from './testing/conversation.js';

const HOUR = 3_600_000;
const signal = new AbortController().signal;
const D = dayStart(Date.now()) - 2 * DAY_MS; // the day of the traffic, inside every default retention
const SERVER = '10.40.0.10';
const A = '10.40.1.1'; // on time, then more bytes late
const B = '10.40.1.2'; // late only: a new edge

function lateOnStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`late flows through TierJobs and the DiscoveryJob on ${name}`, () => {
    let store: FlowStore;
    afterAll(async () => {
      await store?.close();
    });

    it('re-discovers the day of a re-aggregated window: a new edge, and the grown edge stats', async () => {
      store = await open();
      await store.migrate();
      let now = D + DAY_MS + 2 * HOUR; // data time: day D is complete
      const discovery = new DiscoveryJob({ store, everyMs: 60_000 });
      const tiers = new TierJobs({
        store,
        aggregateGraceMs: 60_000,
        aggregateEveryMs: 60_000,
        rollupEveryMs: HOUR,
        retentionEveryMs: HOUR,
        now: () => now,
        onReaggregated: (windows) => discovery.noteReaggregated(windows),
      });
      const job = (n: string) => tiers.jobs().find((j) => j.name === n)!;
      const onTime = conversationFlows({
        client: A,
        server: SERVER,
        sport: 41000,
        port: 443,
        at: D + 3 * HOUR,
      });
      await store.insertFlows(onTime);
      tiers.noteStored(onTime);
      await job('aggregate').run(signal);
      await job('rollup').run(signal);
      expect(await discovery.run(signal)).toMatchObject({ newEdges: 1 });
      const edgeOf = async (client: string): Promise<DependencyEdge | undefined> =>
        (await store.listDependencies()).find((e) => e.client_ip === client);
      const statsOf = async (id: string): Promise<DependencyStatsRow | undefined> =>
        (await store.dependencyStats(D, D + DAY_MS)).find((s) => s.dependency_id === id);
      const a = (await edgeOf(A))!;
      expect([a.server_ip, a.server_port, a.service_name]).toEqual([SERVER, 443, 'https']);
      const before = (await statsOf(a.id))!;
      const sum = (fs: typeof onTime, k: 'bytes_total' | 'packets_total') =>
        fs.reduce((x, f) => x + Number(f[k]), 0);
      expect(before.bytes_total).toBe(sum(onTime, 'bytes_total'));

      // Minutes later, flows of the same window arrive: more from A, and B, never seen before.
      const late = [
        ...conversationFlows({
          client: A,
          server: SERVER,
          sport: 41001,
          port: 443,
          at: D + 3 * HOUR + 1000,
          bytes: 700,
        }),
        ...conversationFlows({
          client: B,
          server: SERVER,
          sport: 41002,
          port: 443,
          at: D + 3 * HOUR + 2000,
          bytes: 300,
        }),
      ];
      now += 5 * 60_000;
      await store.insertFlows(late);
      tiers.noteStored(late);
      expect(await job('aggregate').run(signal)).toMatchObject({ lateWindows: 1, rerolledDays: 1 });
      expect(await edgeOf(B)).toBeUndefined(); // the tier job alone does not discover
      // serve restarts before discovery's next run: the new process finds the owed day in the store.
      const day = JSON.stringify([D]);
      for (let i = 0; i < 100 && (await store.getSetting(LATE_DAYS_KEY)) !== day; i++)
        await new Promise((r) => setTimeout(r, 20));
      const restarted = new DiscoveryJob({ store, everyMs: 60_000 });
      expect(await restarted.run(signal)).toMatchObject({ lateDays: 1 });
      expect(await store.getSetting(LATE_DAYS_KEY)).toBe('[]');

      const b = await edgeOf(B);
      expect(b && [b.client_ip, b.server_ip, b.server_port, b.direction_rule]).toEqual([
        B,
        SERVER,
        443,
        'service_port',
      ]);
      expect([b!.first_seen, b!.last_seen]).toEqual([D + 3 * HOUR, D + 3 * HOUR + WINDOW_MS]);
      const lateA = late.filter((f) => f.src_ip === A || f.dst_ip === A);
      const lateB = late.filter((f) => f.src_ip === B || f.dst_ip === B);
      const after = (await statsOf(a.id))!;
      expect([after.bytes_total, after.packets_total, after.flow_count]).toEqual([
        before.bytes_total + sum(lateA, 'bytes_total'),
        before.packets_total + sum(lateA, 'packets_total'),
        before.flow_count + lateA.length,
      ]);
      const bStats = (await statsOf(b!.id))!;
      expect([bStats.bytes_total, bStats.flow_count]).toEqual([sum(lateB, 'bytes_total'), lateB.length]);
      // Nothing left to do: the late day was discovered once.
      expect(await restarted.run(signal)).toBeNull();
    });
  });
}

const dbs: TestDatabase[] = [];
lateOnStore('chdb', async () => openStore({ data: tempDir('flowlens-late-') }));
lateOnStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_late');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
