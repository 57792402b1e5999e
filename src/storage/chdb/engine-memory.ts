/**
 * The embedded engine's memory: what it reports of itself, and the bound serve keeps it under. The engine
 * allocates with its own allocator (jemalloc, see allocator.ts), apart from Node's heap and buffers.
 */
import { type Db, num } from './db.js';

/** The engine's memory metrics (system.metrics) and the part each one is reported as. */
const PARTS = {
  MemoryTracking: 'tracked',
  MergesMutationsMemoryTracking: 'merges',
  MarkCacheBytes: 'mark_cache',
  PrimaryIndexCacheBytes: 'primary_index_cache',
  UncompressedCacheBytes: 'uncompressed_cache',
  PageCacheBytes: 'page_cache',
  QueryConditionCacheBytes: 'query_condition_cache',
  CompiledExpressionCacheBytes: 'compiled_expression_cache',
} as const;
const PARTS_SQL = `SELECT metric, value FROM system.metrics WHERE metric IN (${Object.keys(PARTS)
  .map((m) => `'${m}'`)
  .join(', ')})`;

/** How often the process's resident memory is checked against the bound. */
export const PURGE_EVERY_MS = 1000;
/** The issue's memory target (2 GB) less room for a second's growth between two checks. */
export const PURGE_ABOVE_BYTES = 1.5 * 2 ** 30;

export interface EngineMemoryOptions {
  /** How often resident memory is checked against the bound; default PURGE_EVERY_MS, 0 never. */
  purgeEveryMs?: number;
  /** Resident memory above which the engine's freed memory goes back to the OS; default PURGE_ABOVE_BYTES. */
  purgeAboveBytes?: number;
}

export class EngineMemory {
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly purgeAbove: number;
  private purging = false;
  private closed = false;

  /** `stats`: a session of its own, so neither a read nor a purge waits behind an aggregation or an insert. */
  constructor(
    private readonly stats: Db,
    opts: EngineMemoryOptions = {},
  ) {
    this.purgeAbove = opts.purgeAboveBytes ?? PURGE_ABOVE_BYTES;
    const every = opts.purgeEveryMs ?? PURGE_EVERY_MS;
    if (every > 0) this.timer = setInterval(() => this.purgeAboveBound(), every).unref();
  }

  /** Bytes by part (`tracked`: all the engine accounts for; merges; each cache). */
  async read(): Promise<Record<string, number>> {
    const rows = await this.stats.rows<{ metric: string; value: number | string }>(PARTS_SQL);
    const out: Record<string, number> = {};
    for (const r of rows) out[PARTS[r.metric as keyof typeof PARTS]] = num(r.value);
    return out;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.stats.session.close();
  }

  /**
   * Hands the pages the engine has freed back to the OS while the process is above its bound. The
   * allocator keeps freed pages for seconds before returning them: under sustained ingest, with inserts,
   * merges and aggregation freeing memory all the time, that kept about a gigabyte resident beyond what
   * the engine used (measured: serve at 1.6 GB with the engine tracking 0.35 GB at most). A purge takes
   * 1-3 ms, but the pages it returns fault in again at the next insert: purging every second made each
   * inserted row cost 1-2 µs more CPU, so it is done only above the bound.
   */
  private purgeAboveBound(): void {
    if (this.purging || this.closed || process.memoryUsage.rss() <= this.purgeAbove) return;
    this.purging = true;
    this.stats
      .exec('SYSTEM JEMALLOC PURGE')
      .catch(() => {}) // the store closing meanwhile; the next tick tries again
      .finally(() => {
        this.purging = false;
      });
  }
}
