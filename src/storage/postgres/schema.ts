/**
 * The flow-table DDL (design-notes/flow-table.md section 2) as versioned migrations, with the defects that
 * DESIGN.md "Known defects in the flow-table DDL" lists fixed:
 *
 * - Raw tier partitioned (hourly) by `flow_start`, not `received_at`: aggregation windows and retention go by
 *   flow time, and a late flow lands in (and is pruned with) the hour it describes. Rows whose hour has no
 *   partition (far past or future, bad exporter clocks) go to `flow_records_default`.
 * - No `processed` / `processed_at` columns and no `idx_flow_records_unprocessed`: progress is a time
 *   watermark (`job_watermarks`), so aggregation never rewrites the raw tier with an UPDATE.
 * - No `id` identity / primary key on the raw tier: nothing addresses a raw flow by id, and the identity
 *   sequence plus its btree would be one more per-row cost at ingest (the raw tier is an append-only log).
 * - `flow_aggregates` primary key == aggregation key: (window_start, exporter_ip, src_ip, dst_ip, src_port,
 *   dst_port, ip_protocol), where src_port/dst_port hold the *collapsed* ports (ephemeral client port -> 0,
 *   see aggregate.ts), so one aggregation INSERT can never hit the same key twice.
 * - `dependencies` is defined (the design's rollup joined a table it never created).
 * - 32-bit unsigned exporter fields (observation domain, ifIndex, 4-byte ASNs, sampling rate) are BIGINT and
 *   tcp_flags is INTEGER (IPFIX tcpControlBits is 16 bits): the design's INTEGER/SMALLINT overflow on them.
 * - Addresses, ports and protocol are nullable in the raw tier (non-IP sFlow samples have none); the
 *   aggregate tier stores 0.0.0.0 / 0 for them.
 * - `ingest_batches` (migration 4): the batch ledger of exactly-once inserts (ledger.ts). The design had
 *   no way to tell a retried batch from a new one.
 *
 * Raw-tier indexes are not here: they depend on the configured index profile (indexes.ts).
 */

