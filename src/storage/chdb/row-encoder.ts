/**
 * The chdb store's row encoder for ingest worker threads (RowEncoding.encoderModule): records -> the
 * RowBinary payload `insertEncoded` takes. Pure (no engine, no I/O): importing it does not load chdb.
 */
import type { FlowRecord } from '../../core/record.js';
import type { EncodedRows } from '../port.js';
import { encodeRowsLenient } from './encode.js';

/** Payload format name: RowBinary in RAW_COLUMNS order (bump when the columns change). */
export const ROW_FORMAT = 'chdb-rowbinary-flow_records-1';

/** Running average of bytes per row, so the buffer is sized right the first time (no regrowth copies). */
let bytesPerRow = 448;

export function encodeRows(records: readonly FlowRecord[]): EncodedRows {
  const out = encodeRowsLenient(records, Math.ceil(bytesPerRow * 1.15));
  if (out.rows > 0) bytesPerRow = Math.max(64, out.data.length / out.rows);
  return out;
}
