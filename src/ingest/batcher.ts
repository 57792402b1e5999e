import type { FlowRecord } from '../core/record.js';

export interface BatcherOptions {
  maxRecords: number;
  maxAgeMs: number;
  flush: (records: FlowRecord[]) => void;
}

/** Collects decoded flows and hands them on by size (maxRecords) or age (maxAgeMs since the first one). */
export class Batcher {
  private buf: FlowRecord[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: BatcherOptions) {}

  get pending(): number {
    return this.buf.length;
  }

  add(records: readonly FlowRecord[]): void {
    for (const r of records) {
      this.buf.push(r);
      if (this.buf.length >= this.opts.maxRecords) this.flush();
    }
    if (this.buf.length && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.opts.maxAgeMs);
    }
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.buf.length) return;
    const b = this.buf;
    this.buf = [];
    this.opts.flush(b);
  }

  stop(): void {
    this.flush();
  }
}
