import { asDecodeError, DecodeError } from '../../core/errors.js';
import { ipv4ToString } from '../../core/ip.js';
import { ByteReader } from '../../wire/reader.js';
import { type ExporterState, noteSequence } from '../state.js';
import type { Datagram, DecodeOutput } from '../types.js';
import { V5_HEADER_LEN, V5_RECORD_LEN, type V5Header, type V5Record } from './types.js';

export type { V5Header, V5Record } from './types.js';
export { V5_HEADER_LEN, V5_MAX_COUNT, V5_RECORD_LEN } from './types.js';

/** Header fields in wire order (Cisco v5 format). */
function parseHeader(r: ByteReader): V5Header {
  const version = r.u16();
  if (version !== 5) throw new DecodeError('bad_version', `NetFlow v5 decoder got version ${version}`);
  const count = r.u16();
  const sysUptime = r.u32();
  const unixSecs = r.u32();
  const unixNsecs = r.u32();
  const sequence = r.u32();
  const engineType = r.u8();
  const engineId = r.u8();
  const sampling = r.u16();
  return {
    version: 5,
    count,
    sysUptime,
    unixSecs,
    unixNsecs,
    sequence,
    engineType,
    engineId,
    samplingMode: sampling >>> 14,
    samplingInterval: sampling & 0x3fff,
  };
}

/** One 48-byte flow record. Direct indexed reads: the caller has checked that 48 bytes are present. */
function parseRecord(b: Uint8Array, dv: DataView, o: number, header: V5Header): V5Record {
  return {
    header,
    srcAddr: ipv4ToString(b, o),
    dstAddr: ipv4ToString(b, o + 4),
    nextHop: ipv4ToString(b, o + 8),
    input: dv.getUint16(o + 12),
    output: dv.getUint16(o + 14),
    packets: dv.getUint32(o + 16),
    octets: dv.getUint32(o + 20),
    first: dv.getUint32(o + 24),
    last: dv.getUint32(o + 28),
    srcPort: dv.getUint16(o + 32),
    dstPort: dv.getUint16(o + 34),
    // o + 36: pad1
    tcpFlags: b[o + 37],
    protocol: b[o + 38],
    tos: b[o + 39],
    srcAs: dv.getUint16(o + 40),
    dstAs: dv.getUint16(o + 42),
    srcMask: b[o + 44],
    dstMask: b[o + 45],
    // o + 46: pad2
  };
}

/**
 * Decode one NetFlow v5 datagram. The header count is checked against the bytes actually present: a
 * count that claims more records than the datagram holds (logstash netflow5_invalid01/02) yields the
 * records that are present plus a 'bad_count' error; nothing is ever allocated by the count field.
 */
export function decodeNetflowV5(dg: Datagram, state: ExporterState): DecodeOutput<V5Record> {
  const records: V5Record[] = [];
  const errors: DecodeError[] = [];
  const ctx = { exporter: dg.exporter, version: 5 };
  let header: V5Header;
  try {
    header = parseHeader(new ByteReader(dg.bytes));
  } catch (err) {
    errors.push(asDecodeError(err, { ...ctx, offset: 0 }));
    return { records, errors };
  }
  const domain = (header.engineType << 8) | header.engineId;
  const stats = state.domain('netflow_v5', domain);
  stats.datagrams++;
  const b = dg.bytes;
  const present = Math.floor((b.length - V5_HEADER_LEN) / V5_RECORD_LEN);
  const n = Math.min(header.count, present);
  if (header.count > present) {
    errors.push(
      new DecodeError(
        'bad_count',
        `header count ${header.count} but only ${present} records in ${b.length} bytes`,
        { ...ctx, domain, offset: V5_HEADER_LEN + present * V5_RECORD_LEN, count: header.count },
      ),
    );
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) records.push(parseRecord(b, dv, V5_HEADER_LEN + i * V5_RECORD_LEN, header));
  stats.records += n;
  // The v5 sequence counts flows: the next datagram should start at sequence + count (Cisco v5 format).
  noteSequence(dg, stats, { sequence: header.sequence, advance: header.count > present ? n : header.count });
  for (const e of errors) stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1;
  return { records, errors };
}
