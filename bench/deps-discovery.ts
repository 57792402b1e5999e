/**
 * deps/discovery-chdb (and deps/discovery-postgres, the same on PostgreSQL): dependency discovery over a day of the storage benchmark's data (issue 9
 * "Performance": 10 M flows over 24 h, discovery under 10 s of CPU on the embedded store). --scale=1 is
 * 10,000,000 flows (bench/storage-chdb.ts syntheticBatches: 50,000 skewed conversations, replies, sampling,
 * a scanner), inserted and aggregated into 5-minute windows as serve would, then `discoverRange` over the
 * 24 h in one pass of deps.discoveryWindow (24 h), as the job's first run does.
 *
 * Figures: CPU seconds of this process (which includes the in-process engine's threads) and wall seconds of
 * the whole discovery, first run (empty map) and a repeat (every edge known: the idempotent re-run late
 * windows cause), then the phases of one pass timed apart: reading the aggregate rows, inferring (plain
 * TypeScript), merging and writing the edges, rolling up the days.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/app/store.js';
import { DAY_MS, dayStart, WINDOW_MS } from '../src/core/rules.js';
import { conversationRow, discoverRange } from '../src/deps/discover.js';
import { inferEdges } from '../src/deps/infer.js';
import { mergeEdges } from '../src/deps/merge.js';
import type { FlowStore } from '../src/storage/port.js';
import type { Benchmark, BenchResult, Figure } from './harness.js';
import { syntheticBatches } from './storage-chdb.js';
import { withPostgresStore } from './storage-postgres.js';

const H = 3_600_000;

/** CPU and wall seconds of fn (process.cpuUsage covers every thread, the engine's included). */
async function cpuWall<T>(fn: () => Promise<T>): Promise<{ cpu: number; wall: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1000, value };
}

/**
 * Waits until the embedded engine has no merge or mutation running (at most 5 minutes), so the CPU of
 * merging the 10 M freshly loaded flows is not counted as discovery's (the first run counted ~15 s of it).
 * Seconds waited; null for a store without the engine's system tables.
 */
async function settleMerges(store: FlowStore): Promise<number | null> {
  const sql = (store as { sql?: (q: string) => Promise<{ n: number | string }[]> }).sql?.bind(store);
  if (!sql) return null;
  const t0 = performance.now();
  const busy = async () => {
    const [m] = await sql('SELECT count() AS n FROM system.merges');
    const [u] = await sql('SELECT count() AS n FROM system.mutations WHERE NOT is_done');
    return Number(m.n) + Number(u.n) > 0;
  };
  while ((await busy()) && performance.now() - t0 < 300_000) await new Promise((r) => setTimeout(r, 500));
  return (performance.now() - t0) / 1000;
}

async function discovery(store: FlowStore, opts: { scale: number }): Promise<BenchResult> {
  const n = Math.max(100_000, Math.round(10_000_000 * opts.scale));
  const figures: Figure[] = [];
  const notes: string[] = [];
  await store.migrate();
  const now = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
  const start = now - 24 * H;
  const ins = await cpuWall(async () => {
    for (const b of syntheticBatches(n, start, 24 * H, 262_144)) await store.insertFlows(b);
  });
  const agg = await cpuWall(() => store.aggregateWindows(start - WINDOW_MS, now + WINDOW_MS));
  const aggUntil = now + WINDOW_MS;
  await store.setAggregatedUntil(aggUntil);
  const settled = await settleMerges(store);
  if (settled !== null)
    notes.push(`engine merges of the load settled in ${settled.toFixed(1)} s before discovery`);
  notes.push(
    `${n.toLocaleString('en-US')} flows inserted in ${ins.wall.toFixed(1)} s, aggregated in ${agg.wall.toFixed(1)} s (${agg.value.rows.toLocaleString('en-US')} aggregate rows)`,
  );
  const from = aggUntil - DAY_MS;
  const first = await cpuWall(() => discoverRange(store, from, aggUntil, { windowMs: DAY_MS }));
  const again = await cpuWall(() => discoverRange(store, from, aggUntil, { windowMs: DAY_MS }));
  figures.push(
    { label: 'discovery 24 h, first run, CPU s', value: first.cpu, unit: 's' },
    { label: 'discovery 24 h, first run, wall s', value: first.wall, unit: 's' },
    { label: 'discovery 24 h, repeat, CPU s', value: again.cpu, unit: 's' },
    { label: 'discovery 24 h, repeat, wall s', value: again.wall, unit: 's' },
    { label: 'edges', value: first.value.edges },
    // Harness targets are minimums: under 10 s of CPU is at least one discovery per 10 CPU-seconds.
    { label: 'discoveries per 10 CPU-seconds', value: 10 / first.cpu },
  );
  // The phases of one pass, apart (the edges are known now, as in the repeat).
  const read = await cpuWall(async () =>
    (await store.conversationTotals(from, aggUntil)).rows.map(conversationRow),
  );
  const rows = read.value;
  const infer = await cpuWall(async () => inferEdges(rows));
  const merge = await cpuWall(async () => {
    const merged = mergeEdges(await store.listDependencies(), infer.value.edges);
    await store.upsertDependencies(merged.edges);
  });
  const roll = await cpuWall(async () => {
    for (let d = dayStart(from); d < aggUntil; d += DAY_MS) await store.rollupDaily(d);
  });
  for (const [label, p] of [
    ['read conversation totals', read],
    ['infer (TypeScript)', infer],
    ['merge + upsert edges', merge],
    ['daily rollup', roll],
  ] as const)
    figures.push({
      label: `phase: ${label}, CPU s (wall s)`,
      value: p.cpu,
      unit: `s (${p.wall.toFixed(2)} s)`,
    });
  notes.push(
    `${rows.length.toLocaleString('en-US')} conversation rows read; by rule: ${JSON.stringify(first.value.byRule)}; scanners: ${first.value.scanners.join(', ') || 'none'}`,
    'target: discovery over a day of 10 M flows under 10 s of CPU (figures are CPU of the whole process; the machine may be shared)',
  );
  return { figures, targets: [{ figure: 'discoveries per 10 CPU-seconds', min: 1 }], notes };
}

async function chdb(opts: { scale: number }): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-discovery-'));
  const store = await openStore({ data: dir });
  try {
    return await discovery(store, opts);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same on PostgreSQL (a server of its own; its CPU is not this process's: wall is the figure). */
async function postgres(opts: { scale: number }): Promise<BenchResult> {
  return withPostgresStore(async (store) => {
    const r = await discovery(store, opts);
    r.notes = [
      ...(r.notes ?? []),
      'PostgreSQL: CPU figures are this process only (the server runs apart); compare wall',
    ];
    r.targets = [];
    return r;
  });
}

export const depsDiscoveryBenchmarks: Benchmark[] = [
  {
    group: 'deps',
    name: 'discovery-chdb',
    description: 'discovery over 24 h of 10 M flows (scale 1) on the embedded store: CPU and wall, by phase',
    run: chdb,
  },
  {
    group: 'deps',
    name: 'discovery-postgres',
    description: 'the same discovery on PostgreSQL (wall; the server CPU is not counted)',
    run: postgres,
  },
];
