/**
 * Query latency through FlowStore.query, as the API and CLI run it (planned across tiers, the shared
 * compiler), on the data sizes:
 * - queries/chdb: embedded store, 10 M flows over 24 h (--scale), aggregated: top-20 over 24 h, a 24 h
 *   series at 5-minute steps split by the top 10, the first page of a flow search with a host filter,
 *   scan detection over the last hour, the six example queries;
 * - queries/postgres: the same on PostgreSQL with 1.5 M flows;
 * - queries/filter-parse: parsing a 200-character filter.
 * Figures are medians of --repeats runs after one warm-up run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUR_MS, WINDOW_MS } from '../src/core/rules.js';
import type { Query } from '../src/query/ast.js';
import { EXAMPLES } from '../src/query/examples.js';
import { parseFilter } from '../src/query/filter/index.js';
import { openChdbStore } from '../src/storage/chdb/index.js';
import type { FlowStore } from '../src/storage/port.js';
import { PostgresFlowStore } from '../src/storage/postgres/store.js';
import { startTestPostgres } from '../src/storage/testing/postgres.js';
import type { Benchmark, BenchResult, Figure } from './harness.js';
import { syntheticBatches } from './storage-chdb.js';
import { withDatabase } from './storage-postgres.js';

const H = HOUR_MS;

async function median(repeats: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

/** Loads n flows over the 24 h before `now` (hour-aligned), aggregates them, returns the load figures. */
export async function load(store: FlowStore, n: number, now: number, batch: number): Promise<Figure[]> {
  const start = now - 24 * H;
  const t0 = performance.now();
  for (const b of syntheticBatches(n, start, 24 * H, batch)) await store.insertFlows(b);
  const insertS = (performance.now() - t0) / 1000;
  const a0 = performance.now();
  for (let h = start; h < now; h += H) await store.aggregateWindows(h, h + H);
  await store.setAggregatedUntil(Math.floor(now / WINDOW_MS) * WINDOW_MS - WINDOW_MS);
  const aggS = (performance.now() - a0) / 1000;
  return [
    { label: 'flows loaded', value: n },
    { label: 'insert flows/s (generation included)', value: n / insertS },
    { label: 'aggregate 24 h (s)', value: aggS, unit: 's' },
  ];
}

async function latencies(store: FlowStore, now: number, repeats: number): Promise<Figure[]> {
  const day = { from: now - 24 * H, to: now };
  const cases: [string, Query][] = [
    ['top-20 dst_ip over 24 h (ms)', { kind: 'top', by: ['dst_ip'], metric: 'bytes', limit: 20, ...day }],
    [
      'series 24 h, 5 min, top-10 split (ms)',
      { kind: 'series', by: ['dst_ip'], metric: 'bytes', limit: 10, step: 5 * 60_000, ...day },
    ],
    [
      'flow search, host filter, 1st page (ms)',
      { kind: 'flow_search', limit: 100, filter: parseFilter('host 10.0.1.7'), ...day },
    ],
    [
      'scans over the last hour (ms)',
      { kind: 'scans', from: now - H, to: now, minTargets: 100, minSampledTargets: 5, limit: 100 },
    ],
  ];
  for (const ex of EXAMPLES)
    cases.push([
      `example ${ex.n} ${ex.kind} (ms)`,
      ex.build({ from: now - ex.rangeMs, to: now, filter: ex.filter }),
    ]);
  const out: Figure[] = [];
  for (const [label, q] of cases)
    out.push({
      label,
      value: await median(repeats, () => store.query(q, { timeoutMs: 600_000 })),
      unit: 'ms',
    });
  return out;
}

async function chdb(scale: number, repeats: number): Promise<BenchResult> {
  const n = Math.max(100_000, Math.round(10_000_000 * scale));
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-queries-'));
  const store = await openChdbStore({ dir });
  try {
    await store.migrate();
    const now = Math.floor(Date.now() / H) * H;
    const figures = [...(await load(store, n, now, 262_144)), ...(await latencies(store, now, repeats))];
    return {
      figures,
      // The targets, as maxima; the harness checks minima, so they are notes here.
      notes: [
        'targets (issue 10, 10 M flows): top-20 over 24 h < 100 ms; series 24 h/5 min/top-10 < 200 ms; flow search host 1st page < 100 ms',
      ],
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(scale: number, repeats: number): Promise<BenchResult> {
  const n = Math.max(50_000, Math.round(1_500_000 * scale));
  const server = await startTestPostgres({ durable: true });
  try {
    return await withDatabase(server, async (url) => {
      const store = new PostgresFlowStore({ url });
      try {
        await store.migrate();
        const now = Math.floor(Date.now() / H) * H;
        const figures = [...(await load(store, n, now, 20_000)), ...(await latencies(store, now, repeats))];
        return { figures };
      } finally {
        await store.close();
      }
    });
  } finally {
    await server.stop();
  }
}

const FILTER_200 =
  'src net 10.1.0.0/16 and (dst port in [80 443 8080] or dst port 1024-65535) and proto tcp and not flags A and bytes > 10K and ext.application_name = "HTTPS" and exporter 192.0.2.1 and dscp 46';

async function filterParse(repeats: number): Promise<BenchResult> {
  const n = 20_000;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < Math.max(3, repeats); r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseFilter(FILTER_200);
    best = Math.min(best, (performance.now() - t0) / n);
  }
  return {
    figures: [
      { label: 'filter length (chars)', value: FILTER_200.length },
      { label: 'parse (µs per filter)', value: best * 1000, unit: 'µs' },
      { label: 'parses per second', value: 1000 / best },
    ],
    // Under 1 ms per parse: at least 1,000 parses per second.
    targets: [{ figure: 'parses per second', min: 1000 }],
  };
}

export const queryBenchmarks: Benchmark[] = [
  {
    group: 'queries',
    name: 'chdb',
    description:
      'FlowStore.query latencies on the embedded store, 10 M flows over 24 h (top, series, search, scans, examples)',
    run: (o) => chdb(o.scale, o.repeats),
  },
  {
    group: 'queries',
    name: 'postgres',
    description: 'FlowStore.query latencies on PostgreSQL, 1.5 M flows over 24 h',
    run: (o) => postgres(o.scale, o.repeats),
  },
  {
    group: 'queries',
    name: 'filter-parse',
    description: 'parse of a 200-character filter (target < 1 ms)',
    run: (o) => filterParse(o.repeats),
  },
];
