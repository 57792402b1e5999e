import { ipv4ToString, ipv6ToString } from '../core/ip.js';

/**
 * L2..L4 parse of a (possibly truncated) packet header: the sampled header of an sFlow raw packet record
 * (sFlow v5 "sampled_header"), or a pcap frame. It never throws: whatever is present is returned and
 * `truncated` says that the bytes ended before the parse did (an sFlow agent copies only the first 128
 * bytes or so of each packet, so truncation is the normal case for long IPv6 chains, never an error).
 *
 * Hot path: direct indexed reads checked against the length, one result object of fixed shape, arrays
 * only when the packet has VLAN tags / MPLS labels / IPv6 extension headers.
 */
export interface ParsedHeader {
  /** The bytes ended before the parse reached the end of L4's fixed fields. */
  truncated: boolean;
  srcMac: string | null;
  dstMac: string | null;
  /** The EtherType after VLAN tags (MPLS when labels follow), or null without an Ethernet header. */
  etherType: number | null;
  /** 802.1Q / 802.1ad VLAN ids, outermost first (QinQ gives [service, customer]). */
  vlanIds: number[] | null;
  /** PCP of the outermost tag. */
  vlanPriority: number | null;
  /** MPLS label values (20 bits), top of stack first. */
  mplsLabels: number[] | null;
  ipVersion: 4 | 6 | null;
  srcIp: string | null;
  dstIp: string | null;
  /** The upper-layer protocol after all IPv6 extension headers (IPv4: the protocol field). */
  ipProtocol: number | null;
  /** IPv4 ToS byte / IPv6 traffic class (DSCP << 2 | ECN). */
  tos: number | null;
  ttl: number | null;
  /** IPv4 total length, or IPv6 payload length + 40: the packet's L3 length as the packet says. */
  ipLength: number | null;
  /** Fragment offset in 8-byte units (IPv4 header or IPv6 fragment header); 0 when not a later fragment. */
  fragmentOffset: number | null;
  moreFragments: boolean;
  flowLabel: number | null;
  /** IPv6 extension header types walked (0 hop-by-hop, 43 routing, 44 fragment, 60 dest. options, 51 AH). */
  ipv6ExtHeaders: number[] | null;
  srcPort: number | null;
  /** For ICMP / ICMPv6 this is type * 256 + code (the NetFlow convention most collectors follow). */
  dstPort: number | null;
  /** TCP flags with NS as bit 8: NS CWR ECE URG ACK PSH RST SYN FIN (RFC 793, RFC 3168, RFC 3540). */
  tcpFlags: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  /** Offset of the L4 header inside the bytes (or where it would start), null when L3 was not reached. */
  l4Offset: number | null;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE = 0x8864;

/** IPv6 extension headers whose length is (hdr ext len + 1) * 8 (RFC 8200 section 4; mobility, HIP, shim6). */
const EXT_GENERIC = new Set([0, 43, 60, 135, 139, 140]);
const EXT_FRAGMENT = 44;
const EXT_AH = 51; // length is (payload len + 2) * 4 (RFC 4302 section 2.2)
const MAX_EXT_HEADERS = 16;

function emptyHeader(): ParsedHeader {
  return {
    truncated: false,
    srcMac: null,
    dstMac: null,
    etherType: null,
    vlanIds: null,
    vlanPriority: null,
    mplsLabels: null,
    ipVersion: null,
    srcIp: null,
    dstIp: null,
    ipProtocol: null,
    tos: null,
    ttl: null,
    ipLength: null,
    fragmentOffset: null,
    moreFragments: false,
    flowLabel: null,
    ipv6ExtHeaders: null,
    srcPort: null,
    dstPort: null,
    tcpFlags: null,
    icmpType: null,
    icmpCode: null,
    l4Offset: null,
  };
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function mac(b: Uint8Array, o: number): string {
  return `${HEX[b[o]]}:${HEX[b[o + 1]]}:${HEX[b[o + 2]]}:${HEX[b[o + 3]]}:${HEX[b[o + 4]]}:${HEX[b[o + 5]]}`;
}

/** Parse the header of one packet. `linkType` says where it starts (sFlow header_protocol 1 / 11 / 12). */
export function parsePacketHeader(bytes: Uint8Array, linkType: 'ethernet' | 'ipv4' | 'ipv6'): ParsedHeader {
  const h = emptyHeader();
  if (linkType === 'ethernet') parseEthernet(bytes, h);
  else if (linkType === 'ipv4') parseIpv4(bytes, 0, h);
  else parseIpv6(bytes, 0, h);
  return h;
}

function parseEthernet(b: Uint8Array, h: ParsedHeader): void {
  const n = b.length;
  if (n < 14) {
    h.truncated = true;
    if (n >= 12) {
      h.dstMac = mac(b, 0);
      h.srcMac = mac(b, 6);
    }
    return;
  }
  h.dstMac = mac(b, 0);
  h.srcMac = mac(b, 6);
  let type = (b[12] << 8) | b[13];
  let o = 14;
  // 802.1Q / 802.1ad tags, any depth (IEEE 802.1Q section 9): TCI = PCP(3) DEI(1) VID(12).
  while (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD) {
    if (o + 4 > n) {
      h.etherType = type;
      h.truncated = true;
      return;
    }
    const tci = (b[o] << 8) | b[o + 1];
    if (h.vlanIds === null) {
      h.vlanIds = [tci & 0xfff];
      h.vlanPriority = tci >>> 13;
    } else h.vlanIds.push(tci & 0xfff);
    type = (b[o + 2] << 8) | b[o + 3];
    o += 4;
  }
  // 802.3 length field instead of a type: LLC, and SNAP carries the real EtherType (RFC 1042).
  if (type <= 1500) {
    if (o + 8 <= n && b[o] === 0xaa && b[o + 1] === 0xaa && b[o + 2] === 3) {
      type = (b[o + 6] << 8) | b[o + 7];
      o += 8;
    } else {
      h.etherType = type;
      return;
    }
  }
  h.etherType = type;
  parseEtherPayload(b, o, type, h);
}

function parseEtherPayload(b: Uint8Array, o: number, type: number, h: ParsedHeader): void {
  if (type === ETH_IPV4) parseIpv4(b, o, h);
  else if (type === ETH_IPV6) parseIpv6(b, o, h);
  else if (type === ETH_MPLS || type === ETH_MPLS_MC) parseMpls(b, o, h);
  else if (type === ETH_PPPOE) {
    // PPPoE session (RFC 2516 section 4): 6-byte header, then the PPP protocol (0x0021 IPv4, 0x0057 IPv6).
    if (o + 8 > b.length) {
      h.truncated = true;
      return;
    }
    const ppp = (b[o + 6] << 8) | b[o + 7];
    if (ppp === 0x0021) parseIpv4(b, o + 8, h);
    else if (ppp === 0x0057) parseIpv6(b, o + 8, h);
  }
}

/** MPLS label stack (RFC 3032 section 2.1): label(20) TC(3) S(1) TTL(8); the payload has no type field. */
function parseMpls(b: Uint8Array, o: number, h: ParsedHeader): void {
  const labels: number[] = [];
  h.mplsLabels = labels;
  for (;;) {
    if (o + 4 > b.length) {
      h.truncated = true;
      return;
    }
    labels.push((b[o] << 12) | (b[o + 1] << 4) | (b[o + 2] >>> 4));
    const bottom = (b[o + 2] & 1) === 1;
    o += 4;
    if (bottom) break;
  }
  if (o >= b.length) {
    h.truncated = true;
    return;
  }
  // The payload is guessed from the first nibble, as forwarding hardware does (RFC 4928 section 2).
  const v = b[o] >>> 4;
  if (v === 4) parseIpv4(b, o, h);
  else if (v === 6) parseIpv6(b, o, h);
}

/** IPv4 header (RFC 791 section 3.1). */
function parseIpv4(b: Uint8Array, o: number, h: ParsedHeader): void {
  if (o + 20 > b.length) {
    h.truncated = true;
    return;
  }
  if (b[o] >>> 4 !== 4) return;
  h.ipVersion = 4;
  const ihl = (b[o] & 15) * 4;
  h.tos = b[o + 1];
  h.ipLength = (b[o + 2] << 8) | b[o + 3];
  const frag = (b[o + 6] << 8) | b[o + 7];
  h.moreFragments = (frag & 0x2000) !== 0;
  h.fragmentOffset = frag & 0x1fff;
  h.ttl = b[o + 8];
  h.ipProtocol = b[o + 9];
  h.srcIp = ipv4ToString(b, o + 12);
  h.dstIp = ipv4ToString(b, o + 16);
  if (ihl < 20) return; // a bad IHL: the addresses stand, L4 cannot be located
  // Only the first fragment carries the transport header.
  if (h.fragmentOffset !== 0) return;
  parseL4(b, o + ihl, h.ipProtocol, h);
}

/** IPv6 header (RFC 8200 section 3) and its extension header chain (section 4). */
function parseIpv6(b: Uint8Array, o: number, h: ParsedHeader): void {
  if (o + 40 > b.length) {
    h.truncated = true;
    return;
  }
  if (b[o] >>> 4 !== 6) return;
  h.ipVersion = 6;
  h.tos = ((b[o] & 15) << 4) | (b[o + 1] >>> 4);
  h.flowLabel = ((b[o + 1] & 15) << 16) | (b[o + 2] << 8) | b[o + 3];
  h.ipLength = ((b[o + 4] << 8) | b[o + 5]) + 40;
  h.ttl = b[o + 7];
  h.srcIp = ipv6ToString(b, o + 8);
  h.dstIp = ipv6ToString(b, o + 24);
  h.fragmentOffset = 0;
  let next = b[o + 6];
  o += 40;
  for (let i = 0; i < MAX_EXT_HEADERS; i++) {
    let len: number;
    if (EXT_GENERIC.has(next)) {
      if (o + 2 > b.length) break;
      len = (b[o + 1] + 1) * 8;
    } else if (next === EXT_FRAGMENT) {
      // Fragment header (RFC 8200 section 4.5): offset(13) res(2) M(1); always 8 bytes.
      if (o + 4 > b.length) break;
      const fo = (b[o + 2] << 8) | b[o + 3];
      h.fragmentOffset = fo >>> 3;
      h.moreFragments = (fo & 1) === 1;
      len = 8;
    } else if (next === EXT_AH) {
      if (o + 2 > b.length) break;
      len = (b[o + 1] + 2) * 4;
    } else {
      h.ipProtocol = next;
      if (h.fragmentOffset === 0) parseL4(b, o, next, h);
      return;
    }
    if (h.ipv6ExtHeaders === null) h.ipv6ExtHeaders = [next];
    else h.ipv6ExtHeaders.push(next);
    next = b[o];
    o += len;
  }
  // Ran out of bytes (or of patience) inside the chain: the upper-layer protocol is unknown.
  h.truncated = true;
}

/** TCP (RFC 9293 section 3.1), UDP (RFC 768), SCTP (RFC 9260), ICMP (RFC 792), ICMPv6 (RFC 4443). */
function parseL4(b: Uint8Array, o: number, proto: number, h: ParsedHeader): void {
  h.l4Offset = o;
  const n = b.length;
  switch (proto) {
    case 6: // TCP
      if (o + 4 > n) break;
      h.srcPort = (b[o] << 8) | b[o + 1];
      h.dstPort = (b[o + 2] << 8) | b[o + 3];
      if (o + 14 > n) break;
      h.tcpFlags = ((b[o + 12] & 1) << 8) | b[o + 13];
      return;
    case 17: // UDP
    case 136: // UDP-Lite
    case 132: // SCTP: common header starts with the two ports
      if (o + 4 > n) break;
      h.srcPort = (b[o] << 8) | b[o + 1];
      h.dstPort = (b[o + 2] << 8) | b[o + 3];
      return;
    case 1: // ICMP
    case 58: // ICMPv6
      if (o + 2 > n) break;
      h.icmpType = b[o];
      h.icmpCode = b[o + 1];
      // Convention of NetFlow v5/v9 exporters and most collectors: no ports, dst_port = type * 256 + code.
      h.srcPort = 0;
      h.dstPort = b[o] * 256 + b[o + 1];
      return;
    default:
      return;
  }
  h.truncated = true;
}
