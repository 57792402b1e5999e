import { type ExtendedFields, emptyRecord, type FlowRecord, type SamplingSource } from '../core/record.js';
import type {
  ExtendedGatewayRecord,
  ParsedHeader,
  SflowCounterSample,
  SflowDropSample,
  SflowFlowRecord,
  SflowFlowSample,
  SflowInterface,
  SflowSample,
} from '../decode/sflow/index.js';
import type { Datagram } from '../decode/types.js';
import type { NormalizeOptions } from './options.js';

/**
 * sFlow v5 samples as canonical FlowRecords (DESIGN.md "Decoding rules"; flow-table.md section 2.3, sFlow
 * extended_fields structure).
 *
 * - One flow sample = one record describing ONE sampled packet: packets_total 1, bytes_total the frame
 *   length (raw header record; else the IPv4/IPv6 data record's length), unscaled (the raw tier never
 *   scales), sampling_rate from the sample (sampling_source 'sflow').
 * - Times: sFlow has no flow times; flow_start = flow_end = received_at.
 * - exporter_ip is the agent address from the sFlow header (the device), not the UDP source; the UDP
 *   source is kept as extended_fields.udp_source_ip when it differs. exporter_id = sub-agent id.
 * - Counter samples become record_type 'sflow_counters', drop notifications 'sflow_drop'.
 */
export function normalizeSflowSample(sample: SflowSample, dg: Datagram, opts: NormalizeOptions): FlowRecord {
  if (sample.kind === 'flow') return normalizeFlow(sample, dg, opts);
  if (sample.kind === 'counters') return normalizeCounters(sample, dg);
  return normalizeDrop(sample, dg);
}

function baseRecord(sample: SflowSample, dg: Datagram, ext: ExtendedFields): FlowRecord {
  const h = sample.datagram;
  if (dg.exporter !== h.agent) ext.udp_source_ip = dg.exporter;
  ext.datagram_sequence = h.sequence;
  ext.agent_uptime_ms = h.uptime;
  ext.sample_sequence = sample.sequence;
  ext.source_id_type = sample.sourceIdType;
  ext.source_id_index = sample.sourceIdIndex;
  // sFlow samples take the receive time (DESIGN.md); assigning keeps emptyRecord's property order (one shape).
  const r = emptyRecord('sflow_v5', h.agent, dg.receivedAt);
  r.exporter_id = h.subAgentId;
  r.extended_fields = ext;
  return r;
}

/** Canonical interface only for format 0 (an ifIndex) that is not the internal/local value 0x3FFFFFFF. */
function canonicalInterface(i: SflowInterface): number | null {
  return i.format === 0 && i.value !== 0x3fffffff ? i.value : null;
}

function interfaceFields(ext: ExtendedFields, side: 'input' | 'output', i: SflowInterface): void {
  ext[`${side}_format`] = i.format;
  if (i.format === 0 && i.value === 0x3fffffff) ext[`${side}_local`] = true;
  else if (i.format === 1) ext[side === 'output' ? 'discard_reason' : 'input_discard_reason'] = i.value;
  else if (i.format === 2)
    ext[`${side}_interface_count`] = i.value; // 0 = unknown number of interfaces
  else if (i.format !== 0) ext[`${side}_value`] = i.value;
}

function normalizeFlow(s: SflowFlowSample, dg: Datagram, opts: NormalizeOptions): FlowRecord {
  const ext: ExtendedFields = { sampling_source: 'sflow', sample_pool: s.samplePool, drops: s.drops };
  const rec = baseRecord(s, dg, ext);
  // SamplingSource precedence (core/record.ts): config_override > sflow > config_default > none.
  let rate = 1;
  let source: SamplingSource = 'none';
  const override = opts.samplingOverride?.[s.datagram.agent] ?? opts.samplingOverride?.[dg.exporter];
  if (override !== undefined) {
    rate = override;
    source = 'config_override';
  } else if (s.samplingRate > 0) {
    rate = s.samplingRate;
    source = 'sflow';
  } else if (opts.samplingDefault !== undefined) {
    rate = opts.samplingDefault;
    source = 'config_default';
  }
  rec.sampling_rate = rate;
  ext.sampling_source = source;
  if (s.expanded) ext.expanded = true;
  interfaceFields(ext, 'input', s.input);
  interfaceFields(ext, 'output', s.output);
  rec.input_interface = canonicalInterface(s.input);
  rec.output_interface = canonicalInterface(s.output);
  rec.packets_total = 1;
  applyFlowRecords(rec, ext, s.records);
  return rec;
}

