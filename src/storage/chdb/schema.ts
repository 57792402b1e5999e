/**
 * Versioned DDL of the embedded ClickHouse store. Each migration runs once (recorded in
 * schema_migrations); every statement is also written to be harmless when re-run (IF NOT EXISTS).
 *
 * Design choices (DESIGN.md "Storage", fixes of the flow-table DDL's known defects):
 *
 * - Sort keys are time-first. ntopng's IP-first key made every time-bounded query a full scan; here
 *   `ORDER BY (toStartOfHour(flow_start), exporter_ip, flow_start)` lets the primary index prune by time,
 *   keeps one exporter's flows together (per-exporter health and query 6), and keeps rows time-ordered
 *   inside an exporter-hour so the Delta codecs on the time columns shrink them to about a byte.
 *   Address lookups are served by bloom_filter skip indexes on src_ip/dst_ip, not by the key.
 * - Raw flows are partitioned hourly by FLOW time, aggregates daily, daily stats monthly: retention drops
 *   whole partitions, and TTL with ttl_only_drop_parts does the same inside the engine.
 * - Every address is IPv6 (IPv4 as IPv4-mapped ::ffff:a.b.c.d).
 * - Codecs (measured on 1 M synthetic flows): Delta+ZSTD(1) on the time columns, T64+LZ4 on the 64-bit
 *   counters (they rarely use more than 3 bytes: -4 B/flow against plain LZ4 at the same insert speed),
 *   ZSTD(1) on the extended_fields JSON; about 35 B per raw flow on disk.
 * - The aggregate tier's sort key IS its aggregation key (window_start, exporter_ip, src_ip, dst_ip,
 *   src_port, dst_port, ip_protocol): the design grouped by exporter_ip and src_port but keyed without
 *   them. Windows are by flow_start, not received_at. Re-aggregating a window deletes its rows and inserts
 *   them again from raw, so re-runs and late flows give the same rows (no `processed` UPDATE of raw).
 *   The delete is a lightweight delete written as a patch part (lightweight_delete_mode =
 *   'lightweight_update', which needs the block number/offset columns): measured 10-40 ms, where the
 *   default mutation-based lightweight delete took 0.1-1 s per run.
 * - `dependencies` is defined here (the design joined a table it never created); migration 4 adds the
 *   dependency map's confidence, idle mark and corrections history (`dependency_changes`).
 * - Exactly-once inserts (migration 3): flow_records keeps the engine's insert deduplication window, and
 *   `ingest_batches` records the batch ids stored (store.ts insertPayload). The tiers above raw need
 *   neither: they are recomputed from raw per window and replace their rows.
 *
 * TTL clauses are not part of the versioned DDL: they follow the configured retention and are set by
 * ttlStatements() after migrating (ALTER ... MODIFY TTL only when they differ).
 */
import { EPHEMERAL_FROM } from '../../core/rules.js';
import type { RetentionPolicy } from '../port.js';
import { RAW_COLUMNS } from './encode.js';
import { CREATE_HOURLY, SET_HOURLY_FROM } from './hourly.js';
import { LABELS_DDL } from './labels.js';

/** Blocks of flow_records whose insert tokens the engine remembers (each insert writes a block per hour it touches). */
export const DEDUP_WINDOW = 10_000;
/** Days a batch id stays in the ingest_batches ledger. */
export const LEDGER_DAYS = 7;

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const rawColumns = RAW_COLUMNS.map(([name, type]) => {
  const codec =
    name === 'received_at' || name === 'flow_start' || name === 'flow_end'
      ? ' CODEC(Delta, ZSTD(1))'
      : name === 'extended_fields'
        ? ' CODEC(ZSTD(1))'
        : name === 'bytes_total' || name === 'packets_total'
          ? ' CODEC(T64, LZ4)'
          : '';
  return `  ${name} ${type}${codec}`;
}).join(',\n');

/**
 * Edges the lower-port rule made between two ephemeral ports (the server port, the lower one, ephemeral
 * too): deps/evidence.ts byLowerPort makes none since, so a re-run would not make them again.
 */
