/**
 * Queries never starve ingestion (issue "Ask anything", performance under load): while `flowlens serve`
 * takes IPFIX at a fixed rate (150,000 flows/s on the embedded store), 20 HTTP clients ask POST
 * /api/v1/query for the top-20 destinations over the last 24 h, each again as soon as it has its answer,
 * for the 30 s (x --scale) gen sends. The store is prepared beforehand with a day of flows (10 M x --scale
 * on the embedded store, 1.5 M x --scale on PostgreSQL), aggregated, so every question reads a real day:
 * the raw tier's newest minutes, the aggregates, and the flows arriving. serve runs its jobs as in
 * production. Reported: flows stored / sent (lossless or not), counted drops, answers, errors and latency
 * percentiles. serve runs in no-auth mode here (the token check is measured by the `auth` benchmarks).
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tempDir } from '../src/app/testing/harness.js';
import { HOUR_MS } from '../src/core/rules.js';
import { openChdbStore } from '../src/storage/chdb/index.js';
import type { FlowStore } from '../src/storage/port.js';
import { PostgresFlowStore } from '../src/storage/postgres/store.js';
import { startTestPostgres } from '../src/storage/testing/postgres.js';
import { freshDatabase, type Target, trial } from './e2e.js';
import type { Benchmark, BenchResult, Figure } from './harness.js';
import { load } from './queries.js';

const CLIENTS = 20;

interface Asked {
  latencies: number[];
  errors: Map<string, number>;
}

/** CLIENTS loops asking the 24 h top-20 until `done`; every answer's latency, every failure by status. */
async function askContinuously(http: string, done: AbortSignal): Promise<Asked> {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const client = async () => {
    while (!done.aborted) {
      const now = Date.now();
      const body = {
        kind: 'top',
        by: ['dst_ip'],
        metric: 'bytes',
        limit: 20,
        from: now - 24 * HOUR_MS,
        to: now,
      };
      const t0 = performance.now();
      try {
        const r = await fetch(`${http}/api/v1/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const answer = (await r.json()) as { rows?: unknown[] };
        if (r.ok && Array.isArray(answer.rows) && answer.rows.length > 0)
          latencies.push(performance.now() - t0);
        else errors.set(`HTTP ${r.status}`, (errors.get(`HTTP ${r.status}`) ?? 0) + 1);
      } catch (err) {
        const k = (err as Error).message;
        errors.set(k, (errors.get(k) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return { latencies, errors };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function prepare(store: FlowStore, n: number, batch: number): Promise<void> {
  try {
    await store.migrate();
    await load(store, n, Math.floor(Date.now() / HOUR_MS) * HOUR_MS, batch);
  } finally {
    await store.close();
  }
}

async function underLoad(o: {
  target: Target;
  rate: number;
  seconds: number;
  prepared: { data: string } | { store: string };
}): Promise<BenchResult> {
  const engine = o.target.kind;
  const loadBefore = loadavg()[0].toFixed(2);
  let asked: Asked = { latencies: [], errors: new Map() };
  const t = await trial({
    rate: o.rate,
    seconds: o.seconds,
    target: o.target,
    jobs: true,
    prepared: o.prepared,
    env: { FLOWLENS_AUTH_MODE: 'none' },
    during: async (http, done) => {
      asked = await askContinuously(http, done);
    },
  });
  const lossless = t.storedFlows >= 0.9999 * t.sent.flows && t.storedBytes >= 0.9999 * t.sent.bytes;
  const sorted = [...asked.latencies].sort((a, b) => a - b);
  const figures: Figure[] = [
    { label: `${engine}: gen achieved flows/s`, value: (t.sent.flows * 1000) / t.sent.elapsed_ms },
    {
      label: `${engine}: stored / sent flows`,
      value: t.storedFlows / Math.max(1, t.sent.flows),
      unit: lossless ? '(lossless)' : '(LOSS)',
    },
    { label: `${engine}: counted drops`, value: t.drops },
    { label: `${engine}: top-20 answers`, value: sorted.length },
    { label: `${engine}: failed questions`, value: [...asked.errors.values()].reduce((a, b) => a + b, 0) },
    { label: `${engine}: latency p50`, value: percentile(sorted, 50), unit: 'ms' },
    { label: `${engine}: latency p95`, value: percentile(sorted, 95), unit: 'ms' },
    { label: `${engine}: latency max`, value: sorted.at(-1) ?? 0, unit: 'ms' },
    { label: `${engine}: serve CPU s per million flows`, value: t.cpuPerMillion, unit: 's' },
    { label: `${engine}: serve max RSS`, value: t.maxRssMb, unit: 'MB' },
  ];
  const notes = [
    `${engine}: load ${loadBefore} before; offered ${o.rate}/s for ${o.seconds} s; sent ${t.sent.flows}, stored ${t.storedFlows}; ` +
      `kernel receive-buffer drops ${t.kernelDrops}; jobs: ${t.jobs}` +
      (asked.errors.size ? `; failures: ${[...asked.errors].map(([k, v]) => `${k} x${v}`).join(', ')}` : ''),
  ];
  return { figures, notes };
}

async function chdbUnderLoad(scale: number): Promise<BenchResult> {
  const data = tempDir('flowlens-e2e-queries-');
  let r: BenchResult;
  try {
    await prepare(await openChdbStore({ dir: `${data}/chdb` }), Math.round(10_000_000 * scale), 262_144);
    const rate = Number(process.env.FLOWLENS_LOAD_RATE ?? 150_000);
    r = await underLoad({
      target: { kind: 'chdb' },
      rate,
      seconds: Math.max(5, 30 * scale),
      prepared: { data },
    });
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  return {
    ...r,
    targets: [{ figure: 'chdb: stored / sent flows', min: 0.9999 }],
    notes: [
      `${CLIENTS} clients, top-20 dst_ip over 24 h, prepared ${Math.round(10e6 * scale)} flows`,
      ...r.notes!,
    ],
  };
}

async function postgresUnderLoad(scale: number): Promise<BenchResult> {
  const server = await startTestPostgres({ durable: true });
  try {
    const url = await freshDatabase(server.url);
    await prepare(new PostgresFlowStore({ url }), Math.round(1_500_000 * scale), 20_000);
    const rate = Number(process.env.FLOWLENS_LOAD_PG_RATE ?? 50_000);
    const r = await underLoad({
      target: { kind: 'postgres', server: server.url },
      rate,
      seconds: Math.max(5, 30 * scale),
      prepared: { store: url },
    });
    return {
      ...r,
      notes: [
        `${CLIENTS} clients, top-20 dst_ip over 24 h, prepared ${Math.round(1.5e6 * scale)} flows`,
        ...r.notes!,
      ],
    };
  } finally {
    await server.stop();
  }
}

export const e2eQueryBenchmarks: Benchmark[] = [
  {
    group: 'e2e',
    name: 'serve-under-queries',
    description: `serve takes 150 k IPFIX flows/s while ${CLIENTS} clients ask the 24 h top-20 for 30 s: loss and latency`,
    run: (o) => chdbUnderLoad(o.scale),
  },
  {
    group: 'e2e',
    name: 'serve-under-queries-postgres',
    description: `the same on PostgreSQL (50 k flows/s, 1.5 M flows prepared)`,
    run: (o) => postgresUnderLoad(o.scale),
  },
];