function normalizeDrop(s: SflowDropSample, dg: Datagram): FlowRecord {
  const ext: ExtendedFields = { sampling_source: 'none', drops: s.drops, drop_reason: s.reason };
  const name = DROP_REASONS[s.reason];
  if (name) ext.drop_reason_name = name;
  const rec = baseRecord(s, dg, ext);
  rec.record_type = 'sflow_drop';
  // Drop notifications carry plain ifIndex values, 0 = unknown (drop structures, "discarded_packet").
  rec.input_interface = s.input;
  rec.output_interface = s.output;
  rec.packets_total = 1;
  applyFlowRecords(rec, ext, s.records);
  return rec;
}

function normalizeCounters(s: SflowCounterSample, dg: Datagram): FlowRecord {
  const counters: Record<string, unknown> = {};
  const unknown: unknown[] = [];
  for (const c of s.records) {
    if (c.name === null) unknown.push({ enterprise: c.enterprise, format: c.format, data: c.data });
    else if (counters[c.name] === undefined) counters[c.name] = c.values;
    else counters[`${c.name}_${c.format}_${Object.keys(counters).length}`] = c.values;
  }
  const ext: ExtendedFields = { sampling_source: 'none', counters };
  if (unknown.length) ext.unknown_records = unknown;
  const rec = baseRecord(s, dg, ext);
  rec.record_type = 'sflow_counters';
  // The data source of an ifIndex-typed counter sample is that interface.
  if (s.sourceIdType === 0) rec.input_interface = s.sourceIdIndex;
  return rec;
}

/**
 * Flow records onto the canonical columns. The sampled header is the primary source of addresses / ports;
 * the sampled_ipv4/ipv6 records fill what the header did not give (agents that send only those).
 */
function applyFlowRecords(rec: FlowRecord, ext: ExtendedFields, records: SflowFlowRecord[]): void {
  let headerVlan: number | null = null;
  let gateway: ExtendedGatewayRecord | null = null;
  for (const r of records) {
    switch (r.kind) {
      case 'sampled_header':
        ext.header_protocol = r.headerProtocol;
        ext.frame_length = r.frameLength;
        ext.stripped = r.stripped;
        ext.header_length = r.header.length;
        rec.bytes_total = r.frameLength;
        if (r.parsed) headerVlan = applyParsedHeader(rec, ext, r.parsed);
        else ext.sampled_header = r.header; // a protocol we do not parse: keep the bytes (hex in JSON)
        break;
      case 'sampled_ethernet':
        ext.src_mac ??= r.srcMac;
        ext.dst_mac ??= r.dstMac;
        ext.ether_type ??= r.etherType;
        ext.ethernet_length = r.length;
        if (rec.bytes_total === 0) rec.bytes_total = r.length;
        break;
      case 'sampled_ipv4':
      case 'sampled_ipv6':
        if (rec.src_ip === null) {
          rec.src_ip = r.srcIp;
          rec.dst_ip = r.dstIp;
          rec.ip_protocol = r.protocol;
          rec.src_port = r.srcPort;
          rec.dst_port = r.dstPort;
          rec.tcp_flags = r.tcpFlags;
          rec.tos = r.tos;
        }
        ext.ip_length = r.length;
        if (ext.frame_length === undefined) rec.bytes_total = r.length;
        break;
      case 'tunnel_ipv4_egress':
      case 'tunnel_ipv4_ingress':
      case 'tunnel_ipv6_egress':
      case 'tunnel_ipv6_ingress': {
        const { kind, ...rest } = r;
        ext[kind] = rest;
        break;
      }
      case 'extended_switch':
        rec.src_vlan = r.srcVlan;
        rec.dst_vlan = r.dstVlan;
        ext.extended_switch = {
          src_vlan: r.srcVlan,
          src_priority: r.srcPriority,
          dst_vlan: r.dstVlan,
          dst_priority: r.dstPriority,
        };
        break;
      case 'extended_router':
        rec.next_hop = r.nextHop;
        ext.extended_router = { next_hop: r.nextHop, src_mask: r.srcMask, dst_mask: r.dstMask };
        break;
      case 'extended_gateway':
        gateway = r;
        break;
      case 'extended_user':
        ext.extended_user = {
          src_charset: r.srcCharset,
          src_user: r.srcUser,
          dst_charset: r.dstCharset,
          dst_user: r.dstUser,
        };
        break;
      case 'extended_url':
        ext.extended_url = { direction: r.direction, url: r.url, host: r.host };
        break;
      case 'extended_mpls':
        ext.extended_mpls = { next_hop: r.nextHop, in_labels: r.inStack, out_labels: r.outStack };
        break;
      case 'extended_nat':
        ext.nat_src_ip = r.srcAddress;
        ext.nat_dst_ip = r.dstAddress;
        break;
      case 'values':
        ext[r.name] = r.values;
        break;
      case 'unknown': {
        if (ext.unknown_records === undefined) ext.unknown_records = [];
        (ext.unknown_records as unknown[]).push({ enterprise: r.enterprise, format: r.format, data: r.data });
        break;
      }
    }
  }
  if (rec.src_vlan === null && headerVlan !== null) rec.src_vlan = headerVlan;
  if (gateway) applyGateway(rec, ext, gateway);
}

