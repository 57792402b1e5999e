/**
 * sFlow v5 flow records (enterprise 0), one parser per format, dispatched by a table. Sources:
 * sFlow v5 spec section "Flow Data" (formats 1-4, 1001-1012), "sFlow Tunnel Structures" (1023-1030),
 * "sFlow Dropped Packet Notification Structures" (1036-1038). Each parser reads from a sub-reader bounded
 * by the record's own length, so a bad record cannot read into the next one.
 */
import { ipv4ToString, ipv6ToString } from '../../core/ip.js';
import { type ParsedHeader, parsePacketHeader } from '../../wire/packet.js';
import type { ByteReader } from '../../wire/reader.js';
import type {
  AsPathSegment,
  ExtendedGatewayRecord,
  SampledHeaderRecord,
  SampledIpRecord,
  SflowFlowRecord,
} from './types.js';
import { readAddress, readCount, readMac, readOpaque, readString, readU32Array } from './xdr.js';

type FlowRecordParser = (r: ByteReader) => SflowFlowRecord;

/** header_protocol values we parse (spec "sampled_header"): 1 ETHERNET-ISO88023, 11 IPv4, 12 IPv6. */
function linkTypeOf(protocol: number): 'ethernet' | 'ipv4' | 'ipv6' | null {
  return protocol === 1 ? 'ethernet' : protocol === 11 ? 'ipv4' : protocol === 12 ? 'ipv6' : null;
}

/** Format 1: sampled_header. */
function parseSampledHeader(r: ByteReader): SampledHeaderRecord {
  const headerProtocol = r.u32();
  const frameLength = r.u32();
  const stripped = r.u32();
  const header = readOpaque(r);
  const link = linkTypeOf(headerProtocol);
  const parsed: ParsedHeader | null = link ? parsePacketHeader(header, link) : null;
  return { kind: 'sampled_header', headerProtocol, frameLength, stripped, header, parsed };
}

/** Format 2: sampled_ethernet (length, src_mac, dst_mac, type). */
function parseSampledEthernet(r: ByteReader): SflowFlowRecord {
  const length = r.u32();
  const srcMac = readMac(r);
  const dstMac = readMac(r);
  return { kind: 'sampled_ethernet', length, srcMac, dstMac, etherType: r.u32() };
}

/** sampled_ipv4 / sampled_ipv6 layout (formats 3, 4; tunnel formats 1023-1026 reuse them). */
function ipParser(kind: SampledIpRecord['kind'], v6: boolean): FlowRecordParser {
  const alen = v6 ? 16 : 4;
  return (r) => {
    const length = r.u32();
    const protocol = r.u32();
    r.need(2 * alen);
    const b = r.buf;
    const srcIp = v6 ? ipv6ToString(b, r.pos) : ipv4ToString(b, r.pos);
    const dstIp = v6 ? ipv6ToString(b, r.pos + alen) : ipv4ToString(b, r.pos + alen);
    r.pos += 2 * alen;
    const srcPort = r.u32();
    const dstPort = r.u32();
    const tcpFlags = r.u32();
    return { kind, length, protocol, srcIp, dstIp, srcPort, dstPort, tcpFlags, tos: r.u32() };
  };
}

/** Format 1001: extended_switch. */
function parseSwitch(r: ByteReader): SflowFlowRecord {
  const srcVlan = r.u32();
  const srcPriority = r.u32();
  const dstVlan = r.u32();
  return { kind: 'extended_switch', srcVlan, srcPriority, dstVlan, dstPriority: r.u32() };
}

/** Format 1002: extended_router. */
function parseRouter(r: ByteReader): SflowFlowRecord {
  const nextHop = readAddress(r);
  const srcMask = r.u32();
  return { kind: 'extended_router', nextHop, srcMask, dstMask: r.u32() };
}

/** Format 1003: extended_gateway (BGP): AS path segments (type + AS list), communities, local pref. */
function parseGateway(r: ByteReader): ExtendedGatewayRecord {
  const nextHop = readAddress(r);
  const as = r.u32();
  const srcAs = r.u32();
  const srcPeerAs = r.u32();
  const nSeg = readCount(r, 8);
  const asPath: AsPathSegment[] = new Array(nSeg);
  for (let i = 0; i < nSeg; i++) {
    const type = r.u32();
    asPath[i] = { type, asns: readU32Array(r) };
  }
  const communities = readU32Array(r);
  return { kind: 'extended_gateway', nextHop, as, srcAs, srcPeerAs, asPath, communities, localPref: r.u32() };
}

