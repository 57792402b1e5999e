/**
 * The PostgreSQL FlowStore (DESIGN.md "Storage": the flow-table design with its known defects fixed; see
 * schema.ts, aggregate.ts, indexes.ts, partitions.ts for what changed and why).
 *
 * Ingest is COPY BINARY (copy-binary.ts, copy-from.ts) into the hourly partition of each flow's flow_start;
 * partitions missing for hours inside [now - raw retention, now + premake] are created on demand first, so
 * only rows outside that window (bad clocks, historic imports) land in the default partition.
 *
 * Exactly once per batch id (port.ts InsertOptions): the COPY's transaction first claims the id in the
 * ingest_batches ledger (ledger.ts), so a retried or replayed batch is a duplicate and stores nothing;
 * the retention job prunes the ledger.
 */
import type pg from 'pg';
import { CANONICAL_COLUMNS, type FlowRecord, isFlow } from '../../core/record.js';
import { DAY_MS, dayStart, HOUR_MS, internalRanges, WINDOW_MS } from '../../core/rules.js';
import type { Query, QueryResult } from '../../query/ast.js';
import { QueryTimeoutError } from '../../query/errors.js';
import { scopeQuery } from '../../query/scope.js';
import {
  type AggregationReport,
  type ApiTokenRecord,
  type AuditEntry,
  type ConversationTotals,
  type ConversationTotalsOptions,
  checkBatchId,
  DEFAULT_RETENTION,
  type DependencyChange,
  type DependencyEdge,
  type DependencyStatsRow,
  type DependencyTotalsQuery,
  type DependencyTotalsRow,
  type EncodedRows,
  type FlowStore,
  type HostLabel,
  type HostPair,
  type InsertOptions,
  type InsertResult,
  type MigrationReport,
  type QueryOptions,
  type RetentionPolicy,
  type RetentionReport,
  type RollupReport,
  type RowEncoding,
  type StoreCapabilities,
  type StoreOptions,
  StoreSchemaError,
  type TenantRecord,
  type TierState,
} from '../port.js';
import { AGGREGATED_UNTIL_KEY, RETENTION_KEY, retentionFromJson, retentionToJson } from '../settings.js';
import { answerSeries, answerTop } from '../sql/answer.js';
import { compileScans, SCAN_RESULT_COLUMNS } from '../sql/scans.js';
import { answerFlowSearch } from '../sql/search.js';
import * as access from './access.js';
import { AGGREGATE_SQL, DELETE_DAY_SQL, DELETE_WINDOWS_SQL, ROLLUP_SQL } from './aggregate.js';
import { conversationTotals } from './conversations.js';
import { COPY_HEADER, COPY_TRAILER, CopyBinaryWriter, jsonbSafe, jsonText } from './copy-binary.js';
import { copyBinaryFrom } from './copy-from.js';
import { createPool, inTransaction } from './db.js';
import { dependencyTotals } from './dep-totals.js';
import {
  deleteDependencies,
  markIdle as markIdleEdges,
  readChanges,
  readDependencies,
  readDependenciesBetween,
  readDependencyStats,
  writeChanges,
  writeDependencies,
} from './dependencies.js';
import type { IndexProfile } from './indexes.js';
import { writeFlowRow } from './insert.js';
import * as labels from './labels.js';
import { claimBatch, pruneLedger } from './ledger.js';
import { type MigrateResult, migrate, type PartitionManagerChoice } from './migrate.js';
import {
  DEFAULT_PREMAKE,
  ensurePartitions,
  listPartitions,
  maintainPartitions,
  type PremakePolicy,
  tierSpec,
} from './partitions.js';
import { compileAggregateRows, compileFlows, FLOW_SELECT, postgresDialect } from './query.js';
import { applyRetention } from './retention.js';
import { ROW_FORMAT } from './row-encoder.js';
import { SCHEMA_VERSION } from './schema.js';

/** How far back raw partitions are created on demand (see ensureRawPartitions). */
const ON_DEMAND_PARTITIONS_MS = 366 * DAY_MS;

/** Rows per COPY: about 10 MB of COPY BINARY. */
const COPY_ROWS = 50_000;

