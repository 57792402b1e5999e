/**
 * What the worker-side RowEncoders of both stores share (port.ts RowEncoder): the flow records a store
 * takes, appended row by row to one payload in a buffer of its own (transferable). A record refused as
 * invalid (StoreInputError) is left out, the buffer rolled back to before it, and returned, so one bad
 * record costs nothing to the others; non-flow records (counter samples, options data) are skipped as
 * insertFlows skips them. The next payload's buffer is sized from the last one (no regrowth copies in
 * steady state), or is the one recycle() gave back.
 */
import { type FlowRecord, isFlow } from '../core/record.js';
import { type RowEncoder, StoreInputError } from './port.js';

/** A growable buffer rows are written to. */
export interface RowBuffer {
  /** Bytes written so far. */
  readonly length: number;
  /** Drops what was written after `length`. */
  rewind(length: number): void;
  /** The bytes written so far (a view of the buffer). */
  written(): Uint8Array;
}

/** A store's row format: how to get a buffer and how to write one record's row into it. */
export interface RowFormat<B extends RowBuffer> {
  /** A buffer for about `size` bytes; `spare` (a recycled buffer) is reused when given and large enough. */
  open(size: number, spare: Buffer | undefined): B;
  /** Appends the record's row; throws StoreInputError for a value the store cannot hold. */
  write(buffer: B, record: FlowRecord): void;
}

export class RowStream<B extends RowBuffer> implements RowEncoder {
  private buffer: B | null = null;
  private rows = 0;
  private lastBytes = 1 << 20;
  private spare: Buffer | undefined;

  constructor(private readonly format: RowFormat<B>) {}

  add(records: readonly FlowRecord[]): FlowRecord[] {
    if (this.buffer === null) {
      this.buffer = this.format.open(this.lastBytes, this.spare);
      this.spare = undefined;
    }
    const b = this.buffer;
    let refused: FlowRecord[] | null = null;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (!isFlow(r)) continue;
      const at = b.length;
      try {
        this.format.write(b, r);
        this.rows++;
      } catch (err) {
        b.rewind(at); // never a partial row in the payload
        if (!(err instanceof StoreInputError)) throw err;
        if (refused === null) refused = [];
        refused.push(r);
      }
    }
    return refused ?? [];
  }

  take(): { data: Uint8Array; rows: number } {
    const b = this.buffer;
    if (b === null) return { data: new Uint8Array(0), rows: 0 };
    const out = { data: b.written(), rows: this.rows };
    this.lastBytes = Math.max(65_536, Math.ceil(out.data.length * 1.25));
    this.buffer = null;
    this.rows = 0;
    return out;
  }

  recycle(data: Uint8Array): void {
    if (data.buffer instanceof ArrayBuffer) this.spare = Buffer.from(data.buffer, 0, data.buffer.byteLength);
  }
}
