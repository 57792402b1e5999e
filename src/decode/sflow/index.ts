/**
 * sFlow v5 decoder (sFlow.org "sFlow Version 5", 2004): datagram header, then samples walked by their own
 * length. Pure: bytes + ExporterState in, samples + typed errors out; never throws.
 *
 * Accounting, per (exporter, sub-agent id) in `state.domain('sflow_v5', subAgentId)`:
 * - the datagram sequence number (one per datagram: advance 1);
 * - unknown sample types, unknown flow/counter records: skipped by their length and counted under
 *   `stats.errors.unsupported` (they are not DecodeErrors: the datagram is well-formed). Unknown records
 *   are also kept raw in the sample (kind 'unknown' / name null) so nothing is lost;
 * - every DecodeError returned is also counted under its code, as the other decoders do.
 */
import { asDecodeError, DecodeError } from '../../core/errors.js';
import { ipv4ToString, ipv6ToString } from '../../core/ip.js';
import { ByteReader } from '../../wire/reader.js';
import { type ExporterState, noteSequence } from '../state.js';
import type { Datagram, DecodeOutput } from '../types.js';
import { fail, parseSample, type SampleSink } from './samples.js';
import type { SflowDatagramHeader, SflowSample } from './types.js';

export * from './types.js';

function parseDatagramHeader(r: ByteReader): SflowDatagramHeader {
  const version = r.u32();
  if (version !== 5)
    throw new DecodeError('bad_version', `sFlow decoder got version ${version}`, { offset: 0 });
  const agentType = r.u32();
  let agent: string;
  if (agentType === 1) {
    r.need(4);
    agent = ipv4ToString(r.buf, r.pos);
    r.pos += 4;
  } else if (agentType === 2) {
    r.need(16);
    agent = ipv6ToString(r.buf, r.pos);
    r.pos += 16;
  } else {
    throw new DecodeError('bad_address', `agent address type ${agentType}`, { offset: 4 });
  }
  const subAgentId = r.u32();
  const sequence = r.u32();
  const uptime = r.u32();
  const sampleCount = r.u32();
  return { agent, agentType, subAgentId, sequence, uptime, sampleCount };
}

export function decodeSflow(dg: Datagram, state: ExporterState): DecodeOutput<SflowSample> {
  const records: SflowSample[] = [];
  const errors: DecodeError[] = [];
  const r = new ByteReader(dg.bytes);
  let header: SflowDatagramHeader;
  try {
    header = parseDatagramHeader(r);
  } catch (err) {
    errors.push(asDecodeError(err, { exporter: dg.exporter, version: 5, offset: r.pos }));
    return { records, errors };
  }
  const stats = state.domain('sflow_v5', header.subAgentId);
  stats.datagrams++;
  noteSequence(dg, stats, { sequence: header.sequence, advance: 1 });
  const sink: SampleSink = {
    errors,
    ctx: { exporter: dg.exporter, version: 5, domain: header.subAgentId, agent: header.agent },
    stats,
  };
  try {
    decodeSamples(r, header, sink, records);
  } catch (err) {
    // Not expected (every sample is guarded), but the decoder boundary never lets anything escape.
    errors.push(asDecodeError(err, { ...sink.ctx, offset: r.pos }));
  }
  stats.records += records.length;
  for (const e of errors) stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1;
  return { records, errors };
}

function decodeSamples(
  r: ByteReader,
  header: SflowDatagramHeader,
  sink: SampleSink,
  out: SflowSample[],
): void {
  const n = header.sampleCount;
  let i = 0;
  // Each sample takes at least 8 bytes, so the loop is bounded by the datagram, never by the count field.
  for (; i < n && r.remaining >= 8; i++) {
    const at = r.pos;
    const dataFormat = r.u32();
    const length = r.u32();
    const enterprise = dataFormat >>> 12;
    const format = dataFormat & 0xfff;
    // A sample longer than the datagram is reported, and what is present of it is still decoded (the
    // records before the cut are intact; every read stays inside the datagram).
    const cut = length > r.remaining;
    if (cut) {
      sink.errors.push(
        new DecodeError('truncated', `sample of ${length} bytes, ${r.remaining} left`, {
          ...sink.ctx,
          offset: at,
          sampleIndex: i,
          sampleFormat: format,
        }),
      );
    }
    const sr = r.sub(cut ? r.remaining : length);
    try {
      const sample = parseSample(sr, enterprise, format, header, sink);
      if (sample) out.push(sample);
      else sink.stats.errors.unsupported = (sink.stats.errors.unsupported ?? 0) + 1;
    } catch (err) {
      fail(sink, err, sr.pos, { sampleIndex: i, sampleFormat: format, enterprise });
    }
  }
  if (i < n) {
    sink.errors.push(
      new DecodeError('bad_count', `datagram says ${n} samples, ${i} present`, {
        ...sink.ctx,
        offset: r.pos,
        count: n,
      }),
    );
  }
}
