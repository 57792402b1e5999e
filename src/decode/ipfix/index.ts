/**
 * IPFIX message decoder (RFC 7011). One message per call (a UDP datagram carries exactly one; over TCP the
 * IpfixStreamFramer cuts the stream into messages). Pure: bytes + the exporter's template state in,
 * records + typed errors out; nothing throws to the caller.
 */
import { type ExporterState, noteSequence } from '../state.js';
import {
  caught,
  errorAt,
  finishOutput,
  handleDataSet,
  headerFailure,
  type MessageHeader,
  type MessageOutput,
  newOutput,
  type TemplateRecord,
} from '../template/index.js';
import type { Datagram, DecodeOutput } from '../types.js';
import { OPTIONS_TEMPLATE_SET, parseTemplateSet, TEMPLATE_SET } from './templates.js';

export { IpfixStreamFramer } from './framer.js';

export const IPFIX_HEADER_LENGTH = 16;

export function decodeIpfix(dg: Datagram, state: ExporterState): DecodeOutput<TemplateRecord> {
  const b = dg.bytes;
  if (b.length < IPFIX_HEADER_LENGTH) {
    return headerFailure(
      state,
      10,
      dg.exporter,
      'truncated',
      `IPFIX header needs 16 bytes, have ${b.length}`,
    );
  }
  const version = (b[0] << 8) | b[1];
  if (version !== 10)
    return headerFailure(state, 10, dg.exporter, 'bad_version', `version ${version} is not IPFIX`);
  const u32 = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  const hdr: MessageHeader = {
    exporter: dg.exporter,
    version: 10,
    domain: u32(12),
    exportTime: u32(4),
    sysUptime: null,
    sequence: u32(8),
    copy: dg.copy === true,
  };
  const out = newOutput(state, hdr);
  const length = (b[2] << 8) | b[3];
  let end = length;
  if (length < IPFIX_HEADER_LENGTH) {
    out.errors.push(errorAt(hdr, 'bad_length', `message length ${length} < 16`, { offset: 2 }));
    return finishOutput(out);
  }
  if (length > b.length) {
    // Decode the sets that are complete; the cut one is reported.
    out.errors.push(
      errorAt(hdr, 'truncated', `message length ${length}, datagram ${b.length}`, { offset: 2 }),
    );
    end = b.length;
  }
  walkSets(state, hdr, b, end, out);
  // RFC 7011 section 3.1: the sequence number counts data records (options data included) of the domain.
  // Held sets hide how many records this message carried: do not count the next message's start as loss.
  noteSequence(dg, out.stats, { sequence: hdr.sequence, advance: out.ownDataRecords, forget: out.held > 0 });
  return finishOutput(out);
}

function walkSets(
  state: ExporterState,
  hdr: MessageHeader,
  b: Uint8Array,
  end: number,
  out: MessageOutput,
): void {
  let p = IPFIX_HEADER_LENGTH;
  while (end - p >= 4) {
    const id = (b[p] << 8) | b[p + 1];
    const len = (b[p + 2] << 8) | b[p + 3];
    if (len < 4) {
      out.errors.push(errorAt(hdr, 'bad_length', `set length ${len}`, { setId: id, offset: p }));
      return;
    }
    if (len > end - p) {
      out.errors.push(
        errorAt(hdr, 'truncated', `set of ${len} bytes, ${end - p} left in message`, {
          setId: id,
          offset: p,
        }),
      );
      return;
    }
    try {
      if (id === TEMPLATE_SET || id === OPTIONS_TEMPLATE_SET)
        parseTemplateSet(state, hdr, id, b, p + 4, p + len, out);
      else if (id >= 256) out.ownDataRecords += handleDataSet(state, hdr, id, b, p + 4, p + len, out);
      else out.errors.push(errorAt(hdr, 'bad_set_id', `reserved set id ${id}`, { setId: id, offset: p }));
    } catch (err) {
      out.errors.push(caught(hdr, err, { setId: id, offset: p }));
    }
    p += len;
  }
  if (p < end)
    out.errors.push(errorAt(hdr, 'truncated', `${end - p} stray bytes after the last set`, { offset: p }));
}
