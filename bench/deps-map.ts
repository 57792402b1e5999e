/**
 * deps/map-chdb, deps/map-postgres: the dependency map's reads (issue 9 "Performance") on 10,000 edges x
 * 30 days of daily stats (src/deps/testing/seed.ts, written by the engine) with 300 host labels:
 *
 * - one host's upstream and downstream over 30 days (target < 100 ms),
 * - the whole map, host view and group view (target < 500 ms),
 * - `deps diff` of two weeks against the two weeks before (target < 1 s).
 *
 * Figures are wall milliseconds, the median of --repeats runs after one warm-up; targets are expressed as
 * queries per second (harness targets are minimums). --scale scales the edge count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/app/store.js';
import { DAY_MS, dayStart } from '../src/core/rules.js';
import { depsDiff } from '../src/deps/history.js';
import { hostIp, seedMap } from '../src/deps/testing/seed.js';
import { depsView } from '../src/deps/view.js';
import type { FlowStore, HostLabel } from '../src/storage/port.js';
import type { Benchmark, BenchResult } from './harness.js';
import { median } from './harness.js';
import { withPostgresStore } from './storage-postgres.js';

const DAYS = 30;

function labels(): HostLabel[] {
  const out: HostLabel[] = [];
  const base = { service: null, port: null, valid_from: null, valid_to: null };
  // A group per /24 (64 hosts each), a name per host for the first 236 hosts.
  for (let k = 0; k < 64; k++) out.push({ ...base, cidr: `10.${k}.0.0/24`, name: '', group: `g${k}` });
  for (let k = 0; k < 236; k++) out.push({ ...base, cidr: hostIp(k), name: `host-${k}`, group: '' });
  return out;
}

async function ms(repeats: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

async function measure(store: FlowStore, opts: { scale: number; repeats: number }): Promise<BenchResult> {
  const edges = Math.max(500, Math.round(10_000 * opts.scale));
  const day0 = dayStart(Date.now()) - DAYS * DAY_MS;
  const to = day0 + DAYS * DAY_MS;
  await store.migrate();
  const t0 = performance.now();
  const seeded = await seedMap(store, { edges, days: DAYS, day0 });
  const seedS = (performance.now() - t0) / 1000;
  await store.replaceLabels(labels());
  const host = seeded[17].server_ip;
  const hostMs = await ms(opts.repeats, () => depsView(store, { from: day0, to, host, direction: 'both' }));
  const mapMs = await ms(opts.repeats, () => depsView(store, { from: day0, to }));
  const groupMs = await ms(opts.repeats, () => depsView(store, { from: day0, to, view: 'group' }));
  const mid = to - 14 * DAY_MS;
  const diffMs = await ms(opts.repeats, () =>
    depsDiff(store, { from: mid, to, baseFrom: mid - 14 * DAY_MS, baseTo: mid }),
  );
  return {
    figures: [
      { label: 'edges', value: edges },
      { label: 'seed (edges + stats) s', value: seedS, unit: 's' },
      { label: 'host up+downstream 30 d ms', value: hostMs, unit: 'ms' },
      { label: 'host queries/s', value: 1000 / hostMs },
      { label: 'whole map 30 d ms', value: mapMs, unit: 'ms' },
      { label: 'whole map/s', value: 1000 / mapMs },
      { label: 'whole map, group view ms', value: groupMs, unit: 'ms' },
      { label: 'diff 14 d vs 14 d ms', value: diffMs, unit: 'ms' },
      { label: 'diffs/s', value: 1000 / diffMs },
    ],
    targets: [
      { figure: 'host queries/s', min: 10 },
      { figure: 'whole map/s', min: 2 },
      { figure: 'diffs/s', min: 1 },
    ],
  };
}

async function chdb(opts: { scale: number; repeats: number }): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-deps-'));
  const store = await openStore({ data: dir });
  try {
    return await measure(store, opts);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(opts: { scale: number; repeats: number }): Promise<BenchResult> {
  return withPostgresStore((store) => measure(store, opts));
}

export const depsBenchmarks: Benchmark[] = [
  {
    group: 'deps',
    name: 'map-chdb',
    description: 'dependency map reads on the embedded store: host, whole map (host/group view), 14-day diff',
    run: chdb,
  },
  {
    group: 'deps',
    name: 'map-postgres',
    description: 'dependency map reads on PostgreSQL: host, whole map (host/group view), 14-day diff',
    run: postgres,
  },
];
