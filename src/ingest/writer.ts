import type { Logger } from 'pino';
import type { FlowRecord } from '../core/record.js';
import { type FlowStore, type InsertResult, StoreInputError } from '../storage/port.js';
import { type Batch, batchRows, newBatchId } from './batcher.js';
import { LogLimiter } from './log-limit.js';
import type { IngestMetrics } from './metrics.js';
import type { Spool, SpooledEncoded, SpooledRecords } from './spool.js';

export interface WriterOptions {
  store: FlowStore;
  spool: Spool;
  metrics: IngestMetrics;
  log: Logger;
  /** An insert that takes longer counts as failed; its batch goes to the spool. */
  insertTimeoutMs: number;
  /** Batches waiting in memory for the one insert in flight before they go to the spool. */
  maxPendingBatches?: number;
  /**
   * The same bound in bytes (encoded rows exactly, plain records estimated at 1 KiB each): a slow insert
   * (engine merging, disk busy) is absorbed in memory up to this, not spooled.
   */
  maxPendingBytes?: number;
  /** Queued batches are merged into one insert up to this many rows (fewer, larger parts in the engine). */
  maxInsertRows?: number;
  /** First retry delay after a failure; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Called with what the store accepted: plain records and, for encoded rows, the earliest flow_start per
   * 5-minute window (serve's jobs re-aggregate windows that late flows reach).
   */
  onStored?: (records: readonly FlowRecord[], encodedStarts: readonly number[]) => void;
}

class TimeoutError extends Error {}

const RECORD_BYTES_ESTIMATE = 1024;

/** The batch is done with its encoded chunks' memory (stored, or copied into the spool). */
function releaseEncoded(b: Batch): void {
  for (const c of b.encoded) c.lease?.finish();
}

function batchBytes(b: Batch): number {
  let n = b.records.length * RECORD_BYTES_ESTIMATE;
  for (const c of b.encoded) n += c.data.length;
  return n;
}

/**
 * Hands batches to the store, one insert at a time, in order; batches that queued behind the insert in
 * flight go together in the next one (up to maxInsertRows), so the insert size follows the load. When an
 * insert fails or times out the batch is spooled, and from then on every batch goes to the spool behind it
 * until the spool has been replayed (order kept; nothing accepted is dropped unless the spool is full).
 *
 * Exactly-once storage: a timed-out insert may still complete in the store, and the spool hands a batch to
 * the store again after a crash during replay, so the same batch can reach the store more than once. Each
 * batch carries an id from when it was formed (Batcher; take() when it merges queued batches, before any
 * attempt), kept in the spool with it; every insert passes a key derived from it (`<id>:e` for the encoded
 * rows, `<id>:r<from>-<to>` for records[from, to), so the halves of a refused batch have their own), and
 * the store stores each key once (port.ts InsertOptions).
 *
 * flowlens_flows_stored_total counts what the store holds: an insert is counted when the store stores it;
 * when the store reports a key as already stored, it is counted only if an attempt of that key failed
 * here, in a way that may have stored it (that attempt was not counted). Those keys are `uncertain`, kept
 * in memory and in the spool line, so the count holds across a restart too. A key stored AND counted by a
 * process that then crashed before its spool line was deleted is not counted again by the next one.
 *
 * Rows the decode workers encoded in the store's format (Batch.encoded) go through the store's
 * RowEncoding.insertEncoded; plain records through insertFlows.
 */
export class StoreWriter {
  private readonly queue: Batch[] = [];
  private queuedBytes = 0;
  private busy = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private lastError = '';
  private readonly rejectLog = new LogLimiter();
  /** Insert keys whose attempt failed or timed out here (or before a restart): stored or not, uncounted. */
  private readonly uncertain = new Set<string>();
  storeUp = true;

  /** When the spool last began to hold batches (see behindSince), or null. */
  private spooledSince: number | null = null;

  constructor(private readonly opts: WriterOptions) {
    this.backoff = opts.backoffMs ?? 500;
    opts.metrics.storeUp.set(1);
    this.updateSpoolMetrics();
  }

