import type { FlowRecord, SamplingSource } from '../core/record.js';
import type { V5Record } from '../decode/netflow5/index.js';
import type { Datagram } from '../decode/types.js';
import type { NormalizeOptions } from './options.js';

/**
 * A v5 record as a canonical FlowRecord.
 *
 * Times: First/Last are sysUptime milliseconds; the header gives sysUptime and wall clock (unix_secs,
 * unix_nsecs) at export, so a switched time is export wall clock minus (sysUptime - First). The difference
 * is taken as a signed 32-bit value so a flow that started before a sysUptime wrap (49.7 days) stays right.
 *
 * Sampling (SamplingSource precedence): config_override > the header's interval (v5_header) >
 * config_default > none.
 */
export function normalizeV5(rec: V5Record, dg: Datagram, opts: NormalizeOptions = {}): FlowRecord {
  const h = rec.header;
  const exportMs = h.unixSecs * 1000 + h.unixNsecs / 1e6;
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
  return {
    received_at: dg.receivedAt,
    flow_start: exportMs - ((h.sysUptime - rec.first) | 0),
    flow_end: exportMs - ((h.sysUptime - rec.last) | 0),
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
    },
  };
}
