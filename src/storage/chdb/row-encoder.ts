/**
 * The chdb store's row encoder for ingest worker threads (RowEncoding.encoderModule): records -> the
 * RowBinary payload `insertEncoded` takes. Pure (no engine, no I/O): importing it does not load chdb.
 */
import type { RowEncoder } from '../port.js';
import { RowBinaryStream } from './encode.js';

/** Payload format name: RowBinary in RAW_COLUMNS order (bump when the columns change). */
export const ROW_FORMAT = 'chdb-rowbinary-flow_records-1';

export function createRowEncoder(): RowEncoder {
  return new RowBinaryStream();
}
