import { DecodeError } from '../core/errors.js';
import type { FlowRecord, ProtocolType } from '../core/record.js';
import {
  DecodeSession,
  type SessionOutput,
  type SessionSnapshot,
  type StreamConn,
} from '../decode/session.js';
import type { Datagram, DomainStats } from '../decode/types.js';
import { type ExporterHealth, HealthTracker } from './health.js';
import { normalizeV5 } from './netflow5.js';
import type { NormalizeOptions } from './options.js';
import { normalizeSflowSample } from './sflow.js';
import { normalizeTemplateRecord } from './template.js';

export interface FlowDecoderOptions extends NormalizeOptions {
  /** Also emit sFlow counter samples and options data records (marked with record_type). */
  includeAll?: boolean;
}

export type DecoderSnapshot = SessionSnapshot;

/** A payload as wire/pcap.ts readCapture finds it in a capture (the fields decoding needs). */
export interface CapturedInput {
  transport: 'udp' | 'tcp';
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  payload: Uint8Array;
  /** Epoch ms, fractional part kept. */
  timestamp: number;
  /** TCP: this direction of the connection ended. */
  closed?: boolean;
}

export interface FlowDecodeResult {
  protocol: ProtocolType | null;
  records: FlowRecord[];
  errors: DecodeError[];
}

/**
 * Bytes in, canonical FlowRecords out: one decode session (per-exporter template and sampling state) plus
 * the per-protocol normalizers. This is what the CLI, the import command and the collector's workers use.
 * Without includeAll only flow records come out; counter samples and options data still update state.
 */
export class FlowDecoder {
  private readonly session = new DecodeSession();
  private readonly health = new HealthTracker();
  private readonly opts: FlowDecoderOptions;

  constructor(opts: FlowDecoderOptions = {}) {
    this.opts = opts;
  }

  decode(dg: Datagram): FlowDecodeResult {
    return this.normalize(this.session.decode(dg), dg);
  }

  decodeStream(conn: StreamConn, chunk: Uint8Array, receivedAt: number): FlowDecodeResult {
    const outs = this.session.decodeStream(conn, chunk, receivedAt);
    const dg: Datagram = {
      bytes: chunk,
      exporter: conn.exporter,
      exporterPort: conn.exporterPort,
      receivedAt,
    };
    if (outs.length === 1) return this.normalize(outs[0], dg);
    const result: FlowDecodeResult = { protocol: null, records: [], errors: [] };
    for (const out of outs) {
      const r = this.normalize(out, dg);
      result.protocol ??= r.protocol;
      for (const rec of r.records) result.records.push(rec);
      for (const e of r.errors) result.errors.push(e);
    }
    return result;
  }

  closeStream(id: string): void {
    this.session.closeStream(id);
  }

  /**
   * One payload read from a capture: a UDP datagram, or the in-order bytes of a TCP connection (its stream
   * named by `scope`, e.g. the file, and the endpoints, and closed at FIN/RST).
   */
  decodeCaptured(p: CapturedInput, scope: string): FlowDecodeResult {
    if (p.transport === 'udp')
      return this.decode({
        bytes: p.payload,
        exporter: p.src,
        exporterPort: p.srcPort,
        receivedAt: Math.floor(p.timestamp), // records keep whole milliseconds
      });
    const id = `${scope}|${p.src}:${p.srcPort}>${p.dst}:${p.dstPort}`;
    const r = this.decodeStream({ id, exporter: p.src, exporterPort: p.srcPort }, p.payload, p.timestamp);
    if (p.closed) this.closeStream(id);
    return r;
  }

  stats(): DomainStats[] {
    return this.session.stats();
  }

  /** Per exporter and domain: rates, sequence loss, templates, sampling (normalize/health.ts). */
  exporterHealth(now = Date.now()): ExporterHealth[] {
    return this.health.report(this.session.stats(), this.session, now);
  }

  /** Health of flows whose (exporter, protocol, domain) has no stats here (see HealthTracker.unmatched). */
  unmatchedHealth(now = Date.now()): ExporterHealth[] {
    return this.health.unmatched(this.session.stats(), this.session, now);
  }

  pendingCount(): number {
    return this.session.pendingCount();
  }

  snapshot(): DecoderSnapshot {
    return this.session.snapshot();
  }

  /** `copy`: see DecodeSession.restore. */
  restore(s: DecoderSnapshot, copy = false): void {
    this.session.restore(s, copy);
  }

  private normalize(out: SessionOutput, dg: Datagram): FlowDecodeResult {
    const records: FlowRecord[] = [];
    switch (out.protocol) {
      case 'netflow_v5':
        for (const r of out.records) records.push(normalizeV5(r, dg, this.opts));
        break;
      case 'netflow_v9':
      case 'ipfix':
        for (const r of out.records) {
          // Options data has already updated the sampling/state tables while decoding.
          if (r.kind === 'options' && !this.opts.includeAll) continue;
          records.push(normalizeTemplateRecord(r, dg, this.opts));
        }
        break;
      case 'sflow_v5':
        for (const r of out.records) {
          // Counter samples and drop notifications are not flows: only on request.
          if (r.kind !== 'flow' && !this.opts.includeAll) continue;
          records.push(normalizeSflowSample(r, dg, this.opts));
        }
        break;
      case null:
        break;
    }
    this.health.observe(records, dg.receivedAt);
    return { protocol: out.protocol, records, errors: saneTimes(records, out.errors, dg) };
  }
}

/** Date's range (ECMA-262 section 21.4.1.1): beyond it a time cannot even be printed. */
const MAX_TIME_MS = 8.64e15;

/**
 * Last line of defence: a garbage template (or a mutated one) can produce a flow time that is NaN or out
 * of Date's range; such a record would break every consumer (JSON, storage). Its times fall back to the
 * receive time and the datagram gets a 'bad_value' error, so the problem is counted, not hidden.
 */
function saneTimes(records: FlowRecord[], errors: DecodeError[], dg: Datagram): DecodeError[] {
  let bad = 0;
  for (const r of records) {
    if (!(Math.abs(r.flow_start) <= MAX_TIME_MS) || !(Math.abs(r.flow_end) <= MAX_TIME_MS)) {
      r.flow_start = dg.receivedAt;
      r.flow_end = dg.receivedAt;
      bad++;
    }
  }
  if (bad === 0) return errors;
  const e = new DecodeError(
    'bad_value',
    `${bad} record(s) with a flow time out of range; receive time used`,
    {
      exporter: dg.exporter,
    },
  );
  return [...errors, e];
}
