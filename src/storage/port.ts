import type { HostLabel } from '../core/label-file.js';
import type { FlowRecord } from '../core/record.js';
import type { RetentionPolicy } from '../core/retention.js';
import type { Query, QueryResult } from '../query/ast.js';
import type { Scope } from '../query/scope.js';

export interface QueryOptions {
  /** Only rows inside this scope (a tenant's); absent: every row (src/query/scope.ts). */
  scope?: Scope;
  /** The engine cancels the query after this long (QueryTimeoutError); none: no limit. */
  timeoutMs?: number;
}

/**
 * The one storage port (DESIGN.md "Storage"). Backends (storage/chdb, storage/postgres) implement it and
 * pass storage/conformance; only src/app picks one. Times are epoch milliseconds UTC throughout.
 */
export interface FlowStore {
  readonly capabilities: StoreCapabilities;
  /**
   * The memory an engine running inside this process holds, in bytes by part (`tracked`: all the engine
   * accounts for; then merges and each cache), for the flowlens_store_engine_memory_bytes gauge. Absent
   * where the engine is a server of its own (PostgreSQL, a ClickHouse cluster).
   */
  engineMemory?(): Promise<Record<string, number>>;
  /** Apply versioned migrations; idempotent. Never changes the retention in force (setRetention does). */
  migrate(): Promise<MigrationReport>;
  /**
   * Throws StoreSchemaError when the schema is missing or older than this version (read-only commands call
   * it instead of migrating: a reporting role cannot migrate).
   */
  checkSchema(): Promise<void>;
  /** What the store records about its tiers; read-only, so any process plans a query the same way. */
  tierState(): Promise<TierState>;
  /**
   * Records the retention in force and applies it to the engine (TTLs on the ClickHouse family). Only
   * serve, migrate and retention call it: a read never changes retention.
   */
  setRetention(policy: RetentionPolicy): Promise<void>;
  /** Moves the aggregation watermark forward (never back): every window before `until` is aggregated. */
  setAggregatedUntil(until: number): Promise<void>;
  /**
   * Stores flow records (other record kinds are skipped). With a batch id the call is exactly-once: a
   * second call with an id the store already holds stores nothing and reports `duplicate` (see
   * InsertOptions). Throws StoreInputError, storing nothing, when a record does not fit the schema.
   */
  insertFlows(records: readonly FlowRecord[], options?: InsertOptions): Promise<InsertResult>;
  /** Re-aggregate every 5-minute window overlapping [from, to) by flow time; idempotent. */
  aggregateWindows(from: number, to: number): Promise<AggregationReport>;
  /** Roll the aggregates of the UTC day starting at `day` into dependency_stats for known edges; idempotent. */
  rollupDaily(day: number): Promise<RollupReport>;
  /** Insert or update dependency edges (the dependency issue fills them; tests give them). */
  upsertDependencies(edges: readonly DependencyEdge[]): Promise<void>;
  /** Every edge; with `around`, only edges whose client or server is one of these addresses. */
  listDependencies(around?: readonly string[]): Promise<DependencyEdge[]>;
  /**
   * The edges between the two hosts of any pair, either of them the client, on the pair's protocol: what
   * a discovery pass merges into, read instead of every edge (a busy site keeps millions).
   */
  dependenciesBetween(pairs: readonly HostPair[]): Promise<DependencyEdge[]>;
  /**
   * Marks every edge not idle and last seen before `before` as idle since its last_seen, in the store
   * (without reading the edges out); returns how many it marked.
   */
  markIdleDependencies(before: number): Promise<number>;
  /**
   * Removes edges by id, with their corrections (tests and operators; discovery never removes an edge).
   * Their daily stats stay until the day is rolled up again or expires.
   */
  removeDependencies(ids: readonly string[]): Promise<void>;
  dependencyStats(from: number, to: number): Promise<DependencyStatsRow[]>;
  /**
   * Daily stats summed in the store per edge over the days overlapping [from, to), split into periods at
   * `splits` (UTC day starts: a period holds the days from its start to the next split); only `ids` when
   * given. What the map, its views and the diff read (DependencyStatsRow per day is 30x the rows).
   */
  dependencyTotals(q: DependencyTotalsQuery): Promise<DependencyTotalsRow[]>;
  /**
   * Discovery's read (src/deps/discover.ts): the aggregate rows with window_start in [from, to) summed per
   * (src_ip, dst_ip, src_port, dst_port, ip_protocol) across windows and exporters, so a conversation seen
   * in every window of a day is one row, not 288 per exporter. Order unspecified. With `limit`, only the
   * `limit` conversations (both directions of an endpoint pair) with the most bytes in both directions
   * together, ties in no stated order; the rest are counted in the result, not returned.
   */
  conversationTotals(
    from: number,
    to: number,
    options?: ConversationTotalsOptions,
  ): Promise<ConversationTotals>;
  /**
   * Keeps direction corrections (an edge turned round by stronger evidence). Keyed by (dependency_id, at,
   * the new server endpoint): recording the same correction twice keeps one.
   */
  recordDependencyChanges(changes: readonly DependencyChange[]): Promise<void>;
  /** Corrections with `at` in [from, to), ordered by at, dependency_id. */
  listDependencyChanges(from: number, to: number): Promise<DependencyChange[]>;
  /** Host labels (src/deps/labels.ts): names, groups and service names of addresses/CIDRs, in stored order. */
  getLabels(): Promise<HostLabel[]>;
  /** Replaces every label with these (an import or PUT /api/v1/labels). */
  replaceLabels(labels: readonly HostLabel[]): Promise<void>;
  /** A value the store keeps about itself (flowlens_settings), or null. Keys: settings.ts. */
  getSetting(key: string): Promise<string | null>;
  /** Writes a setting (the newest write wins). Only writers call it. */
  putSetting(key: string, value: string): Promise<void>;
  /** API tokens (src/auth): stores a new token (its secret only as a slow hash). */
  createApiToken(token: ApiTokenRecord): Promise<void>;
  /** One token by id, revoked and expired ones included (the caller decides), with its last use; or null. */
  getApiToken(id: string): Promise<ApiTokenRecord | null>;
  /** Every token, newest first. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Marks a token revoked at `at`; false when no such token (revoking twice keeps the first time). */
  revokeApiToken(id: string, at: number): Promise<boolean>;
  /** Records a use (callers throttle: at most about once a minute per token). The latest use wins. */
  touchApiToken(id: string, at: number): Promise<void>;
  /** Appends one admin action to the audit log. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Audit entries with `at` in [from, to), newest first, at most `limit`. */
  listAudit(range: { from: number; to: number; limit: number }): Promise<AuditEntry[]>;
  /** Stores a tenant; false (nothing changed) when one with that name exists. */
  createTenant(tenant: TenantRecord): Promise<boolean>;
  /** Every tenant, by name. */
  listTenants(): Promise<TenantRecord[]>;
  getTenant(name: string): Promise<TenantRecord | null>;
  /** false when there is no such tenant. */
  deleteTenant(name: string): Promise<boolean>;
  /** Remove data older than each tier's retention; with dryRun only report. */
  applyRetention(
    policy: RetentionPolicy,
    options: { dryRun: boolean; now?: number },
  ): Promise<RetentionReport>;
  /** Decoder template/sampling state, persisted so a restart or a second collector finds it. */
  saveDecoderState(collector: string, snapshot: unknown): Promise<void>;
  loadDecoderState(collector: string): Promise<unknown | null>;
  /**
   * Answers a query; with a scope, only rows inside it (ANDed outside the query's own filter, for every
   * query kind; on PostgreSQL the tenant is also set for row-level security).
   */
  query(q: Query, options?: QueryOptions): Promise<QueryResult>;
  close(): Promise<void>;
  /**
   * Optional fast path for bulk ingest: rows encoded in the store's own wire format by worker threads
   * (off the thread that owns the store), then handed over as bytes. A store without it takes insertFlows.
   */
  readonly rowEncoding?: RowEncoding;
}

