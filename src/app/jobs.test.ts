import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { DEFAULT_RETENTION, type FlowStore } from '../storage/port.js';
import { JobScheduler } from './jobs.js';
import { openStore } from './store.js';
import { metricValue, tempDir } from './testing/harness.js';

const WINDOW = 300_000;

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

describe('JobScheduler (jobs inside serve)', () => {
  it('aggregates closed windows, rolls up, applies retention; counts runs and failures', async () => {
    const now = Math.floor(Date.now() / WINDOW) * WINDOW + 60_000;
    const store = await openStore({ data: tempDir() });
    await store.migrate();
    try {
      const closed = now - 3 * WINDOW; // well past the grace
      const open = now - 30_000; // inside the current window: not aggregated yet
      await store.insertFlows([flow(closed + 1000, 100), flow(closed + 2000, 50), flow(open, 7)]);
      const registry = new Registry();
      const failing = Object.assign(Object.create(store) as FlowStore, {
        rollupDaily: () => Promise.reject(new Error('test: rollup broken')),
      });
      const jobs = new JobScheduler({
        store: failing,
        registry,
        log: pino({ level: 'silent' }),
        aggregateGraceMs: 60_000,
        aggregateEveryMs: 60_000,
        rollupEveryMs: 3_600_000,
        retentionEveryMs: 3_600_000,
        retention: DEFAULT_RETENTION,
        now: () => now,
      });
      await jobs.run('aggregate');
      await jobs.run('rollup');
      await jobs.run('retention');
      await jobs.stop();
      const agg = await store.query({
        kind: 'top',
        by: ['dst_port'],
        metric: 'bytes',
        from: now - 86_400_000,
        to: now,
        limit: 5,
        tier: 'aggregates',
      });
      expect(agg.rows).toEqual([{ dst_port: 443, bytes: 150 }]); // the closed window only
      expect(await metricValue(registry, 'flowlens_job_runs_total', { job: 'aggregate', result: 'ok' })).toBe(
        1,
      );
      expect(await metricValue(registry, 'flowlens_job_runs_total', { job: 'retention', result: 'ok' })).toBe(
        1,
      );
      expect(
        await metricValue(registry, 'flowlens_job_runs_total', { job: 'rollup', result: 'failed' }),
      ).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('counts a flow that arrives hours late: its window is re-aggregated by the next run', async () => {
    const start = Math.floor(Date.now() / WINDOW) * WINDOW - 6 * 3_600_000;
    let now = start;
    const store = await openStore({ data: tempDir() });
    await store.migrate();
    try {
      const jobs = new JobScheduler({
        store,
        registry: new Registry(),
        log: pino({ level: 'silent' }),
        aggregateGraceMs: 60_000,
        aggregateEveryMs: 60_000,
        rollupEveryMs: 3_600_000,
        retentionEveryMs: 3_600_000,
        retention: DEFAULT_RETENTION,
        now: () => now,
      });
      const early = start - 2 * WINDOW;
      await store.insertFlows([flow(early + 1000, 100)]);
      await jobs.run('aggregate');
      // Three hours on, the regular run has long left that window behind; then a late flow for it lands.
      now = start + 3 * 3_600_000;
      await jobs.run('aggregate');
      const late = [flow(early + 2000, 40)];
      await store.insertFlows(late);
      jobs.noteStored(late);
      now += WINDOW;
      await jobs.run('aggregate');
      await jobs.stop();
      const agg = await store.query({
        kind: 'top',
        by: ['dst_port'],
        metric: 'bytes',
        from: early,
        to: early + WINDOW,
        limit: 5,
        tier: 'aggregates',
      });
      expect(agg.rows).toEqual([{ dst_port: 443, bytes: 140 }]);
    } finally {
      await store.close();
    }
  });
});