  /** Replays whatever a previous run left in the spool. */
  start(): void {
    if (!this.opts.spool.empty) {
      this.spooledSince = Date.now();
      this.opts.log.info(
        { batches: this.opts.spool.batches, bytes: this.opts.spool.bytes },
        'spool not empty: replaying',
      );
      this.kick();
    }
  }

  /**
   * Since when the writer is behind the store (epoch ms): batches wait in the spool, the oldest spooled
   * after waiting up to one insert timeout; a spool left by a previous run counts from this start. null
   * while the spool is empty. Aggregation holds back the windows after it (jobs/tier-jobs.ts).
   */
  behindSince(): number | null {
    return this.opts.spool.empty ? null : this.spooledSince;
  }

  /** Plain records (a Batch without encoded rows). */
  write(records: FlowRecord[]): void {
    this.writeBatch({ id: newBatchId(), records, encoded: [], encodedRows: 0 });
  }

  writeBatch(batch: Batch): void {
    const rows = batchRows(batch);
    if (!rows) {
      releaseEncoded(batch);
      return;
    }
    this.opts.metrics.batchSize.observe(rows);
    const bytes = batchBytes(batch);
    if (
      !this.opts.spool.empty ||
      !this.storeUp ||
      this.queue.length >= (this.opts.maxPendingBatches ?? 1024) ||
      (this.queue.length > 0 && this.queuedBytes + bytes > (this.opts.maxPendingBytes ?? 256 * 1024 * 1024))
    ) {
      this.spool(batch);
    } else {
      this.queue.push(batch);
      this.queuedBytes += bytes;
    }
    this.kick();
  }

