import type { Logger } from 'pino';
import type { FlowRecord } from '../core/record.js';
import type { FlowStore } from '../storage/port.js';
import { LogLimiter } from './log-limit.js';
import type { IngestMetrics } from './metrics.js';
import type { Spool } from './spool.js';

export interface WriterOptions {
  store: FlowStore;
  spool: Spool;
  metrics: IngestMetrics;
  log: Logger;
  /** An insert that takes longer counts as failed; its batch goes to the spool. */
  insertTimeoutMs: number;
  /** Batches waiting in memory for the one insert in flight before they go to the spool. */
  maxPendingBatches?: number;
  /** First retry delay after a failure; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called with every batch the store accepted (serve's jobs re-aggregate windows that late flows reach). */
  onStored?: (records: readonly FlowRecord[]) => void;
}

class TimeoutError extends Error {}

/**
 * Hands batches to the store, one insert at a time, in order. When an insert fails or times out the batch is
 * spooled, and from then on every batch goes to the spool behind it until the spool has been replayed
 * (order kept; nothing accepted is dropped unless the spool is full). A timed-out insert may still complete
 * in the store, so a replay can store it twice: delivery is at-least-once.
 */
export class StoreWriter {
  private readonly queue: FlowRecord[][] = [];
  private busy = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private lastError = '';
  private readonly rejectLog = new LogLimiter();
  storeUp = true;

  constructor(private readonly opts: WriterOptions) {
    this.backoff = opts.backoffMs ?? 500;
    opts.metrics.storeUp.set(1);
    this.updateSpoolMetrics();
  }

  /** Replays whatever a previous run left in the spool. */
  start(): void {
    if (!this.opts.spool.empty) {
      this.opts.log.info(
        { batches: this.opts.spool.batches, bytes: this.opts.spool.bytes },
        'spool not empty: replaying',
      );
      this.kick();
    }
  }

  write(records: FlowRecord[]): void {
    if (!records.length) return;
    this.opts.metrics.batchSize.observe(records.length);
    if (!this.opts.spool.empty || !this.storeUp || this.queue.length >= (this.opts.maxPendingBatches ?? 4)) {
      this.spool(records);
    } else {
      this.queue.push(records);
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
      const b = this.queue.shift()!;
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

  private spool(records: FlowRecord[]): void {
    if (this.opts.spool.append(records)) {
      this.opts.metrics.spooledFlows.inc(records.length);
    } else {
      this.opts.metrics.drops.labels('spool_full', 'flows').inc(records.length);
      this.opts.log.error({ flows: records.length }, 'spool full: batch dropped');
    }
    this.updateSpoolMetrics();
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
      const fromSpool = spool.peek();
      if (fromSpool) {
        if (!(await this.insert(fromSpool, 'spool'))) return this.retryLater();
        spool.ack();
        this.updateSpoolMetrics();
        if (spool.empty) this.opts.log.info('spool replayed');
        continue;
      }
      const batch = this.queue.shift();
      if (!batch) return;
      if (!(await this.insert(batch, 'direct'))) {
        this.spool(batch);
        // Keep the order: everything queued behind the failed batch follows it into the spool.
        for (const b of this.queue.splice(0)) this.spool(b);
        return this.retryLater();
      }
    }
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
   * the reason) and every other record is stored.
   */
  private async insert(records: FlowRecord[], path: 'direct' | 'spool'): Promise<boolean> {
    const r = await this.tryInsert(records, path);
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
    return (await this.insert(records.slice(0, mid), path)) && (await this.insert(records.slice(mid), path));
  }

  private async tryInsert(
    records: FlowRecord[],
    path: 'direct' | 'spool',
  ): Promise<'ok' | 'failed' | 'rejected'> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.opts.store.insertFlows(records),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError('insert timed out')), this.opts.insertTimeoutMs);
        }),
      ]);
      this.opts.metrics.insertSeconds.labels('ok').observe((performance.now() - t0) / 1000);
      this.opts.metrics.storedFlows.labels(path).inc(records.length);
      this.opts.onStored?.(records);
      if (!this.storeUp) this.opts.log.info('store reachable again');
      this.storeUp = true;
      this.opts.metrics.storeUp.set(1);
      this.backoff = this.opts.backoffMs ?? 500;
      return 'ok';
    } catch (err) {
      this.opts.metrics.insertSeconds.labels('error').observe((performance.now() - t0) / 1000);
      if ((err as Error)?.name === 'StoreInputError') {
        this.lastError = (err as Error).message;
        return 'rejected';
      }
      if (this.storeUp) {
        this.opts.log.warn(
          { err: (err as Error).message, flows: records.length },
          'store insert failed: spooling',
        );
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
