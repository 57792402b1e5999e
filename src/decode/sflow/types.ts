/**
 * sFlow v5 structures as decoded (sFlow.org "sFlow Version 5", July 2004, and the extension documents:
 * tunnel structures, dropped packet notifications). Field names follow the spec's XDR names in camelCase.
 */
import type { Counter } from '../../core/record.js';
import type { ParsedHeader } from '../../wire/packet.js';

export type { ParsedHeader } from '../../wire/packet.js';

/** The datagram header every sample carries a reference to (spec section "sFlow Datagram"). */
export interface SflowDatagramHeader {
  /** Agent address (the device), IPv4 dotted or IPv6 RFC 5952. */
  agent: string;
  /** 1 IPv4, 2 IPv6. */
  agentType: number;
  subAgentId: number;
  /** Datagram sequence number (per sub-agent). */
  sequence: number;
  /** Agent uptime in milliseconds. */
  uptime: number;
  sampleCount: number;
}

/**
 * An interface of a flow sample. Compact samples pack format in the top 2 bits of a 32-bit word; expanded
 * samples send format and value as two words (spec "flow_sample" / "flow_sample_expanded", interface):
 * format 0 = ifIndex (0x3FFFFFFF = internal/local), 1 = packet discarded (value = reason code),
 * 2 = multiple output interfaces (value = count, 0 = unknown).
 */
export interface SflowInterface {
  format: number;
  value: number;
}

export const SFLOW_IF_LOCAL = 0x3fffffff;

export interface SampledHeaderRecord {
  kind: 'sampled_header';
  /** header_protocol: 1 Ethernet, 11 IPv4, 12 IPv6, ... */
  headerProtocol: number;
  frameLength: number;
  stripped: number;
  /** The sampled header bytes (a view into the datagram, not a copy). */
  header: Uint8Array;
  /** L2..L4 parse, null when the header protocol is one we do not parse. */
  parsed: ParsedHeader | null;
}

export interface SampledEthernetRecord {
  kind: 'sampled_ethernet';
  length: number;
  srcMac: string;
  dstMac: string;
  etherType: number;
}

/** sampled_ipv4 (format 3) and the IPv4 tunnel records (1023 egress, 1024 ingress) share the structure. */
export interface SampledIpRecord {
  kind:
    | 'sampled_ipv4'
    | 'sampled_ipv6'
    | 'tunnel_ipv4_egress'
    | 'tunnel_ipv4_ingress'
    | 'tunnel_ipv6_egress'
    | 'tunnel_ipv6_ingress';
  length: number;
  protocol: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  /** IPv4 ToS / IPv6 priority. */
  tos: number;
}

export interface ExtendedSwitchRecord {
  kind: 'extended_switch';
  srcVlan: number;
  srcPriority: number;
  dstVlan: number;
  dstPriority: number;
}

export interface ExtendedRouterRecord {
  kind: 'extended_router';
  nextHop: string | null;
  srcMask: number;
  dstMask: number;
}

export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE (RFC 4271 section 4.3). */
  type: number;
  asns: number[];
}

export interface ExtendedGatewayRecord {
  kind: 'extended_gateway';
  nextHop: string | null;
  as: number;
  srcAs: number;
  srcPeerAs: number;
  asPath: AsPathSegment[];
  communities: number[];
  localPref: number;
}

export interface ExtendedUserRecord {
  kind: 'extended_user';
  srcCharset: number;
  srcUser: string;
  dstCharset: number;
  dstUser: string;
}

export interface ExtendedUrlRecord {
  kind: 'extended_url';
  /** 1 source address is the server, 2 destination address is the server. */
  direction: number;
  url: string;
  host: string;
}

export interface ExtendedMplsRecord {
  kind: 'extended_mpls';
  nextHop: string | null;
  inStack: number[];
  outStack: number[];
}

export interface ExtendedNatRecord {
  kind: 'extended_nat';
  srcAddress: string | null;
  dstAddress: string | null;
}

/** Records of one or two scalar values or strings (MPLS tunnel/VC/FTN/FEC, VLAN tunnel, VNI, drops, ...). */
export interface ExtendedValuesRecord {
  kind: 'values';
  /** The extended_fields name of the record (e.g. "extended_mpls_tunnel", "egress_queue"). */
  name: string;
  values: Record<string, number | string | number[]>;
}

export interface UnknownRecord {
  kind: 'unknown';
  enterprise: number;
  format: number;
  data: Uint8Array;
}

export type SflowFlowRecord =
  | SampledHeaderRecord
  | SampledEthernetRecord
  | SampledIpRecord
  | ExtendedSwitchRecord
  | ExtendedRouterRecord
  | ExtendedGatewayRecord
  | ExtendedUserRecord
  | ExtendedUrlRecord
  | ExtendedMplsRecord
  | ExtendedNatRecord
  | ExtendedValuesRecord
  | UnknownRecord;

export interface SflowCounterRecord {
  enterprise: number;
  format: number;
  /** Readable name ("generic_interface", "ethernet", "vlan", "processor", "lag", ...); null = unknown. */
  name: string | null;
  values: Record<string, Counter | string>;
  /** Raw body of an unknown counter record. */
  data?: Uint8Array;
}

interface SampleBase {
  datagram: SflowDatagramHeader;
  /** Sample sequence number (per data source). */
  sequence: number;
  /** Data source: 0 ifIndex, 1 smonVlanDataSource, 2 entPhysicalEntry. */
  sourceIdType: number;
  sourceIdIndex: number;
  /** Sample type 3 / 4 (expanded encoding). */
  expanded: boolean;
}

export interface SflowFlowSample extends SampleBase {
  kind: 'flow';
  samplingRate: number;
  samplePool: number;
  drops: number;
  input: SflowInterface;
  output: SflowInterface;
  records: SflowFlowRecord[];
}

export interface SflowCounterSample extends SampleBase {
  kind: 'counters';
  records: SflowCounterRecord[];
}

/** Dropped packet notification (sFlow.org "sFlow Dropped Packet Notification Structures", 2020). */
export interface SflowDropSample extends SampleBase {
  kind: 'drop';
  drops: number;
  input: number;
  output: number;
  reason: number;
  records: SflowFlowRecord[];
}

export type SflowSample = SflowFlowSample | SflowCounterSample | SflowDropSample;
