/**
 * FlowStore on the embedded ClickHouse engine (npm chdb): one process opens a data directory.
 *
 * Inserts: FlowRecord[] (or rows the ingest workers already encoded) -> RowBinary (encode.ts) in ONE temp
 * file inside the data directory, then `INSERT INTO flow_records SELECT * FROM file(path, 'RowBinary',
 * structure)`: chdb's buffer insert only takes text formats, and RowBinary via file() measured 3-4x faster
 * than JSONEachRow or TSV (bench/storage-chdb.ts).
 *
 * Exactly once per batch id (port.ts InsertOptions; see insertPayload): the ingest_batches ledger answers
 * "already stored?", the engine's insert deduplication token (schema.ts migration 3) makes a repeat the
 * ledger missed harmless. One file and one insert thread per call because the engine's block ids depend
 * on how the rows were read, not only on the token.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type FlowRecord, isFlow } from '../../core/record.js';
import {
  dayStart,
  HOUR_MS,
  type Ipv6Range,
  internalRanges,
  WINDOW_MS,
  windowStart,
} from '../../core/rules.js';
import type { Query, QueryResult } from '../../query/ast.js';
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
  StoreSchemaError,
  type TenantRecord,
  type TierState,
} from '../port.js';
import { AGGREGATED_UNTIL_KEY, RETENTION_KEY, retentionFromJson, retentionToJson } from '../settings.js';
import * as access from './access.js';
import { aggregateSql, DELETE_DAY_SQL, DELETE_WINDOWS_SQL, internalParams, ROLLUP_SQL } from './aggregate.js';
import { conversationTotals } from './conversations.js';
import { type ChdbSession, Db, dt64, num, type Params, sqlString } from './db.js';
import { dependencyTotals } from './dep-totals.js';
import * as deps from './dependencies.js';
import { encodeRowBinary, RAW_STRUCTURE } from './encode.js';
import { EngineMemory, type EngineMemoryOptions } from './engine-memory.js';
import { buildHours, HOURLY_FROM_KEY, HOURLY_PENDING_KEY, parsePending } from './hourly.js';
import * as labels from './labels.js';
import { applyRetention } from './retention.js';
import { ROW_FORMAT } from './row-encoder.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION, ttlClauses } from './schema.js';
import { GROUP_SHARE, ScopeShares } from './scope-share.js';
import { answerQuery } from './store-query.js';

/** Records encoded per step into the payload file (bounded encode buffer, reused). */
const ENCODE_CHUNK = 65_536;
/**
 * A batch spanning many hours of flow time (an imported capture of a week, an exporter with a bad clock)
 * touches many hourly partitions: the engine's default limit of 100 per INSERT would refuse it.
 */
const INSERT_SETTINGS = 'max_partitions_per_insert_block = 0';

export interface ChdbStoreOptions extends EngineMemoryOptions {
  /** Data directory (created if missing). */
  dir: string;
  /** Internal networks besides RFC 1918 and fc00::/7 (CIDR). */
  internalNetworks?: string[];
  /** Clock for tier picking (tests). */
  now?: () => number;
  /**
   * Share of rows inside a tenant scope above which a top-N tests the scope per group (scope-share.ts);
   * default GROUP_SHARE. Tests force one way: 0 always (where the query allows), Infinity never.
   */
  groupScopeShare?: number;
  /** Top-N statements read whole hours from the hourly rollup (hourly.ts); default true. Benchmarks A/B it. */
  hourlyRollup?: boolean;
}

/** Writes buffers back to back (writev takes at most IOV_MAX = 1024 buffers per call). */
async function writeAll(fh: FileHandle, chunks: readonly Uint8Array[], file: string): Promise<void> {
  for (let i = 0; i < chunks.length; i += 1024) {
    const part = chunks.slice(i, i + 1024);
    let want = 0;
    for (const c of part) want += c.length;
    const { bytesWritten } = await fh.writev(part);
    if (bytesWritten !== want) throw new Error(`short write to ${file}: ${bytesWritten} of ${want} bytes`);
  }
}