export interface PostgresStoreOptions extends StoreOptions {
  url: string;
  /** Schema to use (created by migrate if missing); default: the connection's search_path. */
  schema?: string;
  /** Raw-tier indexes: 'default' (BRIN time + src_ip + dst_ip btrees), 'all' (the design's nine), a list. */
  indexProfile?: IndexProfile;
  partitionManager?: PartitionManagerChoice;
  premake?: PremakePolicy;
  poolSize?: number;
  /** Connections for `query` (the API's and CLI's questions), apart from `poolSize`'s. Default 2. */
  queryPoolSize?: number;
}

export class PostgresFlowStore implements FlowStore {
  readonly capabilities: StoreCapabilities = {
    engine: 'postgres',
    nativeTtl: false,
    partitionManager: 'app',
    rowLevelSecurity: false,
  };
  readonly pool: pg.Pool;
  /**
   * `query`'s own connections. With one pool, twenty dashboard questions held every connection and each
   * insert waited behind them (measured: 79 % of 50 k flows/s lost); two at a time also leave the cores
   * to the collector.
   */
  private readonly queryPool: pg.Pool;
  /** The retention in force as last read from the store (tierState) or set (setRetention). */
  private retention: RetentionPolicy = DEFAULT_RETENTION;
  private readonly internal: string[];
  /** Hour starts known to have a raw partition (cache in front of the catalog). */
  private readonly knownHours = new Set<number>();
  private readonly writers: CopyBinaryWriter[] = [];
  lastMigration: MigrateResult | null = null;
  /** Rows encoded by ingest workers (row-encoder.ts), stored as they are: see insertEncoded. */
  readonly rowEncoding: RowEncoding = {
    format: ROW_FORMAT,
    encoderModule: new URL(`./row-encoder${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
      .href,
    insertEncoded: (rows, options) => this.insertEncoded(rows, options),
  };

  constructor(private readonly options: PostgresStoreOptions) {
    this.pool = createPool(options.url, { schema: options.schema, max: options.poolSize });
    this.queryPool = createPool(options.url, { schema: options.schema, max: options.queryPoolSize ?? 2 });
    internalRanges(options.internalNetworks ?? []); // validates the CIDRs (throws on a bad one)
    this.internal = [
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      'fc00::/7',
      ...(options.internalNetworks ?? []),
    ];
  }

  async migrate(): Promise<MigrationReport> {
    if (this.options.schema) await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.options.schema}`);
    const result = await migrate(this.pool, {
      indexProfile: this.options.indexProfile,
      partitionManager: this.options.partitionManager,
      premake: this.options.premake,
    });
    this.capabilities.partitionManager = result.partitionManager;
    this.knownHours.clear();
    this.lastMigration = result;
    await this.tierState();
    return { from: result.from, to: result.to, applied: result.applied };
  }

  async checkSchema(): Promise<void> {
    const t = await this.pool.query<{ t: string | null }>(`SELECT to_regclass('schema_version')::text AS t`);
    const at =
      t.rows[0]?.t === null
        ? 0
        : Number((await this.pool.query('SELECT max(version) AS v FROM schema_version')).rows[0]?.v ?? 0);
    if (at === 0) throw new StoreSchemaError('the store has no FlowLens schema: run flowlens migrate');
    if (at < SCHEMA_VERSION)
      throw new StoreSchemaError(
        `the store's schema is version ${at}, this FlowLens needs ${SCHEMA_VERSION}: run flowlens migrate`,
      );
  }

  async tierState(): Promise<TierState> {
    // TIMESTAMPTZ arrives as epoch ms (db.ts type parsers).
    const r = await this.pool.query<{ value: string | null; until: number | null }>(
      `SELECT (SELECT value FROM flowlens_settings WHERE key = $1) AS value,
              (SELECT watermark FROM job_watermarks WHERE job = $2) AS until`,
      [RETENTION_KEY, AGGREGATED_UNTIL_KEY],
    );
    const row = r.rows[0];
    this.retention = retentionFromJson(row?.value);
    return { aggregatedUntil: row?.until ?? null, retention: this.retention };
  }

  async setRetention(policy: RetentionPolicy): Promise<void> {
    await this.pool.query(
      `INSERT INTO flowlens_settings (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [RETENTION_KEY, retentionToJson(policy)],
    );
    this.retention = policy;
  }

  async setAggregatedUntil(until: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO job_watermarks (job, watermark) VALUES ($1, $2)
       ON CONFLICT (job) DO UPDATE SET watermark = GREATEST(job_watermarks.watermark, EXCLUDED.watermark),
                                       updated_at = now()`,
      [AGGREGATED_UNTIL_KEY, new Date(until).toISOString()],
    );
  }

