/**
 * NetFlow v9 decoder (RFC 3954). One export packet per call: 20-byte header, then FlowSets (templates id 0,
 * options templates id 1, data >= 256) until the end of the datagram. Trailing zero-fill (Palo Alto pads
 * datagrams) ends the walk silently. Pure: bytes + the exporter's template state in, records + errors out.
 */
import { type ExporterState, noteSequence } from '../state.js';
import {
  caught,
  errorAt,
  finishOutput,
  handleDataSet,
  headerFailure,
  type MessageHeader,
  newOutput,
  type TemplateRecord,
} from '../template/index.js';
import type { Datagram, DecodeOutput } from '../types.js';
import { parseOptionsFlowSet, parseTemplateFlowSet } from './templates.js';

export const V9_HEADER_LENGTH = 20;

export function decodeNetflowV9(dg: Datagram, state: ExporterState): DecodeOutput<TemplateRecord> {
  const b = dg.bytes;
  if (b.length < V9_HEADER_LENGTH) {
    return headerFailure(
      state,
      9,
      dg.exporter,
      'truncated',
      `NetFlow v9 header needs 20 bytes, have ${b.length}`,
    );
  }
  const version = (b[0] << 8) | b[1];
  if (version !== 9)
    return headerFailure(state, 9, dg.exporter, 'bad_version', `version ${version} is not NetFlow v9`);
  const u32 = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  const hdr: MessageHeader = {
    exporter: dg.exporter,
    version: 9,
    domain: u32(16),
    exportTime: u32(8),
    sysUptime: u32(4),
    sequence: u32(12),
    copy: dg.copy === true,
  };
  const out = newOutput(state, hdr);
  // RFC 3954 section 5.1: the sequence number counts export packets of this source id.
  noteSequence(dg, out.stats, { sequence: hdr.sequence, advance: 1 });
  walkFlowSets(state, hdr, b, out);
  return finishOutput(out);
}

function walkFlowSets(
  state: ExporterState,
  hdr: MessageHeader,
  b: Uint8Array,
  out: ReturnType<typeof newOutput>,
): void {
  let p = V9_HEADER_LENGTH;
  while (b.length - p >= 4) {
    const id = (b[p] << 8) | b[p + 1];
    const len = (b[p + 2] << 8) | b[p + 3];
    if (len < 4) {
      // A zero FlowSet header is the zero-fill some exporters append; anything else is corrupt.
      if (!(id === 0 && len === 0))
        out.errors.push(errorAt(hdr, 'bad_length', `FlowSet length ${len}`, { setId: id, offset: p }));
      return;
    }
    if (len > b.length - p) {
      out.errors.push(
        errorAt(hdr, 'truncated', `FlowSet of ${len} bytes, ${b.length - p} left`, { setId: id, offset: p }),
      );
      return;
    }
    const start = p + 4;
    const end = p + len;
    try {
      if (id === 0) parseTemplateFlowSet(state, hdr, b, start, end, out);
      else if (id === 1) parseOptionsFlowSet(state, hdr, b, start, end, out);
      else if (id >= 256) handleDataSet(state, hdr, id, b, start, end, out);
      else out.errors.push(errorAt(hdr, 'bad_set_id', `reserved FlowSet id ${id}`, { setId: id, offset: p }));
    } catch (err) {
      out.errors.push(caught(hdr, err, { setId: id, offset: p }));
    }
    p = end;
  }
}
