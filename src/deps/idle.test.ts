/**
 * Issue 9 "An edge that has not been seen for a configurable time is marked idle, not deleted": the
 * `deps.idleAfter` setting through the DiscoveryJob (as serve wires it) and `markIdle` itself, on both
 * stores. Idle since = the edge's last_seen; an edge seen within idleAfter stays active; an idle edge seen
 * again is active again (merge.ts clears idle_since) and its history (daily stats) stays.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir, testConfig } from '../app/testing/harness.js';
import { DAY_MS, dayStart, WINDOW_MS } from '../core/rules.js';
import type { DependencyEdge, FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { markIdle } from './discover.js';
import { DiscoveryJob } from './job.js';
import { conversationFlows } from './testing/conversation.js';

const HOUR = 3_600_000;
const signal = new AbortController().signal;
// The setting as an operator writes it, read by the configuration loader serve uses.
const IDLE_AFTER = testConfig(tempDir('flowlens-idle-cfg-'), { 'deps.idleAfter': '6h' }).deps.idleAfter;
const D = dayStart(Date.now()) - DAY_MS; // yesterday: inside every default retention
const SERVER = '10.30.0.10';
const OLD = '10.30.1.1'; // talks at D+1h only, then again at D+13h
const RECENT = '10.30.1.2'; // talks at D+10h

function idleOnStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`idle edges on ${name}`, () => {
    let store: FlowStore;
    let job: DiscoveryJob;
    const edgeOf = async (client: string): Promise<DependencyEdge> => {
      const e = (await store.listDependencies()).find((x) => x.client_ip === client);
      if (!e) throw new Error(`no edge from ${client}`);
      return e;
    };
    const aggregateTo = async (from: number, to: number) => {
      await store.aggregateWindows(from, to);
      await store.setAggregatedUntil(to);
    };
    afterAll(async () => {
      await store?.close();
    });

    it('marks an edge unseen for longer than deps.idleAfter idle since its last_seen, keeps it, and leaves a recent one', async () => {
      expect(IDLE_AFTER).toBe(6 * HOUR);
      store = await open();
      await store.migrate();
      await store.insertFlows([
        ...conversationFlows({ client: OLD, server: SERVER, sport: 40001, port: 5432, at: D + HOUR }),
        ...conversationFlows({ client: RECENT, server: SERVER, sport: 40002, port: 5432, at: D + 10 * HOUR }),
      ]);
      await aggregateTo(D, D + 12 * HOUR);
      job = new DiscoveryJob({ store, everyMs: 60_000, idleAfterMs: IDLE_AFTER });
      const summary = await job.run(signal);
      // Data time: now = the aggregation watermark D+12h. OLD was last seen at D+1h+5min: 10h55m ago.
      expect(summary).toMatchObject({ newEdges: 2, idle: 1 });
      const old = await edgeOf(OLD);
      expect(old.last_seen).toBe(D + HOUR + WINDOW_MS);
      expect(old.idle_since).toBe(old.last_seen);
      expect((await edgeOf(RECENT)).idle_since).toBeNull();
      // Kept with its history: the day's stats still hold it.
      const stats = await store.dependencyStats(D, D + DAY_MS);
      expect(stats.map((s) => s.dependency_id).sort()).toEqual([old.id, (await edgeOf(RECENT)).id].sort());
      // Nothing new: a second run marks nothing again and changes nothing.
      const before = await store.listDependencies();
      expect(await job.run(signal)).toBeNull();
      expect(await store.listDependencies()).toEqual(before);
    });

    it('an idle edge seen again is active again; the recent one is still within idleAfter', async () => {
      await store.insertFlows(
        conversationFlows({ client: OLD, server: SERVER, sport: 40003, port: 5432, at: D + 13 * HOUR }),
      );
      await aggregateTo(D + 12 * HOUR, D + 14 * HOUR);
      const summary = await job.run(signal);
      expect(summary).toMatchObject({ newEdges: 0 });
      expect(summary).not.toHaveProperty('idle');
      const old = await edgeOf(OLD);
      expect([old.idle_since, old.first_seen, old.last_seen]).toEqual([
        null,
        D + HOUR,
        D + 13 * HOUR + WINDOW_MS,
      ]);
      // RECENT: last seen D+10h05, now D+14h: 3h55m < 6h.
      expect((await edgeOf(RECENT)).idle_since).toBeNull();
      expect((await store.listDependencies()).length).toBe(2);
    });

    it('markIdle: strictly longer than idleAfter, idle_since never moves once set', async () => {
      const recent = await edgeOf(RECENT);
      expect(await markIdle(store, recent.last_seen + IDLE_AFTER, IDLE_AFTER)).toBe(0); // exactly idleAfter
      expect(await markIdle(store, recent.last_seen + IDLE_AFTER + 1, IDLE_AFTER)).toBe(1);
      expect((await edgeOf(RECENT)).idle_since).toBe(recent.last_seen);
      // Later still: already idle, not marked again, idle_since unchanged; OLD (seen later) follows in turn.
      const old = await edgeOf(OLD);
      expect(await markIdle(store, old.last_seen + IDLE_AFTER + 1, IDLE_AFTER)).toBe(1);
      expect((await edgeOf(RECENT)).idle_since).toBe(recent.last_seen);
      expect((await edgeOf(OLD)).idle_since).toBe(old.last_seen);
      expect((await store.listDependencies()).length).toBe(2);
    });
  });
}

const dbs: TestDatabase[] = [];
idleOnStore('chdb', async () => openStore({ data: tempDir('flowlens-idle-') }));
idleOnStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_idle');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