  /** Waits for the insert in flight; what the store does not take in time is spooled, not lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.busy) await new Promise<void>((r) => this.idleWaiters.push(r));
    // Whatever is still queued in memory: try once more, else spool it for the next start.
    while (this.queue.length) {
      const b = this.take();
      if (!this.storeUp || !this.opts.spool.empty || !(await this.insert(b, 'direct'))) this.spool(b);
    }
    this.opts.spool.close();
  }

  /** Resolves once nothing is queued in memory and the spool is empty (tests, shutdown checks). */
  async idle(): Promise<void> {
    while (this.busy || this.queue.length || !this.opts.spool.empty) {
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  /** The queued batches, merged up to maxInsertRows rows (at least one batch). */
  private take(): Batch {
    const first = this.queue.shift()!;
    this.queuedBytes -= batchBytes(first);
    const max = this.opts.maxInsertRows ?? 1_000_000;
    if (!this.queue.length || batchRows(first) >= max) return first;
    // A new batch (no attempt was made of the ones merged): a new id.
    const out: Batch = {
      id: newBatchId(),
      records: [...first.records],
      encoded: [...first.encoded],
      encodedRows: first.encodedRows,
    };
    let rows = batchRows(out);
    while (this.queue.length && rows + batchRows(this.queue[0]) <= max) {
      const b = this.queue.shift()!;
      this.queuedBytes -= batchBytes(b);
      for (const r of b.records) out.records.push(r);
      for (const c of b.encoded) out.encoded.push(c);
      out.encodedRows += b.encodedRows;
      rows += batchRows(b);
    }
    return out;
  }

  private spool(batch: Batch): void {
    const { spool } = this.opts;
    const { id } = batch;
    const uncertain = [...this.uncertain].filter((k) => k.startsWith(`${id}:`));
    if (spool.empty || this.spooledSince === null) this.spooledSince = Date.now() - this.opts.insertTimeoutMs;
    let ok = true;
    if (batch.records.length) {
      if (spool.append(batch.records, { id, uncertain }))
        this.opts.metrics.spooledFlows.inc(batch.records.length);
      else ok = this.spoolFull(batch.records.length);
    }
    if (batch.encodedRows) {
      const format = this.opts.store.rowEncoding?.format ?? 'unknown';
      // Written one after the other, replayed as one payload: the store makes the same blocks of it
      // however it was chunked (chdb/store.ts).
      const data = batch.encoded.map((c) => c.data);
      const starts = batch.encoded.flatMap((c) => c.starts);
      const spooled = spool.appendEncoded({ format, id, uncertain, data, rows: batch.encodedRows, starts });
      releaseEncoded(batch); // written (or refused): the ring's regions are free again
      if (spooled) this.opts.metrics.spooledFlows.inc(batch.encodedRows);
      else ok = this.spoolFull(batch.encodedRows) && ok;
    }
    if (!ok) this.forget(id);
    this.updateSpoolMetrics();
  }

  private spoolFull(flows: number): boolean {
    this.opts.metrics.drops.labels('spool_full', 'flows').inc(flows);
    this.opts.log.error({ flows }, 'spool full: batch dropped');
    return false;
  }

  private kick(): void {
    if (this.busy || this.retryTimer || this.stopped) return;
    this.busy = true;
    void this.pump().finally(() => {
      this.busy = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    });
  }

  private async pump(): Promise<void> {
    const { spool } = this.opts;
    while (!this.stopped) {
      // The spool is older than anything queued in memory: it goes first.
      const fromSpool = spool.peekBatch();
      if (fromSpool) {
        const batch = this.spooledBatch(fromSpool);
        if (!(await this.insert(batch, 'spool'))) return this.retryLater();
        spool.ack();
        this.forget(batch.id);
        this.updateSpoolMetrics();
        if (spool.empty) this.opts.log.info('spool replayed');
        continue;
      }
      if (!this.queue.length) return;
      const batch = this.take();
      const stored = await this.insert(batch, 'direct');
      if (stored) this.forget(batch.id);
      if (!stored) {
        this.spool(batch);
        // Keep the order: everything queued behind the failed batch follows it into the spool.
        for (const b of this.queue.splice(0)) this.spool(b);
        this.queuedBytes = 0;
        return this.retryLater();
      }
    }
  }

  /** Drops what is known about a batch's keys once it is stored (or lost). */
  private forget(id: string): void {
    if (!this.uncertain.size) return;
    for (const k of this.uncertain) if (k.startsWith(`${id}:`)) this.uncertain.delete(k);
  }

  /** A spooled line as a Batch; encoded rows of another store's format cannot be stored here: dropped, counted. */
  private spooledBatch(b: SpooledRecords | SpooledEncoded): Batch {
    // A line spooled before batches had ids gets one now: its earlier attempts had none, so it may be
    // stored twice (at-least-once, as it was when it was spooled).
    const id = b.id ?? newBatchId();
    for (const k of b.uncertain ?? []) this.uncertain.add(k);
    if ('records' in b) return { id, records: b.records, encoded: [], encodedRows: 0 };
    if (b.format !== this.opts.store.rowEncoding?.format) {
      this.opts.metrics.drops.labels('spool_format', 'flows').inc(b.rows);
      this.opts.log.error(
        { format: b.format, rows: b.rows },
        'spooled rows are encoded for another store than this one: dropped',
      );
      return { id, records: [], encoded: [], encodedRows: 0 };
    }
    return {
      id,
      records: [],
      encoded: [{ data: b.data, rows: b.rows, starts: b.starts }],
      encodedRows: b.rows,
    };
  }

  /**
   * Stores a batch: encoded rows first (all or nothing), then the plain records. What was stored is taken
   * out of the batch, so a batch that fails halfway is spooled (and retried) without what already went in.
   */
  private async insert(batch: Batch, path: 'direct' | 'spool'): Promise<boolean> {
    if (batch.encodedRows) {
      if (!(await this.insertEncoded(batch, path))) return false;
      releaseEncoded(batch);
      batch.encoded = [];
      batch.encodedRows = 0;
    }
    if (!batch.records.length) return true;
    if (!(await this.insertRecords(batch.id, batch.records, 0, path))) return false;
    batch.records = [];
    return true;
  }

  private async insertEncoded(batch: Batch, path: 'direct' | 'spool'): Promise<boolean> {
    const enc = this.opts.store.rowEncoding;
    if (!enc) throw new Error('encoded rows for a store without a row encoding');
    const rows = batch.encodedRows;
    const key = `${batch.id}:e`;
    const starts = batch.encoded.flatMap((c) => c.starts);
    const r = await this.attempt(
      () => {
        const reads = batch.encoded.map((c) => c.lease?.read());
        const done = () => {
          for (const end of reads) end?.();
        };
        const insert = enc.insertEncoded(
          { chunks: batch.encoded.map((c) => c.data), rows, starts },
          { batchId: key },
        );
        // The store reads the chunks until the insert settles, even after a timeout here.
        insert.then(done, done);
        return insert;
      },
      rows,
      path,
      key,
    );
    if (r !== 'ok') return false; // the encoder validated every row: a refusal is the store failing
    this.opts.onStored?.([], starts);
    return true;
  }

  private retryLater(): void {
    if (this.stopped) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
  }

  /**
   * Inserts a batch. A store that refuses records as invalid (StoreInputError: a value outside a column's
   * range) is not "down": retrying would wedge the pipeline on one poison record forever. The batch is split
   * in halves until the refused records are isolated; those are dropped (counted store_rejected, logged with
   * the reason) and every other record is stored. `from` is where `records` starts in the batch: a half's
   * key names its range, the same in every replay of the batch.
   */
  private async insertRecords(
    id: string,
    records: FlowRecord[],
    from: number,
    path: 'direct' | 'spool',
  ): Promise<boolean> {
    const key = `${id}:r${from}-${from + records.length}`;
    const r = await this.attempt(
      () => this.opts.store.insertFlows(records, { batchId: key }),
      records.length,
      path,
      key,
    );
    if (r === 'ok') this.opts.onStored?.(records, []);
    if (r !== 'rejected') return r === 'ok';
    if (records.length === 1) {
      this.opts.metrics.drops.labels('store_rejected', 'flows').inc();
      const suppressed = this.rejectLog.allow('rejected');
      if (suppressed !== null) {
        this.opts.log.warn(
          {
            err: this.lastError,
            exporter: records[0].exporter_ip,
            protocol: records[0].protocol_type,
            suppressed,
          },
          'store refused a flow record as invalid: dropped',
        );
      }
      return true;
    }
    const mid = records.length >> 1;
    return (
      (await this.insertRecords(id, records.slice(0, mid), from, path)) &&
      (await this.insertRecords(id, records.slice(mid), from + mid, path))
    );
  }

  /** One insert of `key`; counts it (see the class comment) and keeps the store's up/down state. */
  private async attempt(
    run: () => Promise<InsertResult>,
    flows: number,
    path: 'direct' | 'spool',
    key: string,
  ): Promise<'ok' | 'failed' | 'rejected'> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError('insert timed out')), this.opts.insertTimeoutMs);
        }),
      ]);
      this.opts.metrics.insertSeconds.labels('ok').observe((performance.now() - t0) / 1000);
      const duplicate = result?.duplicate === true;
      if (duplicate) this.opts.metrics.duplicateFlows.inc(flows);
      if (!duplicate || this.uncertain.has(key)) this.opts.metrics.storedFlows.labels(path).inc(flows);
      this.uncertain.delete(key);
      if (!this.storeUp) this.opts.log.info('store reachable again');
      this.storeUp = true;
      this.opts.metrics.storeUp.set(1);
      this.backoff = this.opts.backoffMs ?? 500;
      return 'ok';
    } catch (err) {
      this.opts.metrics.insertSeconds.labels('error').observe((performance.now() - t0) / 1000);
      if (err instanceof StoreInputError) {
        this.lastError = (err as Error).message;
        return 'rejected';
      }
      // The store may have stored it all the same (a commit whose answer was lost, an insert still running).
      this.uncertain.add(key);
      if (this.storeUp) {
        this.opts.log.warn({ err: (err as Error).message, flows }, 'store insert failed: spooling');
      }
      this.storeUp = false;
      this.opts.metrics.storeUp.set(0);
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  private updateSpoolMetrics(): void {
    this.opts.metrics.spoolBytes.set(this.opts.spool.bytes);
    this.opts.metrics.spoolBatches.set(this.opts.spool.batches);
  }
}
