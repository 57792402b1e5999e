import { DecodeError } from '../core/errors.js';
import { ipv4ToString, ipv6ToString } from '../core/ip.js';

/** One transport payload found in a capture, in capture order. */
export interface CapturedPayload {
  /** Frame number, 1-based, as tshark counts. */
  frame: number;
  /** Capture timestamp, epoch milliseconds (fractional part kept). */
  timestamp: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  transport: 'udp' | 'tcp';
  payload: Uint8Array;
}

const LINKTYPE_ETHERNET = 1;

/**
 * Minimal classic-pcap reader (Ethernet, IPv4/IPv6, UDP/TCP). The pcap/CLI work extends this file with
 * pcapng, Linux cooked capture, raw IP and TCP stream reassembly; the signature stays.
 */
export function* readCapture(file: Uint8Array): Generator<CapturedPayload> {
  if (file.length < 24) throw new DecodeError('truncated', 'pcap file shorter than its global header');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, true);
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new DecodeError('unknown_protocol', 'not a classic pcap file');
  if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nanos = true;
  const linktype = view.getUint32(20, le);
  let off = 24;
  let frame = 0;
  while (off + 16 <= file.length) {
    const sec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const incl = view.getUint32(off + 8, le);
    off += 16;
    if (off + incl > file.length) break;
    frame++;
    const data = file.subarray(off, off + incl);
    off += incl;
    if (linktype !== LINKTYPE_ETHERNET) continue;
    const p = parseEthernetFrame(data);
    if (p) yield { frame, timestamp: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3), ...p };
  }
}

function parseEthernetFrame(d: Uint8Array): Omit<CapturedPayload, 'frame' | 'timestamp'> | null {
  let off = 12;
  if (d.length < 14) return null;
  let etype = (d[off] << 8) | d[off + 1];
  off += 2;
  while ((etype === 0x8100 || etype === 0x88a8) && off + 4 <= d.length) {
    etype = (d[off + 2] << 8) | d[off + 3];
    off += 4;
  }
  let src: string;
  let dst: string;
  let proto: number;
  if (etype === 0x0800) {
    if (off + 20 > d.length) return null;
    const ihl = (d[off] & 15) * 4;
    proto = d[off + 9];
    src = ipv4ToString(d, off + 12);
    dst = ipv4ToString(d, off + 16);
    const total = (d[off + 2] << 8) | d[off + 3];
    const end = Math.min(d.length, off + total);
    return transport(d.subarray(off + ihl, end), proto, src, dst);
  }
  if (etype === 0x86dd) {
    if (off + 40 > d.length) return null;
    proto = d[off + 6];
    src = ipv6ToString(d, off + 8);
    dst = ipv6ToString(d, off + 24);
    const plen = (d[off + 4] << 8) | d[off + 5];
    return transport(d.subarray(off + 40, Math.min(d.length, off + 40 + plen)), proto, src, dst);
  }
  return null;
}

function transport(
  seg: Uint8Array,
  proto: number,
  src: string,
  dst: string,
): Omit<CapturedPayload, 'frame' | 'timestamp'> | null {
  if (proto === 17 && seg.length >= 8) {
    return {
      src,
      dst,
      srcPort: (seg[0] << 8) | seg[1],
      dstPort: (seg[2] << 8) | seg[3],
      transport: 'udp',
      payload: seg.subarray(8),
    };
  }
  if (proto === 6 && seg.length >= 20) {
    const hl = (seg[12] >> 4) * 4;
    return {
      src,
      dst,
      srcPort: (seg[0] << 8) | seg[1],
      dstPort: (seg[2] << 8) | seg[3],
      transport: 'tcp',
      payload: seg.subarray(hl),
    };
  }
  return null;
}