export class ChdbStore implements FlowStore {
  readonly capabilities: StoreCapabilities = {
    engine: 'chdb',
    nativeTtl: true,
    partitionManager: 'engine',
    rowLevelSecurity: false,
  };
  private readonly db: Db;
  /** Inserts and their ledger only (db.ts). */
  private readonly ingest: Db;
  private readonly memory: EngineMemory;
  private readonly tmpDir: string;
  private readonly payloadRoot: string;
  /** The retention in force as last read from the store (tierState) or set (setRetention). */
  private retention: RetentionPolicy = DEFAULT_RETENTION;
  private readonly ranges: Ipv6Range[];
  private readonly internal: Params;
  private readonly now: () => number;
  private seq = 0;
  /** Reusable encode buffers (a chunk's buffer is free again once its file is written). */
  private readonly scratch: Buffer[] = [];
  private closed = false;
  private readonly scopeShares: ScopeShares;
  private readonly groupScopeShare: number;
  private readonly hourlyRollup: boolean;
  /** Hours being rewritten, as noted in the store (HOURLY_PENDING_KEY); undefined: not read yet. */
  private pendingHours: [number, number] | null | undefined;
  /** Rows encoded by ingest workers (row-encoder.ts), inserted as they are: see insertEncoded. */
  readonly rowEncoding: RowEncoding = {
    format: ROW_FORMAT,
    encoderModule: new URL(`./row-encoder${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
      .href,
    insertEncoded: (rows, options) => this.insertEncoded(rows, options),
  };

  /** The engine's sessions: one for inserts and their ledger, one for metrics, one for everything else (db.ts). */
  constructor(
    sessions: { main: ChdbSession; ingest: ChdbSession; stats: ChdbSession },
    opts: ChdbStoreOptions,
  ) {
    this.db = new Db(sessions.main);
    this.ingest = new Db(sessions.ingest);
    this.memory = new EngineMemory(new Db(sessions.stats), opts);
    this.tmpDir = join(resolve(opts.dir), 'tmp-ingest');
    // Payload files a crashed process left behind (one process owns a data directory at a time).
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true });
    // The INSERT reads the payload files through a glob: a data directory whose path holds glob characters
    // gets its payloads under the OS temp directory instead.
    this.payloadRoot = /[*?{}[\]]/.test(this.tmpDir)
      ? mkdtempSync(join(tmpdir(), 'flowlens-ingest-'))
      : this.tmpDir;
    this.ranges = internalRanges(opts.internalNetworks ?? []);
    this.internal = internalParams(this.ranges);
    this.now = opts.now ?? Date.now;
    this.scopeShares = new ScopeShares(this.db, this.now);
    this.groupScopeShare = opts.groupScopeShare ?? GROUP_SHARE;
    this.hourlyRollup = opts.hourlyRollup ?? true;
  }

  async migrate(): Promise<MigrationReport> {
    await this.db.exec(MIGRATIONS_TABLE);
    const have = await this.appliedVersions();
    const from = have.size === 0 ? 0 : Math.max(...have);
    const applied: string[] = [];
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      for (const s of m.statements) await this.db.exec(s);
      await this.db.insertJson('schema_migrations', [
        { version: m.version, name: m.name, applied_at: dt64(Date.now()) },
      ]);
      applied.push(`${m.version}: ${m.name}`);
    }
    // The tables carry the TTL of the retention in force (the defaults on a new store); migrating never
    // changes that retention.
    await this.tierState(); // sets this.retention from the store
    await this.syncTtl(this.retention);
    return { from, to: Math.max(from, SCHEMA_VERSION), applied };
  }

  private async appliedVersions(): Promise<Set<number>> {
    const done = await this.db.rows<{ version: number }>('SELECT version FROM schema_migrations');
    return new Set(done.map((r) => num(r.version)));
  }

  async checkSchema(): Promise<void> {
    const [t] = await this.db.rows<{ n: number }>(
      `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'`,
    );
    const have = num(t?.n ?? 0) > 0 ? await this.appliedVersions() : new Set<number>();
    if (have.size === 0) throw new StoreSchemaError('the store has no FlowLens schema: run flowlens migrate');
    const at = Math.max(...have);
    if (at < SCHEMA_VERSION)
      throw new StoreSchemaError(
        `the store's schema is version ${at}, this FlowLens needs ${SCHEMA_VERSION}: run flowlens migrate`,
      );
  }

