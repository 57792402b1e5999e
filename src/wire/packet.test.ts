import { describe, expect, it } from 'vitest';
import { parsePacketHeader } from './packet.js';
import { ByteWriter } from './writer.js';

const MAC_A = [0x00, 0x53, 0x00, 0x00, 0x00, 0x0a];
const MAC_B = [0x00, 0x53, 0x00, 0x00, 0x00, 0x0b];

function ipv4(
  w: ByteWriter,
  o: { proto: number; src: string; dst: string; tos?: number; frag?: number; len?: number },
) {
  w.u8(0x45)
    .u8(o.tos ?? 0)
    .u16(o.len ?? 60)
    .u16(0x1234)
    .u16(o.frag ?? 0x4000)
    .u8(64)
    .u8(o.proto)
    .u16(0);
  return w.ip(o.src).ip(o.dst);
}

function ipv6(
  w: ByteWriter,
  o: { next: number; src: string; dst: string; tc?: number; flow?: number; plen?: number },
) {
  const tc = o.tc ?? 0;
  const flow = o.flow ?? 0;
  w.u32(((6 << 28) | (tc << 20) | flow) >>> 0)
    .u16(o.plen ?? 100)
    .u8(o.next)
    .u8(64);
  return w.ip(o.src).ip(o.dst);
}

/** TCP header: ports, seq, ack, data offset 5 + NS bit, flags byte. */
function tcp(w: ByteWriter, sport: number, dport: number, flags9: number) {
  return w
    .u16(sport)
    .u16(dport)
    .u32(1)
    .u32(2)
    .u8((5 << 4) | (flags9 >> 8))
    .u8(flags9 & 0xff)
    .u16(1024)
    .u32(0);
}

