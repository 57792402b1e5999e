/**
 * Embedded ClickHouse (chdb) store benchmarks.
 *
 * - storage/chdb-insert-formats: the same 1,000,000 flows (scale 1, calls of 262,144) into flow_records through each insert
 *   path tried: RowBinary via a temp file + file() (what the store uses), JSONEachRow and TSV through
 *   chdb's Buffer insert, JSONEachRow via file(). Flows/s wall, encode included. Target >= 500,000.
 * - storage/chdb-10m: 10,000,000 flows (scale 1) of 50,000 skewed conversations over the last 24 h
 *   (chdb-10m-high-cardinality: every flow a new random pair) through FlowStore.insertFlows
 *   (262,144 per call), bytes on disk per raw flow (system.parts, before and after merging; target <= 40),
 *   aggregation of the 24 h into 5-minute windows, then the design's six example queries
 *   (src/storage/chdb/examples.ts, query 5 fixed) and a top-20 by bytes over 24 h of aggregates through
 *   FlowStore.query (target < 300 ms), each the median of --repeats runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRecord, ProtocolType } from '../src/core/record.js';
import { encodeRowBinary, RAW_COLUMNS } from '../src/storage/chdb/encode.js';
import { EXAMPLE_QUERIES } from '../src/storage/chdb/examples.js';
import { type ChdbStore, openChdbStore } from '../src/storage/chdb/index.js';
import { rng } from '../src/storage/conformance/generator.js';
import type { Benchmark, BenchResult, Figure } from './harness.js';
import { median } from './harness.js';

const H = 3_600_000;
const PROTOCOLS: ProtocolType[] = ['netflow_v9', 'ipfix', 'sflow_v5', 'netflow_v5'];
const APPS = ['HTTPS', 'DNS', 'SSH', 'postgres', 'kafka'];
const SERVICES = [443, 80, 53, 22, 5432, 9092, 8080, 123];

interface Edge {
  client: string;
  server: string;
  port: number;
  exporter: string;
}

/**
 * Conversation edges (client -> server:port) with their exporter. `edges` = 0 means no fixed set: every
 * flow gets a fresh random client and peer (the worst case for aggregation, about one aggregate row per
 * flow).
 */
function makeEdges(r: () => number, edges: number): Edge[] {
  const internal = () => `10.${Math.floor(r() * 78)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const external = () =>
    r() < 0.1
      ? `2001:db8:${Math.floor(r() * 65536).toString(16)}::${Math.floor(r() * 65536).toString(16)}`
      : `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const clients = Array.from({ length: 20_000 }, (_, i) => (i === 0 ? '10.1.2.3' : internal()));
  const servers = Array.from({ length: 2_000 }, internal);
  const peers = Array.from({ length: 20_000 }, external);
  return Array.from({ length: edges }, (_, i) => {
    const client = i % 500 === 0 ? clients[0] : clients[Math.floor(r() * clients.length)];
    const server =
      r() < 0.6
        ? peers[Math.floor(r() * r() * peers.length)]
        : servers[Math.floor(r() * r() * servers.length)];
    const port = SERVICES[Math.floor(r() * SERVICES.length)];
    return {
      client: server.includes(':') ? '2001:db8:aa::1' : client,
      server,
      port,
      exporter: `192.0.2.${1 + (i % 16)}`,
    };
  });
}

/**
 * Synthetic traffic, roughly in time order over [start, start + span): flows of `edges` conversations
 * (20,000 internal clients in 10/8; 2,000 internal servers and 20,000 external peers, 10% IPv6; popularity
 * skewed: edge index = floor(edges * r^3)), service ports against ephemeral client ports, replies,
 * sampling 1 or 1000, application names on 20%, a vendor field on 2%, 16 exporters, and a port scanner
 * (SYN only, up to 2,000 ports, every 50th flow) in the last 5 minutes.
 */