import { CANONICAL_COLUMNS } from '../../core/record.js';
import { EPHEMERAL_FROM } from '../../core/rules.js';
import { V8_HOST_LABELS } from './labels.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const RAW_COLUMNS = `
  received_at      TIMESTAMPTZ NOT NULL,
  flow_start       TIMESTAMPTZ NOT NULL,
  flow_end         TIMESTAMPTZ NOT NULL,
  exporter_ip      INET NOT NULL,
  exporter_id      BIGINT,
  protocol_type    flow_protocol_type NOT NULL,
  src_ip           INET,
  dst_ip           INET,
  src_port         INTEGER,
  dst_port         INTEGER,
  ip_protocol      SMALLINT,
  bytes_total      BIGINT NOT NULL DEFAULT 0,
  packets_total    BIGINT NOT NULL DEFAULT 0,
  tcp_flags        INTEGER,
  input_interface  BIGINT,
  output_interface BIGINT,
  src_as           BIGINT,
  dst_as           BIGINT,
  next_hop         INET,
  src_vlan         INTEGER,
  dst_vlan         INTEGER,
  tos              SMALLINT,
  direction        SMALLINT,
  sampling_rate    BIGINT NOT NULL DEFAULT 1,
  extended_fields  JSONB NOT NULL DEFAULT '{}',
  -- The exact JSON text, only when jsonb could not hold it (U+0000, lone surrogates; see insert.ts).
  extended_fields_raw TEXT,
  CONSTRAINT extended_fields_is_object CHECK (jsonb_typeof(extended_fields) = 'object')`;

/** Column order of the raw tier, as COPY sends it (insert.ts encodes in exactly this order). */
export const RAW_COPY_COLUMNS = [...CANONICAL_COLUMNS, 'extended_fields_raw'] as const;

const V1_TABLES = `
DO $$ BEGIN
  CREATE TYPE flow_protocol_type AS ENUM ('netflow_v5', 'netflow_v9', 'ipfix', 'sflow_v5');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN
  CREATE TYPE ip_protocol AS ENUM ('tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'esp', 'other');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

-- Kept from the design for reporting SQL (Grafana): protocol number -> name.
CREATE OR REPLACE FUNCTION ip_protocol_from_number(proto_num INTEGER) RETURNS ip_protocol
LANGUAGE sql IMMUTABLE AS $f$
  SELECT CASE proto_num WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6'
    WHEN 47 THEN 'gre' WHEN 50 THEN 'esp' ELSE 'other' END::ip_protocol
$f$;

CREATE TABLE flow_records (${RAW_COLUMNS}
) PARTITION BY RANGE (flow_start);
CREATE TABLE flow_records_default PARTITION OF flow_records DEFAULT;

CREATE TABLE flow_aggregates (
  window_start        TIMESTAMPTZ NOT NULL,
  window_end          TIMESTAMPTZ NOT NULL,
  exporter_ip         INET NOT NULL,
  src_ip              INET NOT NULL,
  dst_ip              INET NOT NULL,
  src_port            INTEGER NOT NULL,  -- collapsed: an ephemeral client port is 0
  dst_port            INTEGER NOT NULL,  -- collapsed likewise
  ip_protocol         SMALLINT NOT NULL,
  flow_count          BIGINT NOT NULL DEFAULT 0,
  bytes_total         BIGINT NOT NULL DEFAULT 0,  -- scaled by sampling_rate
  packets_total       BIGINT NOT NULL DEFAULT 0,  -- scaled by sampling_rate
  tcp_flags_observed  INTEGER NOT NULL DEFAULT 0,
  active_sessions     INTEGER NOT NULL DEFAULT 0,
  new_sessions        INTEGER NOT NULL DEFAULT 0,
  closed_sessions     INTEGER NOT NULL DEFAULT 0,
  min_duration_ms     BIGINT,
  max_duration_ms     BIGINT,
  avg_duration_ms     BIGINT,
  bytes_sampled       BIGINT NOT NULL DEFAULT 0,  -- unscaled, as exported
  packets_sampled     BIGINT NOT NULL DEFAULT 0,
  sampling_rate       BIGINT NOT NULL DEFAULT 1,
  protocol_sources    JSONB NOT NULL DEFAULT '{}',
  interfaces          JSONB NOT NULL DEFAULT '{}',
  is_internal         BOOLEAN,
  traffic_direction   VARCHAR(10),
  PRIMARY KEY (window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol)
) PARTITION BY RANGE (window_start);
CREATE TABLE flow_aggregates_default PARTITION OF flow_aggregates DEFAULT;
-- The design's idx_flow_agg_pair (src_ip, dst_ip, window_start) and idx_flow_agg_internal (is_internal,
-- window_start) are left out: a pair lookup is served by the src_ip index plus a filter, a boolean is not
-- selective. Measured on 500 k high-cardinality flows: the design's five secondary indexes were 45% of the
-- aggregation job's time (9.5 s with them, 5.3 s with the primary key only).
CREATE INDEX idx_flow_agg_src_ip ON flow_aggregates (src_ip, window_start DESC);
CREATE INDEX idx_flow_agg_dst_ip ON flow_aggregates (dst_ip, window_start DESC);
CREATE INDEX idx_flow_agg_port ON flow_aggregates (dst_port, window_start DESC);

-- The table the design's rollup joins but never defines: one edge client -> server:port/protocol.
CREATE TABLE dependencies (
  id              UUID PRIMARY KEY,
  client_ip       INET NOT NULL,
  server_ip       INET NOT NULL,
  server_port     INTEGER NOT NULL,
  ip_protocol     SMALLINT NOT NULL,
  first_seen      TIMESTAMPTZ NOT NULL,
  last_seen       TIMESTAMPTZ NOT NULL,
  service_name    TEXT,
  direction_rule  TEXT NOT NULL
    CHECK (direction_rule IN ('biflow', 'tcp_flags', 'service_port', 'lower_port', 'fan_in', 'given')),
  CONSTRAINT dependencies_edge UNIQUE (client_ip, server_ip, server_port, ip_protocol)
);
CREATE INDEX idx_dependencies_server ON dependencies (server_ip, server_port, ip_protocol);