describe('parsePacketHeader', () => {
  it('IPv6 with hop-by-hop + fragment extension headers, then TCP with NS/CWR/ECE flags', () => {
    const w = new ByteWriter();
    w.bytes(MAC_B).bytes(MAC_A).u16(0x86dd);
    ipv6(w, { next: 0, src: '2001:db8::1', dst: '2001:db8:0:1::2', tc: 0xb8, flow: 0x12345 });
    // Hop-by-hop: next 44, hdr ext len 0 (8 bytes), PadN to fill.
    w.u8(44).u8(0).u8(1).u8(4).u32(0);
    // Fragment: next 6, reserved, offset 0 + M=1, identification.
    w.u8(6).u8(0).u16(0x0001).u32(0xabcdef);
    // NS (0x100) | CWR (0x80) | ECE (0x40) | SYN (0x02)
    tcp(w, 51000, 443, 0x1c2);
    const h = parsePacketHeader(w.finish(), 'ethernet');
    expect(h).toMatchObject({
      truncated: false,
      srcMac: '00:53:00:00:00:0a',
      dstMac: '00:53:00:00:00:0b',
      etherType: 0x86dd,
      ipVersion: 6,
      srcIp: '2001:db8::1',
      dstIp: '2001:db8:0:1::2',
      tos: 0xb8,
      flowLabel: 0x12345,
      ipv6ExtHeaders: [0, 44],
      ipProtocol: 6,
      fragmentOffset: 0,
      moreFragments: true,
      srcPort: 51000,
      dstPort: 443,
      tcpFlags: 0x1c2,
      ipLength: 140,
    });
    expect(h.l4Offset).toBe(14 + 40 + 8 + 8);
  });

  it('IPv6 routing + destination options + AH chain, then UDP', () => {
    const w = new ByteWriter();
    ipv6(w, { next: 43, src: 'fe80::1', dst: 'ff02::1' });
    w.u8(60).u8(1).zeros(14); // routing header, (1 + 1) * 8 = 16 bytes
    w.u8(51).u8(0).zeros(6); // destination options, 8 bytes
    w.u8(17).u8(4).zeros(22); // AH: (4 + 2) * 4 = 24 bytes
    w.u16(546).u16(547).u16(8).u16(0);
    const h = parsePacketHeader(w.finish(), 'ipv6');
    expect(h.ipv6ExtHeaders).toEqual([43, 60, 51]);
    expect(h).toMatchObject({ ipProtocol: 17, srcPort: 546, dstPort: 547, truncated: false });
  });

  it('a later IPv6 fragment has no transport header', () => {
    const w = new ByteWriter();
    ipv6(w, { next: 44, src: '2001:db8::1', dst: '2001:db8::2' });
    w.u8(6)
      .u8(0)
      .u16((185 << 3) | 0)
      .u32(7);
    w.u16(1).u16(2).zeros(16); // payload bytes that are NOT a TCP header
    const h = parsePacketHeader(w.finish(), 'ipv6');
    expect(h).toMatchObject({
      ipProtocol: 6,
      fragmentOffset: 185,
      moreFragments: false,
      srcPort: null,
      tcpFlags: null,
    });
  });

  it('QinQ (802.1ad + 802.1Q) and an MPLS label stack over IPv4/UDP', () => {
    const w = new ByteWriter();
    w.bytes(MAC_B).bytes(MAC_A);
    w.u16(0x88a8).u16((3 << 13) | 100); // S-tag PCP 3, VID 100
    w.u16(0x8100).u16(200); // C-tag VID 200
    w.u16(0x8847);
    w.u32((16 << 12) | (0 << 9) | (0 << 8) | 64); // label 16
    w.u32(((1048575 << 12) | (5 << 9) | (1 << 8) | 63) >>> 0); // label 2^20-1, bottom of stack
    ipv4(w, { proto: 17, src: '192.0.2.1', dst: '198.51.100.7', tos: 0x2e << 2 });
    w.u16(5353).u16(53).u16(40).u16(0);
    const h = parsePacketHeader(w.finish(), 'ethernet');
    expect(h).toMatchObject({
      vlanIds: [100, 200],
      vlanPriority: 3,
      etherType: 0x8847,
      mplsLabels: [16, 1048575],
      ipVersion: 4,
      srcIp: '192.0.2.1',
      dstIp: '198.51.100.7',
      tos: 0xb8,
      ipProtocol: 17,
      srcPort: 5353,
      dstPort: 53,
      truncated: false,
    });
  });

  it('ICMP and ICMPv6: type/code exposed and type*256+code in dst_port', () => {
    const w = new ByteWriter();
    ipv4(w, { proto: 1, src: '10.0.0.1', dst: '10.0.0.2' }).u8(3).u8(4).u16(0);
    expect(parsePacketHeader(w.finish(), 'ipv4')).toMatchObject({
      icmpType: 3,
      icmpCode: 4,
      srcPort: 0,
      dstPort: 772,
    });
    const v6 = new ByteWriter();
    ipv6(v6, { next: 58, src: '::1', dst: '::2' }).u8(128).u8(0).u16(0);
    expect(parsePacketHeader(v6.finish(), 'ipv6')).toMatchObject({
      icmpType: 128,
      icmpCode: 0,
      dstPort: 32768,
    });
  });

  it('IPv4 later fragment: addresses but no ports', () => {
    const w = new ByteWriter();
    ipv4(w, { proto: 6, src: '10.0.0.1', dst: '10.0.0.2', frag: 0x2000 | 100 });
    tcp(w, 1, 2, 0x12);
    expect(parsePacketHeader(w.finish(), 'ipv4')).toMatchObject({
      fragmentOffset: 100,
      moreFragments: true,
      srcPort: null,
      srcIp: '10.0.0.1',
    });
  });

  it('LLC/SNAP-encapsulated IPv4 and PPPoE IPv6', () => {
    const snap = new ByteWriter();
    snap.bytes(MAC_B).bytes(MAC_A).u16(100).u8(0xaa).u8(0xaa).u8(3).u24(0).u16(0x0800);
    ipv4(snap, { proto: 6, src: '10.1.1.1', dst: '10.1.1.2' });
    tcp(snap, 80, 1025, 0x18);
    expect(parsePacketHeader(snap.finish(), 'ethernet')).toMatchObject({
      etherType: 0x0800,
      srcPort: 80,
      tcpFlags: 0x18,
    });
    const pppoe = new ByteWriter();
    pppoe.bytes(MAC_B).bytes(MAC_A).u16(0x8864).u8(0x11).u8(0).u16(1).u16(60).u16(0x0057);
    ipv6(pppoe, { next: 17, src: '2001:db8::a', dst: '2001:db8::b' }).u16(1).u16(2).u16(8).u16(0);
    expect(parsePacketHeader(pppoe.finish(), 'ethernet')).toMatchObject({ srcIp: '2001:db8::a', dstPort: 2 });
  });

  it('truncated at every length: never throws, partial result flagged', () => {
    const w = new ByteWriter();
    w.bytes(MAC_B).bytes(MAC_A).u16(0x8100).u16(7).u16(0x86dd);
    ipv6(w, { next: 0, src: '2001:db8::1', dst: '2001:db8::2' });
    w.u8(6).u8(0).zeros(6);
    tcp(w, 1000, 22, 0x10);
    const full = w.finish();
    for (let n = 0; n < full.length; n++) {
      const h = parsePacketHeader(full.subarray(0, n), 'ethernet');
      // Everything short of the TCP flags byte is a truncated parse.
      expect(h.truncated, `length ${n}`).toBe(n < full.length - 6);
      if (n >= 18 + 40) expect(h.srcIp).toBe('2001:db8::1');
      if (n >= full.length - 16) expect(h.dstPort).toBe(22);
    }
    expect(parsePacketHeader(full, 'ethernet').tcpFlags).toBe(0x10);
  });

  it('garbage never throws', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(rnd() % 160);
      for (let j = 0; j < b.length; j++) b[j] = rnd();
      // Bias toward interesting paths.
      if (b.length > 14 && i % 3 === 0) {
        b[12] = 0x86;
        b[13] = 0xdd;
        b[14] = 0x60;
      }
      for (const link of ['ethernet', 'ipv4', 'ipv6'] as const)
        expect(() => parsePacketHeader(b, link)).not.toThrow();
    }
  });
});
