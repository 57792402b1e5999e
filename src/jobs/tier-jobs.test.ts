import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { metricValue, tempDir } from '../app/testing/harness.js';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { DAY_MS, WINDOW_MS, windowStart } from '../core/rules.js';
import type { FlowStore } from '../storage/port.js';
import { JobScheduler } from './scheduler.js';
import { LATE_WINDOWS_KEY, MAX_HOLD_MS, TierJobs } from './tier-jobs.js';

function flow(t: number, bytes: number): FlowRecord {
  return {
    ...emptyRecord('ipfix', '192.0.2.1', t),
    flow_start: t,
    flow_end: t + 1000,
    src_ip: '10.0.0.1',
    dst_ip: '10.0.0.2',
    src_port: 50_000,
    dst_port: 443,
    ip_protocol: 6,
    bytes_total: bytes,
    packets_total: 1,
  };
}

/** The store, with every aggregateWindows call recorded as the windows it covered. */
function counting(store: FlowStore): { store: FlowStore; windows: number[] } {
  const windows: number[] = [];
  const wrapped = Object.assign(Object.create(store) as FlowStore, {
    aggregateWindows: (from: number, to: number) => {
      for (let w = windowStart(from); w < to; w += WINDOW_MS) windows.push(w);
      return store.aggregateWindows(from, to);
    },
  });
  return { store: wrapped, windows };
}

const options = (store: FlowStore, now: () => number) => ({
  store,
  aggregateGraceMs: 60_000,
  aggregateEveryMs: 60_000,
  rollupEveryMs: 3_600_000,
  retentionEveryMs: 3_600_000,
  now,
});

