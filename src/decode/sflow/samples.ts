/**
 * sFlow v5 samples (spec section "sFlow Datagram"): flow_sample (0:1), counters_sample (0:2), their
 * expanded forms (0:3, 0:4) and the dropped packet notification (0:5, sFlow.org drop structures, 2020).
 * Records inside a sample are walked by their own length: an unknown or malformed record is skipped (and
 * counted) and the next one is still decoded.
 */
import { asDecodeError, DecodeError, type DecodeErrorContext } from '../../core/errors.js';
import type { ByteReader } from '../../wire/reader.js';
import type { DomainStats } from '../types.js';
import { parseCounterRecord } from './counter-records.js';
import { FLOW_RECORD_PARSERS } from './flow-records.js';
import type {
  SflowCounterRecord,
  SflowCounterSample,
  SflowDatagramHeader,
  SflowDropSample,
  SflowFlowRecord,
  SflowFlowSample,
  SflowInterface,
  SflowSample,
} from './types.js';

/** Where a sample reports what went wrong: errors with context, unsupported structures as a count. */
export interface SampleSink {
  errors: DecodeError[];
  ctx: DecodeErrorContext;
  stats: DomainStats;
}

function unsupported(sink: SampleSink): void {
  sink.stats.errors.unsupported = (sink.stats.errors.unsupported ?? 0) + 1;
}

/**
 * Record an error with the datagram context and an offset from the datagram start (the reader's own
 * offset is relative to its sub-range). The error object is completed in place, not re-created: building
 * an Error captures a stack trace, which dominates the cost of a malformed datagram.
 */
export function fail(sink: SampleSink, err: unknown, offset: number, extra: DecodeErrorContext): void {
  const e = asDecodeError(err);
  Object.assign(e.context, sink.ctx, extra);
  e.context.offset = offset;
  sink.errors.push(e);
}

/** Compact interface word: format in the top 2 bits, value in the low 30 (spec "interface"). */
function compactInterface(v: number): SflowInterface {
  return { format: v >>> 30, value: v & 0x3fffffff };
}

/**
 * Walk `flow_record`s or `counter_record`s: data_format (enterprise << 12 | format), length, body. The
 * count is only trusted as far as the bytes go; a count beyond them is reported as 'bad_count'.
 */
function walkRecords(
  r: ByteReader,
  sink: SampleSink,
  each: (rr: ByteReader, enterprise: number, format: number) => void,
): void {
  const countAt = r.pos;
  const n = r.u32();
  let i = 0;
  for (; i < n && r.remaining >= 8; i++) {
    const at = r.pos;
    const dataFormat = r.u32();
    const length = r.u32();
    const enterprise = dataFormat >>> 12;
    const format = dataFormat & 0xfff;
    // A record longer than its sample: reported, and decoded from what is there if that is enough.
    const cut = length > r.remaining;
    if (cut) {
      fail(sink, new DecodeError('truncated', `record of ${length} bytes, ${r.remaining} left`), at, {
        recordFormat: format,
        enterprise,
      });
    }
    const rr = r.sub(cut ? r.remaining : length);
    try {
      each(rr, enterprise, format);
    } catch (err) {
      if (!cut) fail(sink, err, rr.pos, { recordFormat: format, enterprise, recordOffset: at });
    }
    if (cut) return; // one error for the cut, not one more per missing record
  }
  if (i < n) {
    fail(sink, new DecodeError('bad_count', `sample says ${n} records, ${i} present`), countAt, { count: n });
  }
}

function flowRecords(r: ByteReader, sink: SampleSink): SflowFlowRecord[] {
  const records: SflowFlowRecord[] = [];
  walkRecords(r, sink, (rr, enterprise, format) => {
    const parse = enterprise === 0 ? FLOW_RECORD_PARSERS.get(format) : undefined;
    if (parse) records.push(parse(rr));
    else {
      unsupported(sink);
      records.push({ kind: 'unknown', enterprise, format, data: rr.bytes(rr.remaining) });
    }
  });
  return records;
}

function counterRecords(r: ByteReader, sink: SampleSink): SflowCounterRecord[] {
  const records: SflowCounterRecord[] = [];
  walkRecords(r, sink, (rr, enterprise, format) => {
    const rec = parseCounterRecord(rr, enterprise, format);
    if (rec) records.push(rec);
    else {
      unsupported(sink);
      records.push({ enterprise, format, name: null, values: {}, data: rr.bytes(rr.remaining) });
    }
  });
  return records;
}

function parseFlowSample(
  r: ByteReader,
  dg: SflowDatagramHeader,
  expanded: boolean,
  sink: SampleSink,
): SflowFlowSample {
  const sequence = r.u32();
  let sourceIdType: number;
  let sourceIdIndex: number;
  if (expanded) {
    sourceIdType = r.u32();
    sourceIdIndex = r.u32();
  } else {
    const src = r.u32(); // type in the top 8 bits, index in the low 24
    sourceIdType = src >>> 24;
    sourceIdIndex = src & 0xffffff;
  }
  const samplingRate = r.u32();
  const samplePool = r.u32();
  const drops = r.u32();
  let input: SflowInterface;
  let output: SflowInterface;
  if (expanded) {
    input = { format: r.u32(), value: r.u32() };
    output = { format: r.u32(), value: r.u32() };
  } else {
    input = compactInterface(r.u32());
    output = compactInterface(r.u32());
  }
  const records = flowRecords(r, sink);
  return {
    kind: 'flow',
    datagram: dg,
    sequence,
    sourceIdType,
    sourceIdIndex,
    expanded,
    samplingRate,
    samplePool,
    drops,
    input,
    output,
    records,
  };
}

function parseCounterSample(
  r: ByteReader,
  dg: SflowDatagramHeader,
  expanded: boolean,
  sink: SampleSink,
): SflowCounterSample {
  const sequence = r.u32();
  let sourceIdType: number;
  let sourceIdIndex: number;
  if (expanded) {
    sourceIdType = r.u32();
    sourceIdIndex = r.u32();
  } else {
    const src = r.u32();
    sourceIdType = src >>> 24;
    sourceIdIndex = src & 0xffffff;
  }
  const records = counterRecords(r, sink);
  return { kind: 'counters', datagram: dg, sequence, sourceIdType, sourceIdIndex, expanded, records };
}

/** discarded_packet: sequence, expanded source id, drops, inputif, outputif, reason, flow records. */
function parseDropSample(r: ByteReader, dg: SflowDatagramHeader, sink: SampleSink): SflowDropSample {
  const sequence = r.u32();
  const sourceIdType = r.u32();
  const sourceIdIndex = r.u32();
  const drops = r.u32();
  const input = r.u32();
  const output = r.u32();
  const reason = r.u32();
  const records = flowRecords(r, sink);
  return {
    kind: 'drop',
    datagram: dg,
    sequence,
    sourceIdType,
    sourceIdIndex,
    expanded: true,
    drops,
    input,
    output,
    reason,
    records,
  };
}

/** One sample body; null for a sample type we do not decode (the caller counts it). */
export function parseSample(
  r: ByteReader,
  enterprise: number,
  format: number,
  dg: SflowDatagramHeader,
  sink: SampleSink,
): SflowSample | null {
  if (enterprise !== 0) return null;
  switch (format) {
    case 1:
      return parseFlowSample(r, dg, false, sink);
    case 2:
      return parseCounterSample(r, dg, false, sink);
    case 3:
      return parseFlowSample(r, dg, true, sink);
    case 4:
      return parseCounterSample(r, dg, true, sink);
    case 5:
      return parseDropSample(r, dg, sink);
    default:
      return null;
  }
}