  /**
   * One COPY per COPY_ROWS records (bounded encode buffer); a larger call, or one with a batch id, runs in
   * one transaction, so a call stores all of its flows or none (storeBatch).
   */
  async insertFlows(records: readonly FlowRecord[], options: InsertOptions = {}): Promise<InsertResult> {
    const batchId = options.batchId === undefined ? undefined : checkBatchId(options.batchId);
    let rows = 0;
    for (const r of records) if (isFlow(r)) rows++;
    if (rows === 0) return { rows: 0, duplicate: false };
    await this.ensureRawPartitions(records.map((r) => r.flow_start));
    const w = this.writers.pop() ?? new CopyBinaryWriter();
    try {
      return await this.storeBatch(
        { batchId, rows, oneStatement: records.length <= COPY_ROWS },
        async (client) => {
          for (let i = 0; i < records.length; i += COPY_ROWS) {
            w.begin();
            let n = 0;
            for (let j = i; j < Math.min(i + COPY_ROWS, records.length); j++) {
              if (!isFlow(records[j])) continue;
              writeFlowRow(w, records[j]);
              n++;
            }
            if (n > 0) await copyBinaryFrom(client, 'flow_records', w.finish());
          }
        },
      );
    } finally {
      this.writers.push(w);
    }
  }

  /**
   * Rows from row-encoder.ts (COPY BINARY rows, validated by the encoder): one COPY of the header, the
   * chunks as they are and the trailer, after the raw partitions of the rows' hours exist (`starts`).
   */
  async insertEncoded(
    { chunks, rows, starts }: EncodedRows,
    options: InsertOptions = {},
  ): Promise<InsertResult> {
    const batchId = options.batchId === undefined ? undefined : checkBatchId(options.batchId);
    if (rows === 0 || chunks.length === 0) return { rows: 0, duplicate: false };
    await this.ensureRawPartitions(starts);
    return this.storeBatch({ batchId, rows, oneStatement: true }, async (client) => {
      await copyBinaryFrom(client, 'flow_records', [COPY_HEADER, ...chunks, COPY_TRAILER]);
    });
  }