/** Format 1004: extended_user. */
function parseUser(r: ByteReader): SflowFlowRecord {
  const srcCharset = r.u32();
  const srcUser = readString(r);
  const dstCharset = r.u32();
  return { kind: 'extended_user', srcCharset, srcUser, dstCharset, dstUser: readString(r) };
}

/** Format 1005: extended_url. */
function parseUrl(r: ByteReader): SflowFlowRecord {
  const direction = r.u32();
  const url = readString(r);
  return { kind: 'extended_url', direction, url, host: readString(r) };
}

/** Format 1006: extended_mpls (next hop, in/out label stacks). */
function parseMpls(r: ByteReader): SflowFlowRecord {
  const nextHop = readAddress(r);
  const inStack = readU32Array(r);
  return { kind: 'extended_mpls', nextHop, inStack, outStack: readU32Array(r) };
}

/** Format 1007: extended_nat. */
function parseNat(r: ByteReader): SflowFlowRecord {
  const srcAddress = readAddress(r);
  return { kind: 'extended_nat', srcAddress, dstAddress: readAddress(r) };
}

type Field = [name: string, type: 'u32' | 'str' | 'u32[]'];

/** Records that are a short list of scalars/strings, described as data. */
function valuesParser(name: string, fields: Field[]): FlowRecordParser {
  return (r) => {
    const values: Record<string, number | string | number[]> = {};
    for (const [k, t] of fields)
      values[k] = t === 'u32' ? r.u32() : t === 'str' ? readString(r) : readU32Array(r);
    return { kind: 'values', name, values };
  };
}

export const FLOW_RECORD_PARSERS = new Map<number, FlowRecordParser>([
  [1, parseSampledHeader],
  [2, parseSampledEthernet],
  [3, ipParser('sampled_ipv4', false)],
  [4, ipParser('sampled_ipv6', true)],
  [1001, parseSwitch],
  [1002, parseRouter],
  [1003, parseGateway],
  [1004, parseUser],
  [1005, parseUrl],
  [1006, parseMpls],
  [1007, parseNat],
  [
    1008,
    valuesParser('extended_mpls_tunnel', [
      ['tunnel_lsp_name', 'str'],
      ['tunnel_id', 'u32'],
      ['tunnel_cos', 'u32'],
    ]),
  ],
  [
    1009,
    valuesParser('extended_mpls_vc', [
      ['vc_instance_name', 'str'],
      ['vll_vc_id', 'u32'],
      ['vc_label_cos', 'u32'],
    ]),
  ],
  [
    1010,
    valuesParser('extended_mpls_ftn', [
      ['mpls_ftn_descr', 'str'],
      ['mpls_ftn_mask', 'u32'],
    ]),
  ],
  [1011, valuesParser('extended_mpls_ldp_fec', [['mpls_fec_addr_prefix_length', 'u32']])],
  [1012, valuesParser('extended_vlan_tunnel', [['stack', 'u32[]']])],
  // sFlow Tunnel Structures (2012): the outer/inner headers of tunnelled traffic.
  [1023, ipParser('tunnel_ipv4_egress', false)],
  [1024, ipParser('tunnel_ipv4_ingress', false)],
  [1025, ipParser('tunnel_ipv6_egress', true)],
  [1026, ipParser('tunnel_ipv6_ingress', true)],
  [1027, valuesParser('extended_decapsulate_egress', [['inner_header_offset', 'u32']])],
  [1028, valuesParser('extended_decapsulate_ingress', [['inner_header_offset', 'u32']])],
  [1029, valuesParser('extended_vni_egress', [['vni', 'u32']])],
  [1030, valuesParser('extended_vni_ingress', [['vni', 'u32']])],
  // Dropped packet notification records (2020).
  [1036, valuesParser('egress_queue', [['queue', 'u32']])],
  [
    1037,
    valuesParser('extended_acl', [
      ['number', 'u32'],
      ['name', 'str'],
      ['direction', 'u32'],
    ]),
  ],
  [1038, valuesParser('extended_function', [['symbol', 'str']])],
]);