  async tierState(): Promise<TierState> {
    return (await this.readSettings()).state;
  }

  /**
   * The settings a query plans with, in one read: the tier state, where the hourly rollup starts
   * (never, on a store whose migration did not say) and the hours being rewritten (hourly.ts).
   */
  private async readSettings(): Promise<{
    state: TierState;
    hourlyFrom: number;
    pending: [number, number] | null;
  }> {
    // The watermark only moves forward: its value is the highest ever written, so a writer needs no read.
    // (Aliases differ from the column name: an alias `value` would be read inside the second aggregate.)
    const rows = await this.db.rows<{ key: string; latest: string; highest: string }>(
      `SELECT key, argMax(value, version) AS latest, toString(max(toInt64OrZero(value))) AS highest
       FROM flowlens_settings GROUP BY key`,
    );
    const get = (k: string) => rows.find((r) => r.key === k)?.latest;
    const until = rows.find((r) => r.key === AGGREGATED_UNTIL_KEY)?.highest;
    const retention = retentionFromJson(get(RETENTION_KEY));
    this.retention = retention;
    const hourlyFrom = get(HOURLY_FROM_KEY);
    return {
      state: { aggregatedUntil: until === undefined ? null : Number(until), retention },
      hourlyFrom: hourlyFrom === undefined ? Number.POSITIVE_INFINITY : Number(hourlyFrom),
      pending: parsePending(get(HOURLY_PENDING_KEY) ?? null),
    };
  }

  async setRetention(policy: RetentionPolicy): Promise<void> {
    await this.syncTtl(policy);
    await this.putSetting(RETENTION_KEY, retentionToJson(policy));
    this.retention = policy;
  }

  async setAggregatedUntil(until: number): Promise<void> {
    await this.putSetting(AGGREGATED_UNTIL_KEY, String(Math.floor(until)));
  }

  /**
   * Builds the hours noted as being rewritten (by this process, or by one that died before building them)
   * and clears the note.
   */
  private async rebuildPendingHours(): Promise<void> {
    if (this.pendingHours === undefined)
      this.pendingHours = parsePending(await this.getSetting(HOURLY_PENDING_KEY));
    if (this.pendingHours === null) return;
    await buildHours(this.db, this.pendingHours[0], this.pendingHours[1]);
    await this.putSetting(HOURLY_PENDING_KEY, '');
    this.pendingHours = null;
  }

  async getSetting(key: string): Promise<string | null> {
    const [r] = await this.db.rows<{ value: string }>(
      'SELECT argMax(value, version) AS value FROM flowlens_settings WHERE key = {k:String} GROUP BY key',
      { k: key },
    );
    return r?.value ?? null;
  }

  putSetting(key: string, value: string): Promise<void> {
    return this.db.insertJson('flowlens_settings', [{ key, value, version: this.nextVersion() }]);
  }

  /** ReplacingMergeTree versions: microsecond-like, increasing within one process. */
  private nextVersion(): number {
    return this.now() * 1000 + (this.seq++ % 1000);
  }

  /** Keeps each tier's TTL equal to the retention (ALTER only when it differs; FOREVER removes it). */
  private async syncTtl(policy: RetentionPolicy): Promise<void> {
    for (const { table, ttl } of ttlClauses(policy)) {
      const [t] = await this.db.rows<{ engine_full: string }>(
        'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {t:String}',
        { t: table },
      );
      const current = t?.engine_full.replace(/\s+/g, '') ?? '';
      if (ttl === null) {
        if (current.includes('TTL')) await this.db.exec(`ALTER TABLE ${table} REMOVE TTL`);
        continue;
      }
      if (current.includes(`TTL${ttl.replace(/\s+/g, '')}`)) continue;
      // Not materialized: rewriting every part took minutes on a large store; old parts follow the new TTL
      // as they merge, and the retention job removes expired rows exactly anyway.
      await this.db.exec(`ALTER TABLE ${table} MODIFY TTL ${ttl} SETTINGS materialize_ttl_after_modify = 0`);
    }
  }

