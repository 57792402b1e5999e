import { ipv4ToString, ipv6ToString } from '../core/ip.js';

/** Link-layer header types of pcap/pcapng (tcpdump.org/linktypes.html) that the capture reader parses. */
export const LINKTYPE = {
  NULL: 0, // BSD loopback: 4-byte address family in the capturing host's byte order
  ETHERNET: 1,
  RAW: 101, // raw IPv4/IPv6, version nibble decides
  LOOP: 108, // OpenBSD loopback: address family in network byte order
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** The transport segment of one IP packet. */
export interface IpSegment {
  src: string;
  dst: string;
  /** IP protocol number of the transport header (after IPv6 extension headers). */
  proto: number;
  /** Transport header + payload, trimmed to the IP length (Ethernet padding removed). */
  segment: Uint8Array;
  /** Set when this is one fragment of a larger datagram: `segment` is then the fragment's data only. */
  fragment?: IpFragment;
}

export interface IpFragment {
  /** Identification (IPv4 16 bits, IPv6 fragment header 32 bits). */
  id: number;
  /** Byte offset of this fragment's data in the original payload. */
  offset: number;
  more: boolean;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

/** The IP packet inside a link-layer frame, or null when the frame carries something else. */
export function parseLink(linkType: number, d: Uint8Array): IpSegment | null {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return parseEthernet(d);
    case LINKTYPE.LINUX_SLL:
      // 16-byte cooked header, protocol (EtherType) in its last 2 bytes.
      return d.length < 16 ? null : parseByEtherType((d[14] << 8) | d[15], d, 16);
    case LINKTYPE.LINUX_SLL2:
      // 20-byte cooked v2 header, protocol first.
      return d.length < 20 ? null : parseByEtherType((d[0] << 8) | d[1], d, 20);
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return parseIp(d, 0);
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      // Address family 2 is IPv4 everywhere; IPv6 differs by OS (24, 28, 30): the version nibble decides.
      return d.length < 4 ? null : parseIp(d, 4);
    default:
      return null;
  }
}

function parseEthernet(d: Uint8Array): IpSegment | null {
  if (d.length < 14) return null;
  let off = 14;
  let etype = (d[12] << 8) | d[13];
  // 802.1Q / 802.1ad / legacy QinQ tags.
  while ((etype === 0x8100 || etype === 0x88a8 || etype === 0x9100) && off + 4 <= d.length) {
    etype = (d[off + 2] << 8) | d[off + 3];
    off += 4;
  }
  return parseByEtherType(etype, d, off);
}

function parseByEtherType(etype: number, d: Uint8Array, off: number): IpSegment | null {
  if (etype === ETH_IPV4 || etype === ETH_IPV6) return parseIp(d, off);
  return null;
}

/** IPv4 or IPv6 by the version nibble. */
export function parseIp(d: Uint8Array, off: number): IpSegment | null {
  if (off >= d.length) return null;
  const v = d[off] >> 4;
  if (v === 4) return parseIpv4(d, off);
  if (v === 6) return parseIpv6(d, off);
  return null;
}

function parseIpv4(d: Uint8Array, off: number): IpSegment | null {
  if (off + 20 > d.length) return null;
  const ihl = (d[off] & 15) * 4;
  const total = (d[off + 2] << 8) | d[off + 3];
  if (ihl < 20 || total < ihl) return null;
  const end = Math.min(d.length, off + total);
  if (off + ihl > end) return null;
  const seg: IpSegment = {
    src: ipv4ToString(d, off + 12),
    dst: ipv4ToString(d, off + 16),
    proto: d[off + 9],
    segment: d.subarray(off + ihl, end),
  };
  // MF flag or a non-zero offset: one fragment (RFC 791 section 3.1), reassembled by the caller.
  const flags = (d[off + 6] << 8) | d[off + 7];
  if ((flags & 0x3fff) !== 0) {
    seg.fragment = {
      id: (d[off + 4] << 8) | d[off + 5],
      offset: (flags & 0x1fff) * 8,
      more: (flags & 0x2000) !== 0,
    };
  }
  return seg;
}

/** IPv6 extension headers that chain by (next header, length in 8-octet units) (RFC 8200 section 4). */
const EXT_HEADERS = new Set([0, 43, 60, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;

function parseIpv6(d: Uint8Array, off: number): IpSegment | null {
  if (off + 40 > d.length) return null;
  const plen = (d[off + 4] << 8) | d[off + 5];
  const end = Math.min(d.length, off + 40 + plen);
  let next = d[off + 6];
  let p = off + 40;
  let fragment: IpFragment | undefined;
  for (let hops = 0; hops < 16; hops++) {
    if (EXT_HEADERS.has(next)) {
      if (p + 8 > end) return null;
      const len = (d[p + 1] + 1) * 8;
      next = d[p];
      p += len;
    } else if (next === IPV6_AH) {
      // AH length is in 4-octet units minus 2 (RFC 4302 section 2.2).
      if (p + 8 > end) return null;
      const len = (d[p + 1] + 2) * 4;
      next = d[p];
      p += len;
    } else if (next === IPV6_FRAGMENT) {
      if (p + 8 > end) return null;
      const fragWord = (d[p + 2] << 8) | d[p + 3];
      // Offset 0 and no more fragments is an atomic fragment (RFC 6946): the packet is whole.
      if ((fragWord & 0xfff9) !== 0) {
        const id = ((d[p + 4] << 24) | (d[p + 5] << 16) | (d[p + 6] << 8) | d[p + 7]) >>> 0;
        fragment = { id, offset: fragWord & 0xfff8, more: (fragWord & 1) !== 0 };
      }
      next = d[p];
      p += 8;
      // The headers after a fragment header belong to the fragmentable part (RFC 8200 section 4.5).
      if (fragment) break;
    } else break;
  }
  if (p > end) return null;
  const seg: IpSegment = {
    src: ipv6ToString(d, off + 8),
    dst: ipv6ToString(d, off + 24),
    proto: next,
    segment: d.subarray(p, end),
  };
  if (fragment) seg.fragment = fragment;
  return seg;
}
