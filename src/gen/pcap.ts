import { ByteWriter } from '../wire/writer.js';
import { addrBytes } from './fields.js';

/** Customary collector ports: NetFlow 2055, IPFIX 4739 (RFC 7011 section 10.3.4), sFlow 6343. */
export const DEFAULT_PORTS = { v5: 2055, v9: 2055, ipfix: 4739, sflow: 6343 } as const;

export interface PcapDatagram {
  bytes: Uint8Array;
  /** IPv4 source / destination addresses. */
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** Epoch ms. */
  time: number;
}

/**
 * A classic pcap file (LINKTYPE_ETHERNET) of UDP/IPv4 datagrams: lets generated exports be replayed with
 * `flowlens import` or inspected with Wireshark/tshark. UDP checksums are 0 (allowed for IPv4, RFC 768).
 */
export function writePcap(datagrams: readonly PcapDatagram[]): Uint8Array {
  const w = new ByteWriter(24 + datagrams.reduce((n, d) => n + d.bytes.length + 58, 0));
  // pcap is written little-endian here: magic a1b2c3d4 as d4 c3 b2 a1.
  const le32 = (v: number) =>
    w
      .u8(v & 255)
      .u8((v >>> 8) & 255)
      .u8((v >>> 16) & 255)
      .u8((v >>> 24) & 255);
  const le16 = (v: number) => w.u8(v & 255).u8((v >>> 8) & 255);
  le32(0xa1b2c3d4);
  le16(2);
  le16(4);
  le32(0);
  le32(0);
  le32(65535);
  le32(1);
  for (const d of datagrams) {
    const udpLen = 8 + d.bytes.length;
    const ipLen = 20 + udpLen;
    const frameLen = 14 + ipLen;
    le32(Math.floor(d.time / 1000));
    le32((d.time % 1000) * 1000);
    le32(frameLen);
    le32(frameLen);
    w.bytes([0x02, 0, 0, 0, 0, 2]).bytes([0x02, 0, 0, 0, 0, 1]).u16(0x0800);
    const ipAt = w.mark();
    w.u8(0x45).u8(0).u16(ipLen).u16(0).u16(0x4000).u8(64).u8(17).u16(0);
    w.bytes(addrBytes(d.src)).bytes(addrBytes(d.dst));
    let sum = 0;
    const hdr = w.finish().subarray(ipAt, ipAt + 20);
    for (let i = 0; i < 20; i += 2) sum += (hdr[i] << 8) | hdr[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    w.patchU16(ipAt + 10, ~sum & 0xffff);
    w.u16(d.srcPort).u16(d.dstPort).u16(udpLen).u16(0);
    w.bytes(d.bytes);
  }
  return w.finish();
}