const EPHEMERAL_GUESSES = `SELECT id FROM dependencies FINAL WHERE direction_rule = 'lower_port' AND server_port >= ${EPHEMERAL_FROM}`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tiers: flow_records, flow_aggregates, dependencies, dependency_stats, decoder_state',
    statements: [
      `CREATE TABLE IF NOT EXISTS flow_records (
${rawColumns},
  INDEX idx_src_ip src_ip TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_dst_ip dst_ip TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toStartOfHour(flow_start)
ORDER BY (toStartOfHour(flow_start), exporter_ip, flow_start)
SETTINGS ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS flow_aggregates (
  window_start DateTime('UTC'),
  window_end DateTime('UTC'),
  exporter_ip IPv6,
  src_ip IPv6,
  dst_ip IPv6,
  src_port UInt16,
  dst_port UInt16,
  ip_protocol UInt8,
  flow_count UInt64,
  bytes_total UInt64,
  packets_total UInt64,
  bytes_sampled UInt64,
  packets_sampled UInt64,
  sampling_rate UInt32,
  tcp_flags_observed UInt16,
  new_sessions UInt64,
  closed_sessions UInt64,
  min_duration_ms Int64,
  max_duration_ms Int64,
  avg_duration_ms Int64,
  protocol_sources Map(LowCardinality(String), UInt64),
  input_interfaces Array(UInt32),
  output_interfaces Array(UInt32),
  is_internal Bool,
  traffic_direction LowCardinality(String),
  INDEX idx_src_ip src_ip TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_dst_ip dst_ip TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(window_start)
ORDER BY (window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol)
SETTINGS ttl_only_drop_parts = 1, enable_block_number_column = 1, enable_block_offset_column = 1`,
      `CREATE TABLE IF NOT EXISTS dependencies (
  id UUID,
  client_ip IPv6,
  server_ip IPv6,
  server_port UInt16,
  ip_protocol UInt8,
  first_seen DateTime64(3, 'UTC'),
  last_seen DateTime64(3, 'UTC'),
  service_name Nullable(String),
  direction_rule LowCardinality(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS dependency_stats (
  stat_date Date,
  dependency_id UUID,
  bytes_total UInt64,
  packets_total UInt64,
  flow_count UInt64,
  sessions_total UInt64,
  sessions_peak UInt64,
  first_seen_today Nullable(DateTime('UTC')),
  last_seen_today Nullable(DateTime('UTC')),
  active_minutes UInt32,
  bytes_per_hour Array(UInt64),
  bytes_p50 Nullable(UInt64),
  bytes_p95 Nullable(UInt64),
  bytes_p99 Nullable(UInt64)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(stat_date)
ORDER BY (stat_date, dependency_id)
SETTINGS ttl_only_drop_parts = 1, enable_block_number_column = 1, enable_block_offset_column = 1`,
      `CREATE TABLE IF NOT EXISTS decoder_state (
  collector String,
  snapshot String CODEC(ZSTD(3)),
  updated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY collector`,
    ],
  },
  {
    version: 2,
    name: 'flowlens_settings: retention in force and the aggregation watermark',
    statements: [
      // One row per key; the newest version wins (read with argMax, no FINAL needed).
      `CREATE TABLE IF NOT EXISTS flowlens_settings (
  key String,
  value String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY key`,
    ],
  },
  {
    version: 3,
    name: 'exactly-once inserts: deduplication window on flow_records, ingest_batches ledger',
    statements: [
      // Inserts carry insert_deduplication_token = the batch id (store.ts): the engine drops a block whose
      // token it has seen among the table's last 10000 blocks. A non-replicated MergeTree deduplicates
      // nothing unless this window is set. With the window set, a token-less insert would be deduplicated
      // by content, so the store gives every insert a token (a random one without a batch id).
      `ALTER TABLE flow_records MODIFY SETTING non_replicated_deduplication_window = ${DEDUP_WINDOW}`,
      // Which batch ids are stored, so a repeated id is reported as a duplicate without an INSERT (the
      // engine's window drops the rows but does not say so). Written after the rows, so it can lag them
      // (a crash in between): the window covers that case. Kept 7 days (TTL drops whole days).
      `CREATE TABLE IF NOT EXISTS ingest_batches (
  batch_id String,
  rows UInt64,
  stored_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(stored_at)
ORDER BY batch_id
TTL stored_at + toIntervalDay(${LEDGER_DAYS})
SETTINGS ttl_only_drop_parts = 1`,
    ],
  },
  {
    version: 4,
    name: 'dependency map: confidence and idle mark on dependencies, dependency_changes',
    statements: [
      // '' on edges stored before: read as the rule's usual confidence (dependencies.ts).
      `ALTER TABLE dependencies ADD COLUMN IF NOT EXISTS confidence LowCardinality(String) DEFAULT '' AFTER direction_rule`,
      `ALTER TABLE dependencies ADD COLUMN IF NOT EXISTS idle_since Nullable(DateTime64(3, 'UTC')) AFTER confidence`,
      // Direction corrections. The key is the correction itself, so discovery re-recording one after a
      // crash between recording and the edge's upsert keeps one row (read with FINAL: few rows).
      `CREATE TABLE IF NOT EXISTS dependency_changes (
  dependency_id UUID,
  at DateTime64(3, 'UTC'),
  from_client_ip IPv6,
  from_server_ip IPv6,
  from_server_port UInt16,
  from_rule LowCardinality(String),
  from_confidence LowCardinality(String),
  to_client_ip IPv6,
  to_server_ip IPv6,
  to_server_port UInt16,
  to_rule LowCardinality(String),
  to_confidence LowCardinality(String)
) ENGINE = ReplacingMergeTree
ORDER BY (dependency_id, at, to_server_ip, to_server_port)`,
    ],
  },
  {
    version: 5,
    name: 'access control: api_tokens, api_token_uses, audit_log',
    statements: [
      // One row per token; a revocation writes the token again with a higher version.
      `CREATE TABLE IF NOT EXISTS api_tokens (
  id String,
  name String,
  role LowCardinality(String),
  tenant Nullable(String),
  hash String,
  created_at DateTime64(3, 'UTC'),
  created_by String,
  expires_at Nullable(DateTime64(3, 'UTC')),
  revoked_at Nullable(DateTime64(3, 'UTC')),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id`,
      // Uses apart from the token rows: a use recorded while a revocation is written can never write the
      // token back unrevoked (read with max(at) per id).
      `CREATE TABLE IF NOT EXISTS api_token_uses (
  id String,
  at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(at)
ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS audit_log (
  at DateTime64(3, 'UTC'),
  actor String,
  action LowCardinality(String),
  target String,
  detail String
) ENGINE = MergeTree
ORDER BY at`,
    ],
  },
  {
    version: 6,
    name: 'tenants',
    statements: [
      // One row per tenant; a deletion writes the tenant again, deleted, with a higher version (FINAL).
      `CREATE TABLE IF NOT EXISTS tenants (
  name String,
  exporters Array(String),
  networks Array(String),
  groups Array(String),
  created_at DateTime64(3, 'UTC'),
  deleted UInt8,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY name`,
    ],
  },
  {
    version: 7,
    name: 'host labels: names, groups and services of addresses and prefixes, with validity',
    statements: [LABELS_DDL],
  },
  {
    version: 8,
    name: 'dependency_stats: the request side of each edge (client -> server), NULL on days rolled up before',
    statements: [
      `ALTER TABLE dependency_stats
  ADD COLUMN IF NOT EXISTS request_bytes Nullable(UInt64),
  ADD COLUMN IF NOT EXISTS request_packets Nullable(UInt64),
  ADD COLUMN IF NOT EXISTS request_flows Nullable(UInt64)`,
    ],
  },
  {
    version: 9,
    name: 'flow_aggregates: biflow evidence (initiator, reverse counters) for dependency discovery',
    statements: [
      `ALTER TABLE flow_aggregates
  ADD COLUMN IF NOT EXISTS src_initiated UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS dst_initiated UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_bytes UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_packets UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_flows UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_tcp_flags UInt16 DEFAULT 0`,
    ],
  },
  {
    version: 10,
    name: 'dependencies: drop the lower_port guesses between two ephemeral ports (discovery no longer makes them)',
    statements: [
      `DELETE FROM dependency_stats WHERE dependency_id IN (${EPHEMERAL_GUESSES})`,
      `DELETE FROM dependency_changes WHERE dependency_id IN (${EPHEMERAL_GUESSES})`,
      `DELETE FROM dependencies WHERE id IN (${EPHEMERAL_GUESSES})`,
    ],
  },
  {
    version: 11,
    name: 'flow_hourly: the aggregates summed per hour, read by top-N over whole hours',
    statements: [CREATE_HOURLY, SET_HOURLY_FROM],
  },
];