/**
 * What a worker thread needs to encode rows for a store, and how the store takes them. The module at
 * `encoderModule` exports `createRowEncoder(): RowEncoder` (pure, no I/O).
 */
export interface RowEncoding {
  /** Names the byte format (and version): encoded rows kept aside (spooled) go only to a store with the same. */
  format: string;
  /** URL of the encoder module (import()-able in a worker thread). */
  encoderModule: string;
  /**
   * Stores chunks produced by the encoder, all or nothing per call where the backend allows; with a batch
   * id, exactly once (as insertFlows). The same rows may come back chunked differently (the spool keeps
   * them as one payload): a store must not let the chunking change what a batch id deduplicates.
   */
  insertEncoded(rows: EncodedRows, options?: InsertOptions): Promise<InsertResult>;
}

/** Rows a RowEncoder produced, as one insert takes them. */
export interface EncodedRows {
  /** take() results, back to back (any chunking of the same rows stores the same). */
  chunks: readonly Uint8Array[];
  rows: number;
  /**
   * Flow starts covering every 5-minute window the rows touch (at least one per window): what a store needs
   * to prepare for them (PostgreSQL creates the hourly partitions first) without decoding the bytes.
   */
  starts: readonly number[];
}

/**
 * Exactly-once storage of a batch. The caller gives each batch an id once, when the batch is formed, and
 * keeps it with the batch wherever it goes (spool, retries): an insert whose caller saw it fail or time out
 * may still have completed in the store, and its retry must not store the rows again. Rows are never
 * deduplicated by content (identical flows are legal): only a repeated batch id is. Without an id an
 * insert is stored as given.
 *
 * How long a store remembers ids is its own (a ledger kept for days, the engine's deduplication window of
 * the most recent inserts); it covers any retry the collector's spool makes.
 */