CREATE TABLE dependency_stats (
  stat_date         DATE NOT NULL,
  dependency_id     UUID NOT NULL,
  bytes_total       BIGINT NOT NULL DEFAULT 0,
  packets_total     BIGINT NOT NULL DEFAULT 0,
  flow_count        BIGINT NOT NULL DEFAULT 0,
  sessions_total    INTEGER NOT NULL DEFAULT 0,
  sessions_peak     INTEGER NOT NULL DEFAULT 0,
  first_seen_today  TIMESTAMPTZ,
  last_seen_today   TIMESTAMPTZ,
  active_minutes    INTEGER NOT NULL DEFAULT 0,
  bytes_per_hour    BIGINT[] NOT NULL DEFAULT ARRAY[]::BIGINT[],
  bytes_p50         BIGINT,
  bytes_p95         BIGINT,
  bytes_p99         BIGINT,
  PRIMARY KEY (stat_date, dependency_id)
) PARTITION BY RANGE (stat_date);
CREATE TABLE dependency_stats_default PARTITION OF dependency_stats DEFAULT;
CREATE INDEX idx_dep_stats_dependency ON dependency_stats (dependency_id, stat_date DESC);

-- Progress of the periodic jobs (replaces the design's processed = TRUE UPDATE of every raw row).
CREATE TABLE job_watermarks (
  job         TEXT PRIMARY KEY,
  watermark   TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Decoder template / sampling state, so a restart or a second collector finds it.
CREATE TABLE decoder_state (
  collector   TEXT PRIMARY KEY,
  snapshot    JSONB NOT NULL,
  snapshot_raw TEXT,  -- exact JSON text when jsonb could not hold it (as extended_fields_raw)
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
`;

/**
 * Roles (DESIGN.md "Storage"): admin owns/changes everything, writer ingests and runs jobs, reporting reads.
 * NOLOGIN group roles; operators GRANT them to login roles. Skipped (not failed) without CREATEROLE.
 */
const V2_ROLES = `
DO $$
DECLARE r TEXT;
BEGIN
  FOREACH r IN ARRAY ARRAY['flowlens_admin', 'flowlens_writer', 'flowlens_reporting'] LOOP
    BEGIN
      -- Roles are cluster-wide: another database's migration may create them concurrently.
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN EXECUTE format('CREATE ROLE %I NOLOGIN', r); END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO flowlens_admin, flowlens_writer, flowlens_reporting', current_schema());
  GRANT ALL ON flow_records, flow_aggregates, dependencies, dependency_stats, job_watermarks, decoder_state
    TO flowlens_admin;
  GRANT SELECT, INSERT ON flow_records TO flowlens_writer;
  GRANT SELECT, INSERT, UPDATE, DELETE ON flow_aggregates, dependencies, dependency_stats, job_watermarks,
    decoder_state TO flowlens_writer;
  GRANT SELECT ON flow_records, flow_aggregates, dependencies, dependency_stats TO flowlens_reporting;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'flowlens roles not created: %', SQLERRM;
END $$;
`;

/**
 * Settings the store keeps about itself (the retention in force), readable by the reporting role with the
 * watermarks and the schema version, so a read-only process plans queries like the collector does.
 */
const V3_SETTINGS = `
CREATE TABLE IF NOT EXISTS flowlens_settings (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
DO $$
BEGIN
  GRANT ALL ON flowlens_settings TO flowlens_admin;
  GRANT SELECT, INSERT, UPDATE ON flowlens_settings TO flowlens_writer;
  GRANT SELECT ON flowlens_settings, job_watermarks, schema_version TO flowlens_reporting;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'flowlens_settings grants skipped: %', SQLERRM;
END $$;
`;

/**
 * The batch ledger of exactly-once inserts (ledger.ts): the id of every stored batch, written in the same
 * transaction as its COPY, so a retried or replayed batch is recognised and stored once.
 */
const V4_INGEST_BATCHES = `
CREATE TABLE IF NOT EXISTS ingest_batches (
  batch_id    TEXT PRIMARY KEY,
  rows        BIGINT NOT NULL,
  stored_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_ingest_batches_stored_at ON ingest_batches (stored_at);
DO $$
BEGIN
  GRANT ALL ON ingest_batches TO flowlens_admin;
  -- DELETE: the retention job prunes the ledger.
  GRANT SELECT, INSERT, DELETE ON ingest_batches TO flowlens_writer;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'ingest_batches grants skipped: %', SQLERRM;
END $$;
`;

/**
 * The dependency map: how sure each edge's direction is, since when it is idle (kept, not deleted: the
 * daily tier is its history), and the corrections history. Edges stored before get their rule's usual
 * confidence (port.ts RULE_CONFIDENCE).
 */
const V5_DEPENDENCY_MAP = `
ALTER TABLE dependencies ADD COLUMN IF NOT EXISTS confidence TEXT;
UPDATE dependencies SET confidence = CASE direction_rule
  WHEN 'lower_port' THEN 'low' WHEN 'service_port' THEN 'medium' WHEN 'fan_in' THEN 'medium' ELSE 'high' END
  WHERE confidence IS NULL;
ALTER TABLE dependencies ALTER COLUMN confidence SET NOT NULL;
ALTER TABLE dependencies ADD CONSTRAINT dependencies_confidence CHECK (confidence IN ('high', 'medium', 'low'));
ALTER TABLE dependencies ADD COLUMN IF NOT EXISTS idle_since TIMESTAMPTZ;
-- Keyed by the correction itself: recording one twice keeps one row.
CREATE TABLE IF NOT EXISTS dependency_changes (
  dependency_id     UUID NOT NULL,
  at                TIMESTAMPTZ NOT NULL,
  from_client_ip    INET NOT NULL,
  from_server_ip    INET NOT NULL,
  from_server_port  INTEGER NOT NULL,
  from_rule         TEXT NOT NULL,
  from_confidence   TEXT NOT NULL,
  to_client_ip      INET NOT NULL,
  to_server_ip      INET NOT NULL,
  to_server_port    INTEGER NOT NULL,
  to_rule           TEXT NOT NULL,
  to_confidence     TEXT NOT NULL,
  PRIMARY KEY (dependency_id, at, to_server_ip, to_server_port)
);
CREATE INDEX IF NOT EXISTS idx_dependency_changes_at ON dependency_changes (at);
DO $$
BEGIN
  GRANT ALL ON dependency_changes TO flowlens_admin;
  GRANT SELECT, INSERT, UPDATE, DELETE ON dependency_changes TO flowlens_writer;
  GRANT SELECT ON dependency_changes TO flowlens_reporting;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'dependency_changes grants skipped: %', SQLERRM;
END $$;
`;

/**
 * Access control (src/auth): API tokens (the secret only as a scrypt hash) with their last use, and the
 * audit log of admin actions. Not granted to flowlens_reporting: token hashes and who did what are not
 * traffic reports.
 */
const V6_ACCESS_CONTROL = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  tenant        TEXT,
  hash          TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  created_by    TEXT NOT NULL,
  expires_at    TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ,
  last_used_at  TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS audit_log (
  id      BIGSERIAL PRIMARY KEY,
  at      TIMESTAMPTZ NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  target  TEXT NOT NULL,
  detail  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_audit_log_at ON audit_log (at);
DO $$
BEGIN
  GRANT ALL ON api_tokens, audit_log TO flowlens_admin;
  GRANT USAGE ON SEQUENCE audit_log_id_seq TO flowlens_admin;
  -- serve authenticates (SELECT) and records last use (UPDATE); admins act through serve's API.
  GRANT SELECT, INSERT, UPDATE ON api_tokens TO flowlens_writer;
  GRANT SELECT, INSERT ON audit_log TO flowlens_writer;
  GRANT USAGE ON SEQUENCE audit_log_id_seq TO flowlens_writer;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'access control grants skipped: %', SQLERRM;
END $$;
`;

/**
 * Tenants (src/query/scope.ts) and row-level security on the traffic tables. Policies read the tenant of
 * the transaction, `current_setting('flowlens.tenant', true)`, which FlowLens sets per transaction with
 * set_config(..., true) (a pooled connection never carries one tenant into the next transaction):
 * - flowlens_reporting sees only rows of that tenant, and nothing without one;
 * - flowlens_reporting_all (a member of flowlens_reporting) sees every row: its policy is permissive and
 *   permissive policies combine with OR;
 * - flowlens_writer and flowlens_admin see and write every row (ingest, aggregation, retention).
 * The table owner and superusers bypass row-level security, as always. The scope lists are read by
 * SECURITY DEFINER functions, so a reporting login never reads another tenant's definition; each is a
 * scalar subquery in the policy, evaluated once per statement (an InitPlan), not per row.
 */
const V7_TENANTS = `
CREATE TABLE IF NOT EXISTS tenants (
  name        TEXT PRIMARY KEY,
  exporters   INET[] NOT NULL DEFAULT '{}',
  networks    INET[] NOT NULL DEFAULT '{}',
  groups      TEXT[] NOT NULL DEFAULT '{}',
  created_at  TIMESTAMPTZ NOT NULL
);
DO $$
BEGIN
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'flowlens_reporting_all') THEN
      CREATE ROLE flowlens_reporting_all NOLOGIN;
    END IF;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  GRANT flowlens_reporting TO flowlens_reporting_all;
  GRANT ALL ON tenants TO flowlens_admin;
  GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO flowlens_writer;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION flowlens_scope_exporters() RETURNS inet[] LANGUAGE sql STABLE
      SECURITY DEFINER SET search_path = %1$I AS
      'SELECT exporters FROM tenants WHERE name = current_setting(''flowlens.tenant'', true)';
    CREATE OR REPLACE FUNCTION flowlens_scope_networks() RETURNS inet[] LANGUAGE sql STABLE
      SECURITY DEFINER SET search_path = %1$I AS
      'SELECT networks FROM tenants WHERE name = current_setting(''flowlens.tenant'', true)';
  $f$, current_schema());
  GRANT EXECUTE ON FUNCTION flowlens_scope_exporters(), flowlens_scope_networks() TO flowlens_reporting;
  ALTER TABLE flow_records ENABLE ROW LEVEL SECURITY;
  ALTER TABLE flow_aggregates ENABLE ROW LEVEL SECURITY;
  ALTER TABLE dependencies ENABLE ROW LEVEL SECURITY;
  ALTER TABLE dependency_stats ENABLE ROW LEVEL SECURITY;
  CREATE POLICY flowlens_tenant ON flow_records FOR SELECT TO flowlens_reporting USING (
    exporter_ip = ANY (COALESCE((SELECT flowlens_scope_exporters()), '{}'))
    OR src_ip <<= ANY (COALESCE((SELECT flowlens_scope_networks()), '{}')) OR dst_ip <<= ANY (COALESCE((SELECT flowlens_scope_networks()), '{}')));
  CREATE POLICY flowlens_tenant ON flow_aggregates FOR SELECT TO flowlens_reporting USING (
    exporter_ip = ANY (COALESCE((SELECT flowlens_scope_exporters()), '{}'))
    OR src_ip <<= ANY (COALESCE((SELECT flowlens_scope_networks()), '{}')) OR dst_ip <<= ANY (COALESCE((SELECT flowlens_scope_networks()), '{}')));
  -- Edges have no exporter: networks only (README "Tenants").
  CREATE POLICY flowlens_tenant ON dependencies FOR SELECT TO flowlens_reporting USING (
    client_ip <<= ANY (COALESCE((SELECT flowlens_scope_networks()), '{}')) OR server_ip <<= ANY (COALESCE((SELECT flowlens_scope_networks()), '{}')));
  -- A day's statistics follow their edge (the subquery reads dependencies under its own policy).
  CREATE POLICY flowlens_tenant ON dependency_stats FOR SELECT TO flowlens_reporting USING (
    dependency_id IN (SELECT id FROM dependencies));
  CREATE POLICY flowlens_all ON flow_records TO flowlens_reporting_all, flowlens_writer, flowlens_admin
    USING (true) WITH CHECK (true);
  CREATE POLICY flowlens_all ON flow_aggregates TO flowlens_reporting_all, flowlens_writer, flowlens_admin
    USING (true) WITH CHECK (true);
  CREATE POLICY flowlens_all ON dependencies TO flowlens_reporting_all, flowlens_writer, flowlens_admin
    USING (true) WITH CHECK (true);
  CREATE POLICY flowlens_all ON dependency_stats TO flowlens_reporting_all, flowlens_writer, flowlens_admin
    USING (true) WITH CHECK (true);
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'tenant roles and row-level security skipped: %', SQLERRM;
END $$;
`;

/**
 * Edges the lower-port rule made between two ephemeral ports (the server port, the lower one, ephemeral
 * too): deps/evidence.ts byLowerPort makes none since, so a re-run would not make them again.
 */
const V11_EPHEMERAL_GUESSES = `
DELETE FROM dependency_stats WHERE dependency_id IN
  (SELECT id FROM dependencies WHERE direction_rule = 'lower_port' AND server_port >= ${EPHEMERAL_FROM});
DELETE FROM dependency_changes WHERE dependency_id IN
  (SELECT id FROM dependencies WHERE direction_rule = 'lower_port' AND server_port >= ${EPHEMERAL_FROM});
DELETE FROM dependencies WHERE direction_rule = 'lower_port' AND server_port >= ${EPHEMERAL_FROM};
`;

/** Biflow evidence per aggregate row (initiator, reverse counters) for dependency discovery (port.ts). */
const V10_BIFLOW = `
ALTER TABLE flow_aggregates
  ADD COLUMN IF NOT EXISTS src_initiated BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS dst_initiated BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_bytes BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_packets BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_flows BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS reverse_tcp_flags INTEGER NOT NULL DEFAULT 0;
`;

/** The request side of each edge (client -> server) per day; NULL on days rolled up before (port.ts). */
const V9_REQUEST_SIDE = `
ALTER TABLE dependency_stats
  ADD COLUMN IF NOT EXISTS request_bytes BIGINT,
  ADD COLUMN IF NOT EXISTS request_packets BIGINT,
  ADD COLUMN IF NOT EXISTS request_flows BIGINT;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '001_flow_tables', sql: V1_TABLES },
  { version: 2, name: '002_roles', sql: V2_ROLES },
  { version: 3, name: '003_settings', sql: V3_SETTINGS },
  { version: 4, name: '004_ingest_batches', sql: V4_INGEST_BATCHES },
  { version: 5, name: '005_dependency_map', sql: V5_DEPENDENCY_MAP },
  { version: 6, name: '006_access_control', sql: V6_ACCESS_CONTROL },
  { version: 7, name: '007_tenants', sql: V7_TENANTS },
  { version: 8, name: '008_host_labels', sql: V8_HOST_LABELS },
  { version: 9, name: '009_dependency_request_side', sql: V9_REQUEST_SIDE },
  { version: 10, name: '010_aggregate_biflow_evidence', sql: V10_BIFLOW },
  { version: 11, name: '011_drop_ephemeral_port_guesses', sql: V11_EPHEMERAL_GUESSES },
];

/** The schema version this build expects (checkSchema compares the store's with it). */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