  /**
   * All or nothing for input errors: every record is encoded (and so validated) into the payload file before
   * anything is inserted, so a record the store refuses (StoreInputError) leaves the table untouched and a
   * caller can split the batch and retry without duplicates. Then one INSERT (insertPayload).
   */
  async insertFlows(records: readonly FlowRecord[], options: InsertOptions = {}): Promise<InsertResult> {
    const flows = records.every(isFlow) ? records : records.filter(isFlow);
    if (flows.length === 0) return { rows: 0, duplicate: false };
    return this.insertPayload(flows.length, options.batchId, async (file) => {
      const fh = await open(file, 'w');
      let scratch = this.scratch.pop();
      try {
        for (let i = 0; i < flows.length; i += ENCODE_CHUNK) {
          const payload = encodeRowBinary(flows, i, Math.min(i + ENCODE_CHUNK, flows.length), scratch);
          await writeAll(fh, [payload], file);
          if (payload.buffer !== scratch?.buffer) scratch = Buffer.from(payload.buffer);
        }
      } finally {
        await fh.close();
        if (scratch && this.scratch.length < 2) this.scratch.push(scratch);
      }
    });
  }

  /**
   * Payload chunks from row-encoder.ts (RowBinary in RAW_COLUMNS order, already validated by the encoder):
   * written back to back into one file (writev, no copy), then one INSERT (insertPayload).
   */
  async insertEncoded({ chunks, rows }: EncodedRows, options: InsertOptions = {}): Promise<InsertResult> {
    if (rows === 0 || chunks.length === 0) return { rows: 0, duplicate: false };
    return this.insertPayload(rows, options.batchId, async (file) => {
      const fh = await open(file, 'w');
      try {
        await writeAll(fh, chunks, file);
      } finally {
        await fh.close();
      }
    });
  }