export interface InsertOptions {
  /** Printable ASCII, at most 128 characters (stores use it as a key and as an engine token). */
  batchId?: string;
}

export interface InsertResult {
  /** Rows this call added to the store (0 for a duplicate). */
  rows: number;
  /** The batch id was already stored (by an earlier call, maybe one whose caller saw it fail): nothing added. */
  duplicate: boolean;
}

/** Refuses ids no engine can key on as they are (a ledger key, a deduplication token). */
export function checkBatchId(id: string): string {
  if (!/^[\x21-\x7e]{1,128}$/.test(id))
    throw new Error(`batch id: expected 1-128 printable characters, got ${JSON.stringify(id)}`);
  return id;
}

/**
 * Encodes rows incrementally (a worker adds each datagram's records as they are decoded, so the record
 * objects die young) and hands out everything added so far as one payload.
 */
export interface RowEncoder {
  /**
   * Appends the rows of the flow records the store keeps; records of a kind it does not store are skipped.
   * Returns the records it refuses as invalid (the caller sends those through insertFlows).
   */
  add(records: readonly FlowRecord[]): FlowRecord[];
  /** Rows added since the last take (data[0, length), its buffer transferable), then starts afresh. */
  take(): { data: Uint8Array; rows: number };
  /** The caller is done with what take() returned (copied it elsewhere): its buffer may be written again. */
  recycle?(data: Uint8Array): void;
}

/** A store's worker-side encoder from its RowEncoding.encoderModule (what a decode worker runs). */
export async function loadRowEncoder(encoderModule: string): Promise<RowEncoder> {
  return ((await import(encoderModule)) as { createRowEncoder(): RowEncoder }).createRowEncoder();
}

/** What each tier holds, as recorded in the store (see query/plan.ts for how a range is split by it). */
export interface TierState {
  /** Every 5-minute window that starts before this instant is aggregated; null: nothing yet. */
  aggregatedUntil: number | null;
  /** The retention in force, as serve / migrate / retention last set it (the defaults until then). */
  retention: RetentionPolicy;
}

/**
 * A record the store cannot hold (a value outside its column's range): the caller's data, not the store's
 * health. The store refuses the whole call before writing anything, so a caller can split and retry.
 */
export class StoreInputError extends Error {
  readonly code = 'store_input';
  constructor(message: string) {
    super(message);
    this.name = 'StoreInputError';
  }
}

/** The store's schema is missing or older than this version of FlowLens. */
export class StoreSchemaError extends Error {
  readonly code = 'schema';
  constructor(message: string) {
    super(message);
    this.name = 'StoreSchemaError';
  }
}

export interface StoreCapabilities {
  engine: 'chdb' | 'postgres' | 'clickhouse';
  /** Partitions managed by the backend itself (TTL) rather than by FlowLens' retention job. */
  nativeTtl: boolean;
  /** Which partition manager is in use, if any (pg_partman on PostgreSQL). */
  partitionManager: 'app' | 'pg_partman' | 'engine';
  rowLevelSecurity: boolean;
}

