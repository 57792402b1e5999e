/**
 * The PostgreSQL store's row encoder for ingest worker threads (RowEncoding.encoderModule): records ->
 * COPY BINARY rows of flow_records (insert.ts writeFlowRow), without the stream's header and trailer, which
 * insertEncoded puts around the chunks of one insert. Pure (no connection, no I/O): importing it does not
 * load pg. Encoding in the workers keeps the receive thread free of per-record work on PostgreSQL too, and
 * lets the spool keep the bytes as they are.
 */
import type { FlowRecord } from '../../core/record.js';
import { type RowEncoder, StoreInputError } from '../port.js';
import { CopyBinaryWriter } from './copy-binary.js';
import { isFlow, writeFlowRow } from './insert.js';

/** Payload format name: COPY BINARY rows in RAW_COPY_COLUMNS order (bump when the columns change). */
export const ROW_FORMAT = 'postgres-copy-binary-flow_records-1';

class CopyRowStream implements RowEncoder {
  private w: CopyBinaryWriter | null = null;
  private rows = 0;
  /** Bytes of the last payload: the next buffer is sized from it (no regrowth copies in steady state). */
  private lastBytes = 1 << 20;
  /** A buffer given back by recycle(), written again by the next payload. */
  private spare: Buffer | undefined;

  add(records: readonly FlowRecord[]): FlowRecord[] {
    if (this.w === null) {
      this.w = new CopyBinaryWriter(this.spare ?? this.lastBytes);
      this.spare = undefined;
    }
    const w = this.w;
    let refused: FlowRecord[] | null = null;
    for (const r of records) {
      if (!isFlow(r)) continue;
      const at = w.length;
      try {
        writeFlowRow(w, r);
        this.rows++;
      } catch (err) {
        w.rewind(at); // never a partial row in the payload
        if (!(err instanceof StoreInputError)) throw err;
        if (refused === null) refused = [];
        refused.push(r);
      }
    }
    return refused ?? [];
  }

  take(): { data: Uint8Array; rows: number } {
    const w = this.w;
    if (w === null) return { data: new Uint8Array(0), rows: 0 };
    const out = { data: w.written(), rows: this.rows };
    this.lastBytes = Math.max(65_536, Math.ceil(out.data.length * 1.25));
    this.w = null;
    this.rows = 0;
    return out;
  }

  recycle(data: Uint8Array): void {
    if (data.buffer instanceof ArrayBuffer) this.spare = Buffer.from(data.buffer, 0, data.buffer.byteLength);
  }
}

export function createRowEncoder(): RowEncoder {
  return new CopyRowStream();
}