  /**
   * Exactly once per batch id (port.ts InsertOptions), in two steps:
   *
   * 1. A batch id found in the ingest_batches ledger is a duplicate: nothing is inserted.
   * 2. Otherwise ONE INSERT with insert_deduplication_token = the batch id, then the ledger row. If an
   *    earlier insert of the id completed but its ledger row was never written (a crash in between, or that
   *    insert still running when its caller gave up on it), the engine drops the rows: schema.ts migration 3
   *    sets the deduplication window.
   *
   * The engine derives each block's deduplication id from the token AND from how the rows reached it (the
   * files and chunks the INSERT ... SELECT read): measured on this chdb (ClickHouse 26.7), the same token
   * over the same rows split into other files, or read by more insert threads, was stored again. So every
   * call writes ONE file holding the rows back to back (the same bytes however the caller chunked them) and
   * inserts it with one insert thread: a retry makes the same blocks with the same ids. The INSERT is never
   * split, so one token per call suffices (blocks stay bounded by the engine's min_insert_block_size_rows).
   */
  private async insertPayload(
    rows: number,
    batchId: string | undefined,
    write: (file: string) => Promise<void>,
  ): Promise<InsertResult> {
    if (batchId !== undefined && (await this.batchStored(checkBatchId(batchId))))
      return { rows: 0, duplicate: true };
    const dir = join(this.payloadRoot, `${process.pid}-${this.seq++}-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    try {
      const file = join(dir, 'rows.rowbinary');
      await write(file);
      // Literals, not parameters, on the ingest session: see db.ts. Without a batch id a fresh token: with
      // the window set, a token-less insert whose content equals an earlier one would be dropped, and
      // identical flows are legal.
      const token = batchId ?? `anon:${randomUUID()}`;
      await this.ingest.exec(
        `INSERT INTO flow_records SELECT * FROM file(${sqlString(file)}, 'RowBinary', ${sqlString(RAW_STRUCTURE)})
         SETTINGS max_insert_threads = 1, insert_deduplication_token = ${sqlString(token)},
           deduplicate_insert_select = 'force_enable', ${INSERT_SETTINGS}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (batchId !== undefined)
      await this.ingest.insertJson('ingest_batches', [
        { batch_id: batchId, rows, stored_at: dt64(Date.now()) },
      ]);
    return { rows, duplicate: false };
  }

  private async batchStored(batchId: string): Promise<boolean> {
    const [r] = await this.ingest.rows<{ n: number }>(
      `SELECT count() AS n FROM ingest_batches WHERE batch_id = ${sqlString(batchId)}`,
    );
    return num(r?.n ?? 0) > 0;
  }

  /**
   * Windows that start before now - raw retention are left alone: their raw rows may already be gone, and
   * re-aggregating them would replace good aggregates with partial ones.
   */
  async aggregateWindows(from: number, to: number): Promise<AggregationReport> {
    const oldest = Math.ceil((this.now() - this.retention.raw) / WINDOW_MS) * WINDOW_MS;
    const lo = Math.max(windowStart(from), oldest);
    const hi = windowStart(to - 1) + WINDOW_MS;
    if (!(to > from) || hi <= lo) return { windows: 0, rows: 0 };
    const params = { lo, hi };
    await this.rebuildPendingHours();
    // The hourly rollup follows its windows; the hours are noted until built (hourly.ts).
    this.pendingHours = [Math.floor(lo / HOUR_MS) * HOUR_MS, Math.ceil(hi / HOUR_MS) * HOUR_MS];
    await this.putSetting(HOURLY_PENDING_KEY, this.pendingHours.join(','));
    await this.db.exec(DELETE_WINDOWS_SQL, params);
    await this.db.exec(aggregateSql(this.ranges), { ...params, ...this.internal });
    await this.rebuildPendingHours();
    const [c] = await this.db.rows<{ n: number; w: number }>(
      `SELECT count() AS n, uniqExact(window_start) AS w FROM flow_aggregates
       WHERE window_start >= toDateTime(intDiv({lo:Int64}, 1000), 'UTC') AND window_start < toDateTime(intDiv({hi:Int64}, 1000), 'UTC')`,
      params,
    );
    return { windows: num(c.w), rows: num(c.n) };
  }

  /** A day that starts before now - aggregate retention is left alone (some of its windows may be gone). */
  async rollupDaily(day: number): Promise<RollupReport> {
    const d = dayStart(day);
    if (d < this.now() - this.retention.aggregates) return { day: d, rows: 0 };
    await this.db.exec(DELETE_DAY_SQL, { day: d });
    await this.db.exec(ROLLUP_SQL, { day: d });
    const [c] = await this.db.rows<{ n: number }>(
      `SELECT count() AS n FROM dependency_stats WHERE stat_date = toDate(toDateTime(intDiv({day:Int64}, 1000), 'UTC'))`,
      { day: d },
    );
    return { day: d, rows: num(c.n) };
  }

  upsertDependencies(edges: readonly DependencyEdge[]): Promise<void> {
    return deps.upsertDependencies(this.db, edges, this.nextVersion());
  }

  listDependencies(around?: readonly string[]): Promise<DependencyEdge[]> {
    return deps.selectDependencies(this.db, { around });
  }

  dependenciesBetween(pairs: readonly HostPair[]): Promise<DependencyEdge[]> {
    return deps.dependenciesBetween(this.db, pairs);
  }

  markIdleDependencies(before: number): Promise<number> {
    return deps.markIdle(this.db, before, this.nextVersion());
  }

  removeDependencies(ids: readonly string[]): Promise<void> {
    return deps.removeDependencies(this.db, ids);
  }

  dependencyStats(from: number, to: number): Promise<DependencyStatsRow[]> {
    return deps.dependencyStats(this.db, from, to);
  }

  recordDependencyChanges(changes: readonly DependencyChange[]): Promise<void> {
    return deps.recordChanges(this.db, changes);
  }

  listDependencyChanges(from: number, to: number): Promise<DependencyChange[]> {
    return deps.listChanges(this.db, from, to);
  }

  conversationTotals(
    from: number,
    to: number,
    options?: ConversationTotalsOptions,
  ): Promise<ConversationTotals> {
    return conversationTotals(this.db, from, to, options);
  }

  dependencyTotals(q: DependencyTotalsQuery): Promise<DependencyTotalsRow[]> {
    return dependencyTotals(this.db, q);
  }

  getLabels(): Promise<HostLabel[]> {
    return labels.readLabels(this.db);
  }

  replaceLabels(list: readonly HostLabel[]): Promise<void> {
    return labels.writeLabels(this.db, list);
  }

  createApiToken(token: ApiTokenRecord): Promise<void> {
    return access.writeToken(this.db, token, this.nextVersion());
  }

  getApiToken(id: string): Promise<ApiTokenRecord | null> {
    return access.readToken(this.db, id);
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return access.readTokens(this.db);
  }

  revokeApiToken(id: string, at: number): Promise<boolean> {
    return access.revokeToken(this.db, id, at, this.nextVersion());
  }

  touchApiToken(id: string, at: number): Promise<void> {
    return access.touchToken(this.db, id, at);
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return access.appendAudit(this.db, entry);
  }

  listAudit(range: { from: number; to: number; limit: number }): Promise<AuditEntry[]> {
    return access.readAudit(this.db, range);
  }

  createTenant(t: TenantRecord): Promise<boolean> {
    return access.writeTenant(this.db, t, this.nextVersion());
  }

  listTenants(): Promise<TenantRecord[]> {
    return access.readTenants(this.db);
  }

  getTenant(name: string): Promise<TenantRecord | null> {
    return access.readTenant(this.db, name);
  }

  deleteTenant(name: string): Promise<boolean> {
    return access.removeTenant(this.db, name, this.nextVersion());
  }

  applyRetention(
    policy: RetentionPolicy,
    options: { dryRun: boolean; now?: number },
  ): Promise<RetentionReport> {
    return applyRetention(this.db, policy, { dryRun: options.dryRun, now: options.now ?? this.now() });
  }

  async saveDecoderState(collector: string, snapshot: unknown): Promise<void> {
    const text = JSON.stringify(snapshot, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const now = this.now();
    await this.db.insertJson('decoder_state', [
      { collector, snapshot: text, updated_at: dt64(now), version: now * 1000 + (this.seq++ % 1000) },
    ]);
  }

  async loadDecoderState(collector: string): Promise<unknown | null> {
    const [r] = await this.db.rows<{ snapshot: string }>(
      'SELECT snapshot FROM decoder_state FINAL WHERE collector = {c:String} LIMIT 1',
      { c: collector },
    );
    return r ? JSON.parse(r.snapshot) : null;
  }

  query(query: Query, options: QueryOptions = {}): Promise<QueryResult> {
    return answerQuery(
      {
        db: this.db,
        now: this.now(),
        settings: async () => {
          const { state, hourlyFrom, pending } = await this.readSettings();
          // Hours from the rollup's start and within the aggregates' retention (an hour the cutoff cuts
          // is partly expired), none being rewritten (the writer may be another process).
          const hourly = this.hourlyRollup
            ? { from: Math.max(hourlyFrom, this.now() - state.retention.aggregates), pending }
            : { from: Number.POSITIVE_INFINITY };
          return { state, hourly };
        },
        perGroupScope: async (s, aggregatedUntil) =>
          (await this.scopeShares.share(s, aggregatedUntil)) >= this.groupScopeShare,
      },
      query,
      options,
    );
  }

  /** Direct read access for backend tests, benchmarks and operators (parametrized like everything else). */
  sql<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    return this.db.rows<T>(sql, params);
  }

  engineMemory(): Promise<Record<string, number>> {
    return this.memory.read();
  }

  /** Runs a statement (tests/benchmarks: OPTIMIZE to force merges and TTL). */
  exec(sql: string, params?: Params): Promise<void> {
    return this.db.exec(sql, params);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.payloadRoot !== this.tmpDir) rmSync(this.payloadRoot, { recursive: true, force: true });
    this.db.session.close();
    this.ingest.session.close();
    this.memory.close();
    await drain();
  }
}

let drain: () => Promise<void> = async () => {};
/** Set by index.ts to chdb's drainPending (kept out of this module so it has no addon import). */
export function setDrain(fn: () => Promise<void>): void {
  drain = fn;
}