export interface StoreOptions {
  /** Networks counted as internal besides RFC 1918 and IPv6 ULA (CIDR strings). */
  internalNetworks?: string[];
}

export { DEFAULT_RETENTION, FOREVER, type RetentionPolicy } from '../core/retention.js';

export interface MigrationReport {
  from: number;
  to: number;
  applied: string[];
}

export interface AggregationReport {
  windows: number;
  rows: number;
}

export interface RollupReport {
  day: number;
  rows: number;
}

export interface RetentionReport {
  dryRun: boolean;
  /** One entry per tier: what is (or would be) removed, as partitions or a row count. */
  tiers: { tier: 'raw' | 'aggregates' | 'daily'; cutoff: number; partitions: string[]; rows: number }[];
}

/** How the server side of an edge was decided (DESIGN.md "Dependency discovery"), in order of evidence. */
export type DirectionRule = 'biflow' | 'tcp_flags' | 'service_port' | 'lower_port' | 'fan_in' | 'given';

/** How sure the rule that decided an edge's direction is (DESIGN.md "Dependency discovery"). */
export type Confidence = 'high' | 'medium' | 'low';

/** A rule's usual confidence: what an edge stored without one (older stores, older callers) reads as. */
export const RULE_CONFIDENCE: Readonly<Record<DirectionRule, Confidence>> = {
  given: 'high',
  biflow: 'high',
  tcp_flags: 'high',
  service_port: 'medium',
  fan_in: 'medium',
  lower_port: 'low',
};

export const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];

/** A dependency edge: client -> server:port/protocol. The design forgot this table; FlowLens defines it. */
export interface DependencyEdge {
  /** UUID. */
  id: string;
  client_ip: string;
  server_ip: string;
  server_port: number;
  ip_protocol: number;
  first_seen: number;
  last_seen: number;
  service_name: string | null;
  direction_rule: DirectionRule;
  /** Written as given, RULE_CONFIDENCE[direction_rule] when absent; always present when read. */
  confidence?: Confidence;
  /**
   * Since when the edge is idle (its last_seen) once discovery has not seen it for the configured time;
   * null while active. An idle edge is kept: the daily tier is its history. Absent on write: null.
   */
  idle_since?: number | null;
}

/** A protocol and two host addresses, in no particular order. */
export interface HostPair {
  ip_protocol: number;
  a: string;
  b: string;
}

/** One side of a direction correction: who was client and server, by which rule, how sure. */
export interface EdgeDirection {
  client_ip: string;
  server_ip: string;
  server_port: number;
  rule: DirectionRule;
  confidence: Confidence;
}

/** A stored edge whose direction was turned round (kept in dependency_changes). */
export interface DependencyChange {
  dependency_id: string;
  /** When the contradicting evidence was seen (the discovered edge's last_seen). */
  at: number;
  from: EdgeDirection;
  to: EdgeDirection;
}

/** The edge as every store returns it: confidence filled, idle_since null when absent. */
export function normalizeEdge(e: DependencyEdge): Required<DependencyEdge> {
  return {
    ...e,
    confidence: e.confidence ?? RULE_CONFIDENCE[e.direction_rule],
    idle_since: e.idle_since ?? null,
  };
}

export interface DependencyStatsRow {
  stat_date: number;
  dependency_id: string;
  bytes_total: number;
  packets_total: number;
  flow_count: number;
  sessions_total: number;
  sessions_peak: number;
  first_seen_today: number | null;
  last_seen_today: number | null;
  active_minutes: number;
  bytes_per_hour: number[];
  bytes_p50: number | null;
  bytes_p95: number | null;
  bytes_p99: number | null;
  /**
   * The request side: what the client sent to the server:port (its rows client -> server), sampling-scaled;
   * the response side is the total minus it. Null on a day rolled up before the split was kept.
   */
  request_bytes: number | null;
  request_packets: number | null;
  request_flows: number | null;
}

// The label shape lives in core (core/label-file.ts) so the configuration can check label entries.
export type { HostLabel } from '../core/label-file.js';

export interface DependencyTotalsQuery {
  from: number;
  to: number;
  ids?: readonly string[];
  splits?: readonly number[];
}

export interface ConversationTotalsOptions {
  /** At most this many conversations (endpoint pairs, up to two rows each): the heaviest by bytes. */
  limit?: number;
}