export function* syntheticBatches(
  n: number,
  start: number,
  span: number,
  batch: number,
  opts: { seed?: number; edges?: number } = {},
): Generator<FlowRecord[]> {
  const r = rng(opts.seed ?? 11);
  const edgeCount = opts.edges ?? 50_000;
  const edges = edgeCount > 0 ? makeEdges(r, edgeCount) : [];
  const internal = () => `10.${Math.floor(r() * 78)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const scanAt = start + span - 120_000;
  for (let b = 0; b < n; b += batch) {
    const m = Math.min(batch, n - b);
    const out: FlowRecord[] = new Array(m);
    for (let j = 0; j < m; j++) {
      const i = b + j;
      const t = start + Math.floor((i / n) * span) - Math.floor(r() * 30_000);
      const e =
        edgeCount > 0
          ? edges[Math.floor(edgeCount * r() * r() * r())]
          : (() => {
              const [x] = makeEdgesCheap(r, internal);
              return x;
            })();
      const eph = 32768 + Math.floor(r() * 28000);
      const reply = r() < 0.5;
      const svc = e.port;
      const bytes = 40 + Math.floor(r() * 1_500_000);
      const ext: FlowRecord['extended_fields'] = { sampling_source: 'options', template_id: 256 + (i % 4) };
      if (r() < 0.2) ext.application_name = APPS[Math.floor(r() * APPS.length)];
      if (r() < 0.02) ext.vendor = { cisco: { firewall_event: 1 + Math.floor(r() * 4) } };
      const scan = i % 50 === 0 && i > n - n / 288;
      out[j] = {
        received_at: t + 1000 + Math.floor(r() * 5000),
        flow_start: scan ? scanAt + (i % 1000) : t,
        flow_end: (scan ? scanAt : t) + Math.floor(r() * 60_000),
        exporter_ip: e.exporter,
        exporter_id: 1,
        protocol_type: PROTOCOLS[i % 4],
        src_ip: scan ? '203.0.113.66' : reply ? e.server : e.client,
        dst_ip: scan ? internal() : reply ? e.client : e.server,
        src_port: scan ? 40000 : reply ? svc : eph,
        dst_port: scan ? 1 + (Math.floor(i / 50) % 2000) : reply ? eph : svc,
        ip_protocol: !scan && (svc === 53 || svc === 123) ? 17 : 6,
        bytes_total: bytes,
        packets_total: 1 + Math.floor(bytes / 1200),
        tcp_flags: scan ? 0x02 : svc === 53 || svc === 123 ? null : reply ? 0x1b : [0x02, 0x1b, 0x10][i % 3],
        input_interface: 1 + (i % 8),
        output_interface: 9 + (i % 8),
        src_as: null,
        dst_as: null,
        next_hop: null,
        src_vlan: null,
        dst_vlan: null,
        tos: 0,
        direction: 0,
        sampling_rate: i % 16 < 4 ? 1000 : 1,
        extended_fields: ext,
      };
    }
    yield out;
  }
}

/** One random edge (high-cardinality mode): random internal client, random peer, random exporter. */
function makeEdgesCheap(r: () => number, internal: () => string): Edge[] {
  const v6 = r() < 0.1;
  const peer = v6
    ? `2001:db8:${Math.floor(r() * 65536).toString(16)}::${Math.floor(r() * 65536).toString(16)}`
    : r() < 0.6
      ? `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`
      : internal();
  return [
    {
      client: v6 ? '2001:db8:aa::1' : internal(),
      server: peer,
      port: SERVICES[Math.floor(r() * SERVICES.length)],
      exporter: `192.0.2.${1 + Math.floor(r() * 16)}`,
    },
  ];
}

interface RawSession {
  insert(p: {
    table: string;
    values: Buffer;
    format: string;
    settings?: Record<string, number>;
  }): Promise<unknown>;
}
/**
 * The other paths insert the same flows again: flow_records keeps a deduplication window (exactly-once
 * inserts), so without this the engine would drop their blocks as repeats and the figure would time nothing.
 */
const NO_DEDUP = 'SETTINGS insert_deduplicate = 0';
/** Bench only: the store's chdb session, to try the insert paths the store does not use. */
const sessionOf = (s: ChdbStore) => (s as unknown as { db: { session: RawSession } }).db.session;

const dt = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

function jsonEachRow(rows: FlowRecord[]): Buffer {
  const parts: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const f = rows[i];
    parts[i] = JSON.stringify({
      ...f,
      received_at: dt(f.received_at),
      flow_start: dt(f.flow_start),
      flow_end: dt(f.flow_end),
      extended_fields: JSON.stringify(f.extended_fields),
    });
  }
  return Buffer.from(`${parts.join('\n')}\n`);
}

const tsvEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

function tsv(rows: FlowRecord[]): Buffer {
  const parts: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const f = rows[i] as unknown as Record<string, unknown>;
    const cells: string[] = [];
    for (const [name] of RAW_COLUMNS) {
      const v = f[name];
      if (name === 'received_at' || name === 'flow_start' || name === 'flow_end') cells.push(dt(v as number));
      else if (name === 'extended_fields') cells.push(tsvEscape(JSON.stringify(v)));
      else cells.push(v === null || v === undefined ? '\\N' : String(v));
    }
    parts[i] = cells.join('\t');
  }
  return Buffer.from(`${parts.join('\n')}\n`);
}

/** Wall seconds of fn; its CPU seconds (this process, which includes the in-process engine's threads) go to cpu. */
async function timed(fn: () => Promise<void>, cpu?: { s: number }): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  if (cpu) cpu.s += (c.user + c.system) / 1e6;
  return (performance.now() - t0) / 1000;
}

async function insertFormats(opts: { scale: number; repeats: number }): Promise<BenchResult> {
  const n = Math.max(10_000, Math.round(1_000_000 * opts.scale));
  const batch = 262_144;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-chdb-'));
  const store = await openChdbStore({ dir });
  try {
    await store.migrate();
    const now = Date.now();
    const batches = [...syntheticBatches(n, now - 2 * H, 2 * H, batch)];
    const session = sessionOf(store);
    const structure = RAW_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ');
    const tmp = join(dir, 'bench.payload');
    const paths: [string, (b: FlowRecord[]) => Promise<void>][] = [
      [
        'RowBinary via file() (store path)',
        async (b) => {
          await store.insertFlows(b);
        },
      ],
      [
        'JSONEachRow via file()',
        async (b) => {
          writeFileSync(tmp, jsonEachRow(b));
          await store.exec(
            `INSERT INTO flow_records SELECT * FROM file({p:String}, 'JSONEachRow', {s:String}) ${NO_DEDUP}`,
            {
              p: tmp,
              s: structure,
            },
          );
        },
      ],
      [
        'JSONEachRow Buffer insert',
        async (b) => {
          await session.insert({
            table: 'flow_records',
            values: jsonEachRow(b),
            format: 'JSONEachRow',
            settings: { insert_deduplicate: 0 },
          });
        },
      ],
      [
        'TSV Buffer insert',
        async (b) => {
          await session.insert({
            table: 'flow_records',
            values: tsv(b),
            format: 'TSV',
            settings: { insert_deduplicate: 0 },
          });
        },
      ],
    ];
    const figures: Figure[] = [];
    for (const [label, fn] of paths) {
      const runs: number[] = [];
      const cpus: number[] = [];
      for (let rep = 0; rep < opts.repeats; rep++) {
        await store.exec('TRUNCATE TABLE flow_records');
        const cpu = { s: 0 };
        runs.push(
          await timed(async () => {
            for (const b of batches) await fn(b);
          }, cpu),
        );
        cpus.push(cpu.s);
      }
      const [c] = await store.sql<{ n: string }>('SELECT count() AS n FROM flow_records');
      if (Number(c.n) !== n) throw new Error(`${label}: stored ${c.n} of ${n}`);
      figures.push({ label: `${label} flows/s`, value: n / median(runs) });
      figures.push({ label: `${label} flows per CPU-second`, value: n / median(cpus) });
    }
    const enc = median(
      await Promise.all(
        [0, 1, 2].map(async () => {
          const t0 = performance.now();
          for (const b of batches) encodeRowBinary(b);
          return (performance.now() - t0) / 1000;
        }),
      ),
    );
    figures.push({ label: 'RowBinary encode only flows/s', value: n / enc });
    return {
      figures,
      targets: [{ figure: 'RowBinary via file() (store path) flows/s', min: 500_000 }],
      notes: [
        `${n.toLocaleString('en-US')} flows in batches of ${batch.toLocaleString('en-US')}, wall time, encode included`,
      ],
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function tenMillion(opts: { scale: number; repeats: number; edges?: number }): Promise<BenchResult> {
  const n = Math.max(100_000, Math.round(10_000_000 * opts.scale));
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-chdb10m-'));
  const store = await openChdbStore({ dir });
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    await store.migrate();
    const now = Date.now();
    const start = now - 24 * H;
    let insertS = 0;
    const cpu = { s: 0 };
    for (const b of syntheticBatches(n, start, 24 * H, 262_144, { edges: opts.edges }))
      insertS += await timed(async () => {
        await store.insertFlows(b);
      }, cpu);
    figures.push({ label: 'insertFlows flows/s (wall)', value: n / insertS });
    figures.push({ label: 'insertFlows flows per CPU-second', value: n / cpu.s });
    const disk = async () => {
      const [p] = await store.sql<{ b: string; r: string; parts: string }>(
        `SELECT sum(bytes_on_disk) AS b, sum(rows) AS r, count() AS parts FROM system.parts
         WHERE active AND database = currentDatabase() AND table = 'flow_records'`,
      );
      return { perRow: Number(p.b) / Number(p.r), parts: Number(p.parts), bytes: Number(p.b) };
    };
    const d0 = await disk();
    figures.push({
      label: 'raw bytes on disk per flow (as inserted)',
      value: d0.perRow,
      unit: `B (${d0.parts} parts)`,
    });
    const optS = await timed(() => store.exec('OPTIMIZE TABLE flow_records FINAL'));
    const d1 = await disk();
    figures.push({
      label: 'raw bytes on disk per flow (merged)',
      value: d1.perRow,
      unit: `B (${d1.parts} parts)`,
    });
    notes.push(
      `merging all parts (OPTIMIZE FINAL) took ${optS.toFixed(1)} s; total ${(d1.bytes / 1e6).toFixed(0)} MB`,
    );
    const cols = await store.sql<{ name: string; c: string }>(
      `SELECT column AS name, sum(column_data_compressed_bytes) AS c FROM system.parts_columns
       WHERE active AND database = currentDatabase() AND table = 'flow_records'
       GROUP BY column ORDER BY sum(column_data_compressed_bytes) DESC LIMIT 8`,
    );
    notes.push(
      `largest columns (compressed B/flow): ${cols.map((c) => `${c.name} ${(Number(c.c) / n).toFixed(1)}`).join(', ')}`,
    );
    const aggS = await timed(async () => {
      const rep = await store.aggregateWindows(start, now + 1);
      notes.push(`aggregation: ${rep.windows} windows, ${rep.rows.toLocaleString('en-US')} aggregate rows`);
    });
    figures.push({ label: 'aggregation of 24 h flows/s', value: n / aggS });
    for (const q of EXAMPLE_QUERIES) {
      const runs: number[] = [];
      let rows = 0;
      for (let i = 0; i < opts.repeats; i++) {
        runs.push(
          await timed(async () => {
            rows = (await store.sql(q.sql, q.params(now))).length;
          }),
        );
      }
      figures.push({ label: q.name, value: median(runs) * 1000, unit: `ms (${rows} rows)` });
    }
    // As serve leaves it: every window aggregated up to the current one, which raw answers.
    await store.setAggregatedUntil(Math.floor(now / 300_000) * 300_000);
    for (const span of [H, 24 * H, 30 * 24 * H]) {
      const runs: number[] = [];
      let parts = '';
      for (let i = 0; i < opts.repeats; i++) {
        runs.push(
          await timed(async () => {
            const r = await store.query({
              kind: 'top',
              by: ['src_ip', 'dst_ip'],
              metric: 'bytes',
              from: now - span,
              to: now,
              limit: 20,
            });
            parts = (r.parts ?? []).map((p) => p.tier).join('+');
          }),
        );
      }
      figures.push({
        label: `top-20 src_ip,dst_ip by bytes ${span / H} h (${parts})`,
        value: median(runs) * 1000,
        unit: 'ms',
      });
    }
    notes.push(
      `${n.toLocaleString('en-US')} flows over 24 h; targets: insert >= 500,000 flows/s, <= 40 B per raw flow, top-N over 24 h of aggregates < 300 ms`,
    );
    return { figures, targets: [{ figure: 'insertFlows flows/s (wall)', min: 500_000 }], notes };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const storageChdbBenchmarks: Benchmark[] = [
  {
    group: 'storage',
    name: 'chdb-insert-formats',
    description: 'chdb insert paths compared (RowBinary file, JSONEachRow, TSV), 1 M flows',
    run: insertFormats,
  },
  {
    group: 'storage',
    name: 'chdb-10m',
    description: 'chdb: 10 M flows over 24 h: insert, bytes/flow, aggregation, six example queries, top-20',
    run: tenMillion,
  },
  {
    group: 'storage',
    name: 'chdb-10m-high-cardinality',
    description:
      'chdb-10m with a fresh random client and peer per flow (worst case: ~1 aggregate row per flow)',
    run: (o) => tenMillion({ ...o, edges: 0 }),
  },
];