/** The schema version this build expects (checkSchema compares the store's with it). */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32,
  name String,
  applied_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY version`;

/** Whole seconds / days of a retention, refused unless a positive safe integer (they are inlined in DDL). */
function wholeUnits(ms: number, unit: number, what: string): number {
  const n = Math.floor(ms / unit);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`retention ${what}: not a positive duration: ${ms}`);
  return n;
}

/**
 * The TTL clause each tier should carry for a retention policy (null: FOREVER, no TTL). DDL cannot take
 * bound parameters, so the only values inlined are integers produced here from numbers (never user text).
 *
 * The arithmetic is on DateTime64 / Date32, whose ranges reach far past any retention the configuration
 * accepts (core/duration.ts caps it): on DateTime (ends 2106) or Date (ends 2149) a long retention wrapped
 * into the past and the TTL deleted everything at once.
 */
export function ttlClauses(policy: RetentionPolicy): { table: string; ttl: string | null }[] {
  const finite = (ms: number) => Number.isFinite(ms);
  return [
    {
      table: 'flow_records',
      ttl: finite(policy.raw)
        ? `flow_start + toIntervalSecond(${wholeUnits(policy.raw, 1000, 'raw')})`
        : null,
    },
    {
      table: 'flow_aggregates',
      ttl: finite(policy.aggregates)
        ? `toDateTime64(window_start, 0, 'UTC') + toIntervalSecond(${wholeUnits(policy.aggregates, 1000, 'aggregates')})`
        : null,
    },
    {
      // The hourly rollup of the aggregates (hourly.ts) goes with them.
      table: 'flow_hourly',
      ttl: finite(policy.aggregates)
        ? `toDateTime64(hour, 0, 'UTC') + toIntervalSecond(${wholeUnits(policy.aggregates, 1000, 'aggregates')})`
        : null,
    },
    {
      table: 'dependency_stats',
      ttl: finite(policy.daily)
        ? `toDate32(stat_date) + toIntervalDay(${wholeUnits(policy.daily, 86_400_000, 'daily')})`
        : null,
    },
  ];
}
