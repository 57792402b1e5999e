/**
 * The PostgreSQL store's row encoder for ingest worker threads (RowEncoding.encoderModule): records ->
 * COPY BINARY rows of flow_records (insert.ts writeFlowRow), without the stream's header and trailer, which
 * insertEncoded puts around the chunks of one insert. Pure (no connection, no I/O): importing it does not
 * load pg. Encoding in the workers keeps the receive thread free of per-record work on PostgreSQL too, and
 * lets the spool keep the bytes as they are.
 */
import type { RowEncoder } from '../port.js';
import { RowStream } from '../row-stream.js';
import { CopyBinaryWriter } from './copy-binary.js';
import { writeFlowRow } from './insert.js';

/** Payload format name: COPY BINARY rows in RAW_COPY_COLUMNS order (bump when the columns change). */
export const ROW_FORMAT = 'postgres-copy-binary-flow_records-1';

export function createRowEncoder(): RowEncoder {
  return new RowStream({
    open: (size, spare) => new CopyBinaryWriter(spare && spare.length >= size ? spare : size),
    write: writeFlowRow,
  });
}