  /**
   * Runs an insert's COPYs on one connection, in one transaction when there is a batch id or more than one
   * statement, so a call stores all of its flows or none. With a batch id the transaction first claims the
   * id in the ledger (ledger.ts): an id already there is a duplicate, rolled back, nothing stored.
   */
  private async storeBatch(
    batch: { batchId: string | undefined; rows: number; oneStatement: boolean },
    copy: (client: pg.PoolClient) => Promise<void>,
  ): Promise<InsertResult> {
    const { batchId, rows } = batch;
    const client = await this.pool.connect();
    const tx = batchId !== undefined || !batch.oneStatement;
    try {
      if (tx) await client.query('BEGIN');
      if (batchId !== undefined && !(await claimBatch(client, batchId, rows))) {
        await client.query('ROLLBACK');
        return { rows: 0, duplicate: true };
      }
      await copy(client);
      if (tx) await client.query('COMMIT');
      return { rows, duplicate: false };
    } catch (err) {
      if (tx) await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Create the raw partitions of the flow starts' hours inside the managed window; others go to DEFAULT. */
  private async ensureRawPartitions(starts: readonly number[]): Promise<void> {
    const now = Date.now();
    // A very long (or FOREVER) retention still creates partitions on demand only for the last year: older
    // hours (historic imports, bad exporter clocks) go to the default partition.
    const back = Math.min(this.retention.raw, ON_DEMAND_PARTITIONS_MS);
    const lo = Math.floor((now - back) / HOUR_MS) * HOUR_MS;
    const hi = now + ((this.options.premake ?? DEFAULT_PREMAKE).ahead.raw + 1) * HOUR_MS;
    let last = Number.NaN;
    let missing: Set<number> | null = null;
    for (const start of starts) {
      const hour = Math.floor(start / HOUR_MS) * HOUR_MS;
      if (hour === last) continue;
      last = hour;
      if (hour < lo || hour >= hi || this.knownHours.has(hour)) continue;
      if (!missing) missing = new Set();
      missing.add(hour);
    }
    if (!missing) return;
    const spec = tierSpec('raw');
    const existing = await listPartitions(this.pool, spec);
    for (const p of existing) for (let h = p.from; h < p.to; h += HOUR_MS) this.knownHours.add(h);
    for (const hour of missing) {
      if (this.knownHours.has(hour)) continue;
      await ensurePartitions(this.pool, spec, hour, hour + HOUR_MS);
      this.knownHours.add(hour);
    }
  }

  /** Windows [floor(from), ceil(to)) by flow_start; reports the windows that got rows and the rows. */
  async aggregateWindows(from: number, to: number): Promise<AggregationReport> {
    const lo = Math.floor(from / WINDOW_MS) * WINDOW_MS;
    const hi = Math.ceil(to / WINDOW_MS) * WINDOW_MS;
    if (hi <= lo) return { windows: 0, rows: 0 };
    await ensurePartitions(this.pool, tierSpec('aggregates'), lo, hi);
    const range = [new Date(lo).toISOString(), new Date(hi).toISOString()];
    let windows = 0;
    const rows = await inTransaction(this.pool, async (c) => {
      await c.query(DELETE_WINDOWS_SQL, range);
      const r = await c.query(AGGREGATE_SQL, [...range, this.internal]);
      const w = await c.query<{ n: number }>(
        'SELECT count(DISTINCT window_start) AS n FROM flow_aggregates WHERE window_start >= $1 AND window_start < $2',
        range,
      );
      windows = Number(w.rows[0].n);
      await c.query(
        `INSERT INTO job_watermarks (job, watermark) VALUES ('aggregate_windows', $1)
         ON CONFLICT (job) DO UPDATE SET watermark = GREATEST(job_watermarks.watermark, EXCLUDED.watermark),
                                         updated_at = now()`,
        [range[1]],
      );
      return r.rowCount ?? 0;
    });
    return { windows, rows };
  }

  async rollupDaily(day: number): Promise<RollupReport> {
    const d = dayStart(day);
    await ensurePartitions(this.pool, tierSpec('daily'), d, d + DAY_MS);
    const date = new Date(d).toISOString().slice(0, 10);
    const rows = await inTransaction(this.pool, async (c) => {
      await c.query(DELETE_DAY_SQL, [date]);
      const r = await c.query(ROLLUP_SQL, [date]);
      await c.query(
        `INSERT INTO job_watermarks (job, watermark) VALUES ('rollup_daily', $1)
         ON CONFLICT (job) DO UPDATE SET watermark = GREATEST(job_watermarks.watermark, EXCLUDED.watermark),
                                         updated_at = now()`,
        [new Date(d + DAY_MS).toISOString()],
      );
      return r.rowCount ?? 0;
    });
    return { day: d, rows };
  }

  /** Progress of a job ('aggregate_windows' | 'rollup_daily'): end of the latest period done, or null. */
  async watermark(job: string): Promise<number | null> {
    const r = await this.pool.query<{ watermark: number }>(
      'SELECT watermark FROM job_watermarks WHERE job = $1',
      [job],
    );
    return r.rows[0]?.watermark ?? null;
  }

  upsertDependencies(edges: readonly DependencyEdge[]): Promise<void> {
    return writeDependencies(this.pool, edges);
  }

  listDependencies(around?: readonly string[]): Promise<DependencyEdge[]> {
    return readDependencies(this.pool, around);
  }

  dependenciesBetween(pairs: readonly HostPair[]): Promise<DependencyEdge[]> {
    return readDependenciesBetween(this.pool, pairs);
  }

  markIdleDependencies(before: number): Promise<number> {
    return markIdleEdges(this.pool, before);
  }

  dependencyStats(from: number, to: number): Promise<DependencyStatsRow[]> {
    return readDependencyStats(this.pool, from, to);
  }

  removeDependencies(ids: readonly string[]): Promise<void> {
    return deleteDependencies(this.pool, ids);
  }

  recordDependencyChanges(changes: readonly DependencyChange[]): Promise<void> {
    return writeChanges(this.pool, changes);
  }

  listDependencyChanges(from: number, to: number): Promise<DependencyChange[]> {
    return readChanges(this.pool, from, to);
  }

  conversationTotals(
    from: number,
    to: number,
    options?: ConversationTotalsOptions,
  ): Promise<ConversationTotals> {
    return conversationTotals(this.pool, from, to, options);
  }

  dependencyTotals(q: DependencyTotalsQuery): Promise<DependencyTotalsRow[]> {
    return dependencyTotals(this.pool, q);
  }

  getLabels(): Promise<HostLabel[]> {
    return labels.readLabels(this.pool);
  }

  replaceLabels(list: readonly HostLabel[]): Promise<void> {
    return labels.writeLabels(this.pool, list);
  }

  createApiToken(token: ApiTokenRecord): Promise<void> {
    return access.writeToken(this.pool, token);
  }

  getApiToken(id: string): Promise<ApiTokenRecord | null> {
    return access.readToken(this.pool, id);
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return access.readTokens(this.pool);
  }

  revokeApiToken(id: string, at: number): Promise<boolean> {
    return access.revokeToken(this.pool, id, at);
  }

  touchApiToken(id: string, at: number): Promise<void> {
    return access.touchToken(this.pool, id, at);
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return access.appendAudit(this.pool, entry);
  }

  listAudit(range: { from: number; to: number; limit: number }): Promise<AuditEntry[]> {
    return access.readAudit(this.pool, range);
  }

  createTenant(t: TenantRecord): Promise<boolean> {
    return access.writeTenant(this.pool, t);
  }

  listTenants(): Promise<TenantRecord[]> {
    return access.readTenants(this.pool);
  }

  getTenant(name: string): Promise<TenantRecord | null> {
    return access.readTenant(this.pool, name);
  }

  deleteTenant(name: string): Promise<boolean> {
    return access.removeTenant(this.pool, name);
  }

  async getSetting(key: string): Promise<string | null> {
    const r = await this.pool.query<{ value: string }>('SELECT value FROM flowlens_settings WHERE key = $1', [
      key,
    ]);
    return r.rows[0]?.value ?? null;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO flowlens_settings (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [key, value],
    );
  }

  /**
   * Retention, and (not in a dry run) partition upkeep: the periodic retention job is also what keeps
   * partitions created ahead of the real clock, by FlowLens or by pg_partman's run_maintenance().
   */
  async applyRetention(
    policy: RetentionPolicy,
    options: { dryRun: boolean; now?: number },
  ): Promise<RetentionReport> {
    const report = await applyRetention(this.pool, policy, options);
    if (!options.dryRun) {
      await pruneLedger(this.pool, options.now ?? Date.now());
      if (this.capabilities.partitionManager === 'pg_partman') {
        await this.pool.query('SELECT partman.run_maintenance()');
      } else {
        await maintainPartitions(this.pool, Date.now(), this.options.premake ?? DEFAULT_PREMAKE);
      }
    }
    return report;
  }

  async saveDecoderState(collector: string, snapshot: unknown): Promise<void> {
    const exact = jsonText(snapshot ?? null);
    const safe = jsonbSafe(exact);
    await this.pool.query(
      `INSERT INTO decoder_state (collector, snapshot, snapshot_raw, updated_at) VALUES ($1, $2::jsonb, $3, now())
       ON CONFLICT (collector) DO UPDATE SET snapshot = EXCLUDED.snapshot, snapshot_raw = EXCLUDED.snapshot_raw,
                                             updated_at = now()`,
      [collector, safe, safe === exact ? null : exact],
    );
  }

  async loadDecoderState(collector: string): Promise<unknown | null> {
    const r = await this.pool.query<{ snapshot: unknown; snapshot_raw: string | null }>(
      'SELECT snapshot, snapshot_raw FROM decoder_state WHERE collector = $1',
      [collector],
    );
    if (r.rows.length === 0) return null;
    const row = r.rows[0];
    return row.snapshot_raw === null ? row.snapshot : JSON.parse(row.snapshot_raw);
  }

  async query(query: Query, options: QueryOptions = {}): Promise<QueryResult> {
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new RangeError(`timeoutMs: a positive number of milliseconds, got ${timeoutMs}`);
    // The scope is ANDed outside the query's filter before planning and compiling (query/scope.ts); a
    // tenant's name is also set for the transaction, so row-level security holds for a reporting login.
    const q = scopeQuery(query, options.scope);
    const tenant = options.scope?.tenant;
    // Planned kinds read the tier state first, on its own pooled connection: read while holding the
    // query's client, as many concurrent queries as the pool has clients would wait on each other forever.
    const planned = q.kind === 'top' || q.kind === 'series' || q.kind === 'flow_search';
    const state = planned ? await this.tierState() : null;
    if (timeoutMs === undefined && tenant === undefined)
      return this.answer(q, state, (sql, params) => this.queryPool.query(sql, params));
    // The limit lives in the query's own transaction (SET LOCAL), so it ends with it and never leaks to
    // the next user of the pooled client; a cancelled statement aborts the transaction, which is rolled
    // back before the client goes back to the pool.
    try {
      return await inTransaction(
        this.queryPool,
        async (client) => {
          if (timeoutMs !== undefined)
            await client.query("SELECT set_config('statement_timeout', $1, true)", [
              String(Math.max(1, Math.ceil(timeoutMs))),
            ]);
          if (tenant !== undefined)
            await client.query("SELECT set_config('flowlens.tenant', $1, true)", [tenant]);
          return this.answer(q, state, (sql, params) => client.query(sql, params));
        },
        { readOnly: true },
      );
    } catch (err) {
      // 57014 query_canceled: statement_timeout fired.
      if (timeoutMs !== undefined && (err as { code?: string }).code === '57014')
        throw new QueryTimeoutError(timeoutMs);
      throw err;
    }
  }

  private async answer(q: Query, state: TierState | null, exec: Exec): Promise<QueryResult> {
    const run = async (sql: string, params: unknown) => (await exec(sql, params as unknown[])).rows;
    // Row queries read one tier as asked; only planned queries need the tier state (one read).
    if (q.kind === 'aggregate_rows') {
      const c = compileAggregateRows(q);
      const r = await exec(c.sql, c.values);
      return { tier: 'aggregates', columns: r.fields.map((f) => f.name), rows: r.rows.map(aggregateRow) };
    }
    if (q.kind === 'flows') {
      const c = compileFlows(q);
      const r = await exec(c.sql, c.values);
      return { tier: 'raw', columns: r.fields.map((f) => f.name), rows: r.rows.map((row) => plainRow(row)) };
    }
    const common = {
      state: state ?? (await this.tierState()),
      now: Date.now(),
      dialect: postgresDialect,
      run,
    };
    const cell = (_f: unknown, v: unknown) => plainCell(v);
    const metric = (v: unknown) => Number(v ?? 0);
    if (q.kind === 'top') return answerTop({ ...common, query: q, cell, metric });
    if (q.kind === 'series') return answerSeries({ ...common, query: q, cell, metric });
    if (q.kind === 'scans') {
      const c = compileScans(q, postgresDialect);
      const rows = await run(c.sql, c.params);
      const out = (r: Record<string, unknown>) =>
        Object.fromEntries(
          SCAN_RESULT_COLUMNS.map((k) => [k, k === 'src_ip' ? plainCell(r[k]) : metric(r[k])]),
        );
      return { tier: 'raw', columns: SCAN_RESULT_COLUMNS, rows: rows.map(out) };
    }
    // flow_search
    return answerFlowSearch({
      ...common,
      query: q,
      select: FLOW_SELECT,
      row: plainRow,
      columns: CANONICAL_COLUMNS,
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.queryPool.end()]);
  }
}

type Cell = string | number | null;
type Exec = (
  sql: string,
  params: unknown[],
) => Promise<{ rows: Record<string, unknown>[]; fields: { name: string }[] }>;

function plainCell(v: unknown): Cell {
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'number'
    ? (v ?? null)
    : JSON.stringify(v);
}

function plainRow(row: Record<string, unknown>): Record<string, Cell> {
  const out: Record<string, Cell> = {};
  for (const [k, v] of Object.entries(row)) out[k] = plainCell(v);
  return out;
}

/** JSON text with keys sorted, as every backend renders protocol_sources. */
function sortedJson(v: unknown): string {
  const o = (v ?? {}) as Record<string, unknown>;
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    ),
  );
}

function aggregateRow(row: Record<string, unknown>): Record<string, Cell> {
  const out = plainRow(row);
  out.protocol_sources = sortedJson(row.protocol_sources);
  const ifs = (row.interfaces ?? {}) as { input?: number[]; output?: number[] };
  out.interfaces = JSON.stringify({ input: ifs.input ?? [], output: ifs.output ?? [] });
  return out;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresFlowStore> {
  return new PostgresFlowStore(options);
}
