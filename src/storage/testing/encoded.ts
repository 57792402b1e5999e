/**
 * Tests of RowEncoding stores: records encoded as a decode worker would (the store's own encoder module,
 * loaded the way the worker loads it), cut into `parts` chunks (worker messages).
 */
import type { FlowRecord } from '../../core/record.js';
import { touchedWindows } from '../../jobs/windows.js';
import { type EncodedRows, loadRowEncoder, type RowEncoding } from '../port.js';

/** Every record encoded (throws if the encoder refuses one), chunked into `parts` takes. */
export async function encodeRows(
  encoding: RowEncoding,
  records: readonly FlowRecord[],
  parts = 1,
): Promise<EncodedRows> {
  const enc = await loadRowEncoder(encoding.encoderModule);
  const chunks: Uint8Array[] = [];
  let rows = 0;
  const per = Math.max(1, Math.ceil(records.length / parts));
  for (let i = 0; i < records.length; i += per) {
    const refused = enc.add(records.slice(i, i + per));
    if (refused.length) throw new Error(`encoder refused ${refused.length} record(s)`);
    const t = enc.take();
    chunks.push(t.data);
    rows += t.rows;
  }
  return { chunks, rows, starts: touchedWindows(records) };
}