/** FlowStore.conversationTotals: the rows, and what `limit` left out (both 0 when nothing was). */
export interface ConversationTotals {
  rows: ConversationTotalsRow[];
  /** Conversations left out: the lightest by bytes of both directions. */
  leftOut: number;
  /** Their bytes (bytes_total of both directions). */
  leftOutBytes: number;
}

/**
 * One direction of one conversation over a span of the aggregate tier (FlowStore.conversationTotals);
 * its biflow fields (BiflowTotals) summed over the rows, reverse flags only from rows with reverse traffic.
 */
export interface ConversationTotalsRow extends BiflowTotals {
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  ip_protocol: number;
  /** window_start of the first and of the last aggregate row (epoch ms). */
  first_window: number;
  last_window: number;
  flow_count: number;
  bytes_total: number;
  packets_total: number;
  new_sessions: number;
  /** OR of the rows' tcp_flags_observed. */
  tcp_flags_observed: number;
  /** Aggregate rows (one per window and exporter) whose OR-ed flags hold SYN but not ACK. */
  syn_no_ack_rows: number;
  /** Rows with reverse traffic whose reverse flags hold SYN but not ACK. */
  reverse_syn_no_ack_rows: number;
}

/**
 * What biflow records (IPFIX RFC 5103, Cisco NSEL) say beyond the forward direction, as the aggregate tier
 * keeps it per row (columns of the same names, filled from the raw records' extended_fields by the rule
 * of deps/biflow.ts biflowEvidence).
 */
export interface BiflowTotals {
  /** Flows whose exporter says the source initiated (biflowDirection 1 "initiator", NSEL initiator). */
  src_initiated: number;
  /** Flows whose exporter says the destination initiated (biflowDirection 2 "reverseInitiator"). */
  dst_initiated: number;
  /** Reverse (destination -> source) counters carried in the same records, scaled like bytes_total. */
  reverse_bytes: number;
  reverse_packets: number;
  /** Records with reverse packets: how many flows the reverse direction had. */
  reverse_flows: number;
  /** OR of reverseTcpControlBits. */
  reverse_tcp_flags: number;
}

export interface DependencyTotalsRow {
  dependency_id: string;
  /** The period's first day (UTC midnight): the range's first day or a split. */
  period: number;
  bytes_total: number;
  packets_total: number;
  flow_count: number;
  sessions_total: number;
  /** The highest daily p95 of the period (null: no day had one). */
  bytes_p95: number | null;
  /** The request side's bytes (client -> server); null when a day of the period lacks the split. */
  request_bytes: number | null;
}

/** The days [first, end) a totals query reads, and the period starts (sorted, inside, deduplicated). */
export function totalsPlan(q: DependencyTotalsQuery): { first: number; end: number; periods: number[] } {
  const DAY = 86_400_000;
  const first = Math.floor(q.from / DAY) * DAY;
  const end = Math.ceil(q.to / DAY) * DAY;
  const inside = (q.splits ?? []).filter((s) => s > first && s < end && s % DAY === 0);
  return { first, end, periods: [first, ...[...new Set(inside)].sort((a, b) => a - b)] };
}

export type ApiRole = 'viewer' | 'operator' | 'admin';

/** A stored API token (src/auth/tokens.ts): never the secret itself, only its scrypt hash. */
export interface ApiTokenRecord {
  /** The id part of `flk_<id>_<secret>` (16 hex digits). */
  id: string;
  name: string;
  role: ApiRole;
  /** Tenant name the token is bound to; null: none (an admin without tenant sees everything). */
  tenant: string | null;
  /** `scrypt$N$r$p$salt$hash` (base64url), see src/auth/tokens.ts. */
  hash: string;
  created_at: number;
  created_by: string;
  /** null: never expires. */
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** One admin action (token and tenant changes): who did what to which target, when. */
export interface AuditEntry {
  at: number;
  /** The principal's name (`token:<id> (<name>)`, `jwt:<sub>`, `cli:<user>`). */
  actor: string;
  /** e.g. token.create, token.revoke, tenant.create. */
  action: string;
  target: string;
  /** JSON text with what changed (never a secret). */
  detail: string;
}

/** A tenant (src/query/scope.ts): its scope's lists, canonical, and when it was created. */
export interface TenantRecord {
  name: string;
  exporters: string[];
  networks: string[];
  groups: string[];
  created_at: number;
}