/** Returns the outermost VLAN id of the sampled frame (fallback for src_vlan). */
function applyParsedHeader(rec: FlowRecord, ext: ExtendedFields, p: ParsedHeader): number | null {
  if (p.srcMac !== null) {
    ext.src_mac = p.srcMac;
    ext.dst_mac = p.dstMac;
  }
  if (p.etherType !== null) ext.ether_type = p.etherType;
  if (p.vlanIds !== null) {
    ext.vlan_ids = p.vlanIds;
    ext.vlan_priority = p.vlanPriority;
  }
  if (p.mplsLabels !== null) ext.mpls_labels = p.mplsLabels;
  if (p.ipVersion !== null) {
    rec.src_ip = p.srcIp;
    rec.dst_ip = p.dstIp;
    rec.ip_protocol = p.ipProtocol;
    rec.tos = p.tos;
    rec.src_port = p.srcPort;
    rec.dst_port = p.dstPort;
    rec.tcp_flags = p.tcpFlags;
    ext.ip_version = p.ipVersion;
    ext.ttl = p.ttl;
    ext.ip_length = p.ipLength;
    if (p.flowLabel !== null) ext.flow_label = p.flowLabel;
    if (p.fragmentOffset || p.moreFragments) {
      ext.fragment_offset = p.fragmentOffset;
      ext.more_fragments = p.moreFragments;
    }
    if (p.ipv6ExtHeaders !== null) ext.ipv6_extension_headers = p.ipv6ExtHeaders;
    if (p.icmpType !== null) {
      ext.icmp_type = p.icmpType;
      ext.icmp_code = p.icmpCode;
    }
  }
  if (p.truncated) ext.header_truncated = true;
  return p.vlanIds === null ? null : p.vlanIds[0];
}

/**
 * Extended gateway (spec format 1003). src_as is the source AS; dst_as is the last AS of the destination
 * path (the origin of the route); an empty path means the destination is in the router's own AS.
 */
function applyGateway(rec: FlowRecord, ext: ExtendedFields, g: ExtendedGatewayRecord): void {
  const asPath: number[] = [];
  let hasSet = false;
  for (const seg of g.asPath) {
    if (seg.type === 1) hasSet = true;
    for (const a of seg.asns) asPath.push(a);
  }
  rec.src_as = g.srcAs;
  rec.dst_as = asPath.length ? asPath[asPath.length - 1] : g.as;
  const out: Record<string, unknown> = {
    next_hop: g.nextHop,
    as: g.as,
    src_as: g.srcAs,
    src_peer_as: g.srcPeerAs,
    as_path: asPath,
    // RFC 1997 notation: high 16 bits ":" low 16 bits.
    communities: g.communities.map((c) => `${c >>> 16}:${c & 0xffff}`),
    local_pref: g.localPref,
  };
  // Segment structure matters only when it is not one plain AS_SEQUENCE.
  if (hasSet || g.asPath.length > 1)
    out.as_path_segments = g.asPath.map((seg) => ({ type: seg.type, asns: seg.asns }));
  ext.extended_gateway = out;
}

/** drop_reason names of the sFlow drop notification structures (2020), for the codes we are sure of. */
const DROP_REASONS: Record<number, string> = {
  0: 'net_unreachable',
  1: 'host_unreachable',
  2: 'protocol_unreachable',
  3: 'port_unreachable',
  4: 'frag_needed',
  5: 'src_route_failed',
  6: 'dst_net_unknown',
  7: 'dst_host_unknown',
  8: 'src_host_isolated',
  9: 'dst_net_prohibited',
  10: 'dst_host_prohibited',
  11: 'dst_net_tos_unreachable',
  12: 'dst_host_tos_unreachable',
  13: 'comm_admin_prohibited',
  14: 'host_precedence_violation',
  15: 'precedence_cutoff',
  256: 'unknown',
  257: 'ttl_exceeded',
  258: 'acl',
  259: 'no_buffer_space',
  260: 'red',
  261: 'traffic_shaping',
  262: 'pkt_too_big',
};
