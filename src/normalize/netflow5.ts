import type { FlowRecord, SamplingSource } from '../core/record.js';
import type { V5Record } from '../decode/netflow5/index.js';
import type { Datagram } from '../decode/types.js';
import type { NormalizeOptions } from './options.js';
import { clampToExport, type Span } from './time-rule.js';

/**
 * A v5 record as a canonical FlowRecord.
 *
 * Times: First/Last are sysUptime milliseconds; the header gives sysUptime and wall clock (unix_secs,
 * unix_nsecs) at export, so a switched time is export wall clock minus (sysUptime - First), see ago().
 * extended_fields.time_source is 'sysuptime', or 'future_clamped' when the flow still ends more than
 * EXPORT_SKEW_MS after the export (time-rule.ts): then the times are pulled back to the export time and the
 * computed ones kept as flow_start_reported / flow_end_reported.
 *
 * Sampling (SamplingSource precedence): config_override > the header's interval (v5_header) >
 * config_default > none.
 */
export function normalizeV5(rec: V5Record, dg: Datagram, opts: NormalizeOptions = {}): FlowRecord {
  const h = rec.header;
  // Whole milliseconds: the canonical record (and both stores) keep times at ms precision.
  const exportMs = h.unixSecs * 1000 + Math.floor(h.unixNsecs / 1e6);
  let rate = 1;
  let source: SamplingSource = 'none';
  const override = opts.samplingOverride?.[dg.exporter];
  if (override !== undefined) {
    rate = override;
    source = 'config_override';
  } else if (h.samplingInterval > 0) {
    rate = h.samplingInterval;
    source = 'v5_header';
  } else if (opts.samplingDefault !== undefined) {
    rate = opts.samplingDefault;
    source = 'config_default';
  }
  const start = exportMs - ago(h.sysUptime, rec.first);
  const end = exportMs - ago(h.sysUptime, rec.last);
  span.start = start;
  span.end = end;
  const clamped = clampToExport(span, exportMs);
  const r: FlowRecord = {
    received_at: dg.receivedAt,
    flow_start: span.start,
    flow_end: span.end,
    exporter_ip: dg.exporter,
    exporter_id: h.engineId,
    protocol_type: 'netflow_v5',
    src_ip: rec.srcAddr,
    dst_ip: rec.dstAddr,
    src_port: rec.srcPort,
    dst_port: rec.dstPort,
    ip_protocol: rec.protocol,
    bytes_total: rec.octets,
    packets_total: rec.packets,
    tcp_flags: rec.tcpFlags,
    input_interface: rec.input,
    output_interface: rec.output,
    src_as: rec.srcAs,
    dst_as: rec.dstAs,
    next_hop: rec.nextHop,
    src_vlan: null,
    dst_vlan: null,
    tos: rec.tos,
    direction: null,
    sampling_rate: rate,
    extended_fields: {
      sampling_source: source,
      engine_type: h.engineType,
      engine_id: h.engineId,
      sampling_mode: h.samplingMode,
      src_mask: rec.srcMask,
      dst_mask: rec.dstMask,
      time_source: clamped ? 'future_clamped' : 'sysuptime',
    },
  };
  if (clamped) {
    r.extended_fields.flow_start_reported = start;
    r.extended_fields.flow_end_reported = end;
  }
  return r;
}

/** Scratch for clampToExport, read back immediately (no allocation per record). */
const span: Span = { start: 0, end: 0 };

const WRAP = 2 ** 32;
/**
 * How far ahead of the header's sysUptime a switched time may be before it is read as a wrap instead.
 * Beyond EXPORT_SKEW_MS ahead the time-rule clamp applies; the hour between is still not read as a wrap
 * (a flow 49.6 days old is less likely than an exporter fault, which the clamp makes visible).
 */
const AHEAD_TOLERANCE_MS = 3_600_000;

/**
 * Milliseconds between a switched time and export, modulo 2^32: a flow that started before sysUptime wrapped
 * (49.7 days), or before boot (First = 0xffffffff at uptime 3381, logstash netflow5.pcap), is in the past,
 * and a long uptime with a small First (32 days, logstash netflow5_invalid02) is not a negative age. Only a
 * switched time slightly ahead of sysUptime (exporters that stamp the header first) counts as ahead.
 */
function ago(sysUptime: number, switched: number): number {
  const d = (sysUptime - switched + WRAP) % WRAP;
  return d > WRAP - AHEAD_TOLERANCE_MS ? d - WRAP : d;
}
