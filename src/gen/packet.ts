import { ByteWriter } from '../wire/writer.js';
import { addrBytes } from './fields.js';

/** The packet a sampled frame is built from (L3/L4 identity plus sizes). */
export interface PacketSpec {
  ipVersion: 4 | 6;
  srcIp: string;
  dstIp: string;
  protocol: number;
  srcPort: number;
  /** For ICMP: type << 8 | code. */
  dstPort: number;
  tcpFlags: number;
  tos: number;
  /** IP total length (IPv4 total length; IPv6 40 + payload length). */
  ipLength: number;
}

const ETH_HEADER = 14;

/** Smallest IP packet that holds the headers we write for this protocol. */
export function minIpLength(ipVersion: 4 | 6, protocol: number): number {
  const l3 = ipVersion === 4 ? 20 : 40;
  return l3 + (protocol === 6 ? 20 : 8);
}

/** A locally administered MAC derived from an address, so frames of one host share one MAC. */
function macFor(ip: Uint8Array): number[] {
  const n = ip.length;
  return [0x02, 0x00, ip[n - 4], ip[n - 3], ip[n - 2], ip[n - 1]];
}

/** RFC 1071 Internet checksum of an IPv4 header. */
function ipv4Checksum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | b[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The first `maxHeader` bytes of an Ethernet II frame carrying this packet (IPv4 or IPv6; TCP, UDP or
 * ICMP/ICMPv6 headers; zero payload): what an sFlow agent copies into a sampled_header record. The FCS is
 * not part of the copy (sFlow "stripped" counts it).
 */
export function buildFrameHeader(p: PacketSpec, maxHeader: number): Uint8Array {
  const src = addrBytes(p.srcIp);
  const dst = addrBytes(p.dstIp);
  const total = ETH_HEADER + p.ipLength;
  const w = new ByteWriter(total);
  w.bytes(macFor(dst))
    .bytes(macFor(src))
    .u16(p.ipVersion === 4 ? 0x0800 : 0x86dd);
  const ipAt = w.mark();
  if (p.ipVersion === 4) {
    w.u8(0x45)
      .u8(p.tos)
      .u16(p.ipLength)
      .u16(0x1234) // identification
      .u16(0x4000) // DF, no fragment offset
      .u8(64)
      .u8(p.protocol)
      .u16(0)
      .bytes(src)
      .bytes(dst);
  } else {
    w.u32((6 << 28) | (p.tos << 20))
      .u16(p.ipLength - 40)
      .u8(p.protocol)
      .u8(64)
      .bytes(src)
      .bytes(dst);
  }
  const l4Len = p.ipLength - (p.ipVersion === 4 ? 20 : 40);
  if (p.protocol === 6) {
    w.u16(p.srcPort)
      .u16(p.dstPort)
      .u32(1000) // sequence
      .u32(p.tcpFlags & 0x10 ? 2000 : 0) // acknowledgement
      .u8(5 << 4) // data offset 5 words
      .u8(p.tcpFlags)
      .u16(65535)
      .u16(0)
      .u16(0);
  } else if (p.protocol === 17) {
    w.u16(p.srcPort).u16(p.dstPort).u16(l4Len).u16(0);
  } else {
    // ICMP / ICMPv6 / anything else: type, code, checksum, identifier, sequence.
    w.u8(p.dstPort >> 8)
      .u8(p.dstPort & 0xff)
      .u16(0)
      .u16(1)
      .u16(1);
  }
  w.zeros(total - w.length);
  const frame = w.finish();
  if (p.ipVersion === 4) {
    const sum = ipv4Checksum(frame, ipAt, 20);
    frame[ipAt + 10] = sum >> 8;
    frame[ipAt + 11] = sum & 0xff;
  }
  return frame.subarray(0, Math.min(maxHeader, frame.length));
}
