import { randomUUID } from 'node:crypto';
import type { FlowRecord } from '../core/record.js';
import type { RegionLease } from './row-ring.js';

/** Rows a decode worker already encoded in the store's format (RowEncoding), with what jobs need of them. */
export interface EncodedChunk {
  data: Uint8Array;
  rows: number;
  /** Per touched 5-minute window, the earliest flow_start. */
  starts: number[];
  /** When `data` is in a worker's ring (row-ring.ts): frees it once nothing reads it any more. */
  lease?: RegionLease;
}

/** What the batcher hands on: plain records (insertFlows) and/or encoded chunks (insertEncoded). */
export interface Batch {
  /**
   * The batch's identity, given once when the batch is formed (newBatchId) and kept with it in the spool:
   * the store stores each id once, however often the batch is retried or replayed (writer.ts).
   */
  id: string;
  records: FlowRecord[];
  encoded: EncodedChunk[];
  encodedRows: number;
}

/** Unique across processes and restarts (the spool outlives a process). */
export function newBatchId(): string {
  return randomUUID();
}

export function batchRows(b: Batch): number {
  return b.records.length + b.encodedRows;
}

export interface BatcherOptions {
  maxRecords: number;
  maxAgeMs: number;
  flush: (batch: Batch) => void;
}

/**
 * Collects decoded flows (records and encoded chunks) and hands them on by size (maxRecords rows) or age
 * (maxAgeMs since the first one). An encoded chunk is never split: a batch may exceed maxRecords by at most
 * one worker message.
 */
export class Batcher {
  private buf: FlowRecord[] = [];
  private enc: EncodedChunk[] = [];
  private encRows = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: BatcherOptions) {}

  get pending(): number {
    return this.buf.length + this.encRows;
  }

  add(records: readonly FlowRecord[]): void {
    for (const r of records) {
      this.buf.push(r);
      if (this.pending >= this.opts.maxRecords) this.flush();
    }
    this.arm();
  }

  addEncoded(chunk: EncodedChunk): void {
    this.enc.push(chunk);
    this.encRows += chunk.rows;
    if (this.pending >= this.opts.maxRecords) this.flush();
    this.arm();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.buf.length && !this.enc.length) return;
    const b: Batch = { id: newBatchId(), records: this.buf, encoded: this.enc, encodedRows: this.encRows };
    this.buf = [];
    this.enc = [];
    this.encRows = 0;
    this.opts.flush(b);
  }

  stop(): void {
    this.flush();
  }

  private arm(): void {
    if (this.pending && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.opts.maxAgeMs);
    }
  }
}