describe('tier jobs (inside serve)', () => {
  let store: FlowStore;
  beforeEach(async () => {
    store = await openStore({ data: tempDir() });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  const bytesIn = async (from: number, to: number, tier: 'aggregates' | 'raw' = 'aggregates') =>
    (await store.query({ kind: 'top', by: [], metric: 'bytes', from, to, limit: 1, tier })).rows[0]?.bytes;

  it('aggregates closed windows, records the watermark, rolls up, applies retention; counts runs and failures', async () => {
    const now = windowStart(Date.now()) + 60_000;
    const closed = now - 3 * WINDOW_MS; // well past the grace
    const open = now - 30_000; // inside the current window: not aggregated yet
    await store.insertFlows([flow(closed + 1000, 100), flow(closed + 2000, 50), flow(open, 7)]);
    const registry = new Registry();
    const failing = Object.assign(Object.create(store) as FlowStore, {
      rollupDaily: () => Promise.reject(new Error('test: rollup broken')),
    });
    const jobs = new TierJobs(options(failing, () => now));
    const scheduler = new JobScheduler({ registry, log: pino({ level: 'silent' }) });
    for (const j of jobs.jobs()) scheduler.register(j);
    for (const name of ['aggregate', 'rollup', 'retention']) await scheduler.run(name);
    await scheduler.stop();
    expect(await bytesIn(now - DAY_MS, now)).toBe(150); // the closed window only
    expect((await store.tierState()).aggregatedUntil).toBe(windowStart(now - 60_000));
    // The planned answer has all three flows: the open window comes from raw.
    const planned = await store.query({
      kind: 'top',
      by: [],
      metric: 'bytes',
      from: now - DAY_MS,
      to: now + 1,
      limit: 1,
    });
    expect(planned.rows).toEqual([{ bytes: 157 }]);
    expect(await metricValue(registry, 'flowlens_job_runs_total', { job: 'aggregate', result: 'ok' })).toBe(
      1,
    );
    expect(await metricValue(registry, 'flowlens_job_runs_total', { job: 'retention', result: 'ok' })).toBe(
      1,
    );
    expect(await metricValue(registry, 'flowlens_job_runs_total', { job: 'rollup', result: 'failed' })).toBe(
      1,
    );
  });

  it('while the writer is behind, later windows and late ones wait, then each is aggregated once; at most MAX_HOLD_MS', async () => {
    const start = windowStart(Date.now()) - 6 * 3_600_000;
    let now = start;
    let behind: number | null = null;
    const { store: watched, windows } = counting(store);
    const jobs = new TierJobs({ ...options(watched, () => now), behindSince: () => behind });
    const run = async () => {
      const s = new JobScheduler({ registry: new Registry(), log: pino({ level: 'silent' }) });
      for (const j of jobs.jobs()) s.register(j);
      await s.run('aggregate');
      await s.stop();
    };
    const early = start - 3 * WINDOW_MS;
    await store.insertFlows([flow(early + 1000, 100)]);
    await run(); // aggregated up to windowStart(start - grace): start - 5 min
    const before = (await store.tierState()).aggregatedUntil;
    expect(before).toBe(start - WINDOW_MS);
    // The store falls behind at start: for 30 minutes flows land (as replays do) while runs go on.
    behind = start;
    windows.length = 0;
    const landed = [flow(early + 2000, 40)]; // late for an aggregated window
    for (let i = 0; i < 30; i++) {
      now += 60_000;
      const f = [flow(now - 90_000, 10)];
      await store.insertFlows(f);
      jobs.noteStored(f);
      landed.push(...f);
      if (i === 3) {
        await store.insertFlows([landed[0]]);
        jobs.noteStored([landed[0]]);
      }
      await run();
    }
    expect(windows).toEqual([]); // nothing aggregated, nothing re-aggregated
    expect((await store.tierState()).aggregatedUntil).toBe(before);
    // Caught up: every window since, and the late one, once each; the aggregates hold every flow.
    behind = null;
    await run();
    const counts = new Map<number, number>();
    for (const w of windows) counts.set(w, (counts.get(w) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(1);
    expect(counts.has(early)).toBe(true);
    const until = windowStart(now - 60_000);
    expect((await store.tierState()).aggregatedUntil).toBe(until);
    expect(await bytesIn(early - WINDOW_MS, until)).toBe(
      100 + 40 + 10 * landed.slice(1).filter((f) => f.flow_start < until).length,
    );
    // Behind for good: new windows wait at most MAX_HOLD_MS.
    behind = now;
    now += 2 * MAX_HOLD_MS;
    await run();
    expect((await store.tierState()).aggregatedUntil).toBe(windowStart(now - MAX_HOLD_MS - 60_000));
  });

  it('aggregates each window once however often it runs, and again only when late flows reach it', async () => {
    const start = windowStart(Date.now()) - 6 * 3_600_000;
    let now = start;
    const { store: watched, windows } = counting(store);
    const jobs = new TierJobs(options(watched, () => now));
    const run = async () => {
      const s = new JobScheduler({ registry: new Registry(), log: pino({ level: 'silent' }) });
      for (const j of jobs.jobs()) s.register(j);
      await s.run('aggregate');
      await s.stop();
    };
    const early = start - 2 * WINDOW_MS;
    await store.insertFlows([flow(early + 1000, 100)]);
    await run();
    // A run every minute for three hours.
    for (let i = 0; i < 180; i++) {
      now += 60_000;
      await run();
    }
    const counts = new Map<number, number>();
    for (const w of windows) counts.set(w, (counts.get(w) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(1);
    expect(counts.size).toBe((windowStart(now - 60_000) - windowStart(start - DAY_MS)) / WINDOW_MS);
    // Then a flow arrives hours late for the early window: the next run re-aggregates that one window.
    const late = [flow(early + 2000, 40)];
    await store.insertFlows(late);
    jobs.noteStored(late);
    windows.length = 0;
    await run();
    expect(windows).toEqual([early]);
    expect(await bytesIn(early, early + WINDOW_MS)).toBe(140);
  });

  it('a restarted collector continues from the watermark kept in the store: no window left out', async () => {
    const t0 = windowStart(Date.now()) - 3 * 3_600_000;
    const flows = Array.from({ length: 30 }, (_, i) => flow(t0 + i * 5 * 60_000 + 1000, 10 + i));
    await store.insertFlows(flows);
    const first = new TierJobs(options(store, () => t0 + 60 * 60_000));
    const s1 = new JobScheduler({ registry: new Registry(), log: pino({ level: 'silent' }) });
    for (const j of first.jobs()) s1.register(j);
    await s1.run('aggregate');
    await s1.stop();
    // Down for an hour and a half, then a new process (new TierJobs) runs.
    const second = new TierJobs(options(store, () => t0 + 150 * 60_000));
    const s2 = new JobScheduler({ registry: new Registry(), log: pino({ level: 'silent' }) });
    for (const j of second.jobs()) s2.register(j);
    await s2.run('aggregate');
    await s2.stop();
    const until = windowStart(t0 + 150 * 60_000 - 60_000);
    expect((await store.tierState()).aggregatedUntil).toBe(until);
    const want = flows.filter((f) => f.flow_start < until).reduce((a, f) => a + Number(f.bytes_total), 0);
    expect(await bytesIn(t0, until)).toBe(want);
  });

  it('late windows noted before a restart are aggregated again by the next process; late flows of its first minute count', async () => {
    const t0 = windowStart(Date.now()) - 3 * 3_600_000;
    const now = () => t0 + 60 * 60_000;
    const early = t0 + 10 * 60_000;
    await store.insertFlows([flow(early + 1000, 100)]);
    const runOnce = async (jobs: TierJobs) => {
      const s = new JobScheduler({ registry: new Registry(), log: pino({ level: 'silent' }) });
      for (const j of jobs.jobs()) s.register(j);
      await s.run('aggregate');
      await s.stop();
    };
    const first = new TierJobs(options(store, now));
    await runOnce(first);
    expect(await bytesIn(early, early + WINDOW_MS)).toBe(100);
    // A late flow is stored and noted; the process dies before its next run.
    const late = [flow(early + 2000, 40)];
    await store.insertFlows(late);
    first.noteStored(late);
    for (let i = 0; i < 100 && (await store.getSetting(LATE_WINDOWS_KEY)) !== JSON.stringify([early]); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await store.getSetting(LATE_WINDOWS_KEY)).toBe(JSON.stringify([early]));
    // The next process aggregates the window again without being told.
    const second = new TierJobs(options(store, now));
    await runOnce(second);
    expect(await bytesIn(early, early + WINDOW_MS)).toBe(140);
    expect(await store.getSetting(LATE_WINDOWS_KEY)).toBe('[]');
    // A third process, before its first run: a late flow is judged against the stored watermark.
    const third = new TierJobs(options(store, now));
    await third.ready();
    const later = [flow(early + 3000, 5)];
    await store.insertFlows(later);
    third.noteStored(later);
    await runOnce(third);
    expect(await bytesIn(early, early + WINDOW_MS)).toBe(145);
  });

  it('stop() cancels a long catch-up between windows and returns promptly; the next run resumes', async () => {
    const now = windowStart(Date.now());
    const slow = Object.assign(Object.create(store) as FlowStore, {
      aggregateWindows: async (from: number, to: number) => {
        await new Promise((r) => setTimeout(r, 50));
        return store.aggregateWindows(from, to);
      },
    });
    const jobs = new TierJobs({ ...options(slow, () => now), sliceAboveFlows: 0 });
    const s = new JobScheduler({ registry: new Registry(), log: pino({ level: 'silent' }) });
    for (const j of jobs.jobs()) s.register(j);
    const running = s.run('aggregate'); // a day of windows to catch up: about 288 x 50 ms
    await new Promise((r) => setTimeout(r, 300));
    const t = performance.now();
    await s.stop();
    await running;
    expect(performance.now() - t).toBeLessThan(2000);
    const wm = (await store.tierState()).aggregatedUntil as number;
    expect(wm).toBeGreaterThan(now - DAY_MS);
    expect(wm).toBeLessThan(now - 60_000);
  });
});
