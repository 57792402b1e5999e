import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DecodeError } from '../core/errors.js';
import { LINKTYPE } from './link.js';
import { type CapturedPayload, readCapture } from './pcap.js';
import { TcpReassembler } from './tcp-stream.js';
import { ByteWriter } from './writer.js';

/** Little- or big-endian integer bytes (ByteWriter is big-endian; capture headers follow the file's order). */
const u16 = (v: number, le: boolean) => (le ? [v & 255, v >>> 8] : [v >>> 8, v & 255]);
const u32 = (v: number, le: boolean) => {
  const b = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return le ? b.reverse() : b;
};

/** IPv4/UDP packet carrying `payload` (checksums zero: the reader does not verify them). */
function ipv4Udp(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  w.u8(0x45)
    .u8(0)
    .u16(20 + 8 + payload.length)
    .u16(1)
    .u16(0x4000)
    .u8(64)
    .u8(17)
    .u16(0)
    .ip(src)
    .ip(dst);
  w.u16(sport)
    .u16(dport)
    .u16(8 + payload.length)
    .u16(0)
    .bytes(payload);
  return w.finish();
}

/** IPv6/UDP with a hop-by-hop and a destination-options extension header before UDP. */
function ipv6UdpWithExt(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload: Uint8Array,
): Uint8Array {
  const w = new ByteWriter();
  const plen = 8 + 8 + 8 + payload.length;
  w.u32(0x60000000).u16(plen).u8(0).u8(64).ip(src).ip(dst);
  w.u8(60).u8(0).zeros(6); // hop-by-hop -> destination options
  w.u8(17).u8(0).zeros(6); // destination options -> UDP
  w.u16(sport)
    .u16(dport)
    .u16(8 + payload.length)
    .u16(0)
    .bytes(payload);
  return w.finish();
}

function ipv4Tcp(seq: number, flags: number, payload: Uint8Array, sport = 40000, dport = 4739): Uint8Array {
  const w = new ByteWriter();
  w.u8(0x45)
    .u8(0)
    .u16(20 + 20 + payload.length)
    .u16(1)
    .u16(0x4000)
    .u8(64)
    .u8(6)
    .u16(0);
  w.ip('192.0.2.10').ip('192.0.2.20');
  w.u16(sport)
    .u16(dport)
    .u32(seq)
    .u32(0)
    .u8(5 << 4)
    .u8(flags)
    .u16(65535)
    .u16(0)
    .u16(0)
    .bytes(payload);
  return w.finish();
}

const ether = (ip: Uint8Array, etype = 0x0800, vlan?: number) => {
  const w = new ByteWriter().bytes([0, 0x53, 0, 0, 0, 2, 0, 0x53, 0, 0, 0, 1]);
  if (vlan !== undefined) w.u16(0x8100).u16(vlan);
  return w.u16(etype).bytes(ip).finish();
};
const sll = (ip: Uint8Array, etype: number) =>
  new ByteWriter().u16(0).u16(1).u16(6).bytes([0, 0x53, 0, 0, 0, 1, 0, 0]).u16(etype).bytes(ip).finish();
const sll2 = (ip: Uint8Array, etype: number) =>
  new ByteWriter()
    .u16(etype)
    .u16(0)
    .u32(2)
    .u16(1)
    .u8(0)
    .u8(6)
    .bytes([0, 0x53, 0, 0, 0, 1, 0, 0])
    .bytes(ip)
    .finish();
const loopback = (ip: Uint8Array, family: number, le: boolean) => new Uint8Array([...u32(family, le), ...ip]);

interface Frame {
  sec: number;
  frac: number;
  data: Uint8Array;
}

function classicPcap(
  linkType: number,
  frames: Frame[],
  opts: { le?: boolean; nanos?: boolean } = {},
): Uint8Array {
  const le = opts.le ?? true;
  const w = new ByteWriter();
  w.bytes(u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le))
    .bytes(u16(2, le))
    .bytes(u16(4, le));
  w.bytes(u32(0, le)).bytes(u32(0, le)).bytes(u32(65535, le)).bytes(u32(linkType, le));
  for (const f of frames) {
    w.bytes(u32(f.sec, le))
      .bytes(u32(f.frac, le))
      .bytes(u32(f.data.length, le))
      .bytes(u32(f.data.length, le));
    w.bytes(f.data);
  }
  return w.finish();
}

function pcapngBlock(type: number, body: number[] | Uint8Array, le: boolean): number[] {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  return [...u32(type, le), ...u32(len, le), ...body, ...new Array(pad).fill(0), ...u32(len, le)];
}

interface NgIface {
  linkType: number;
  tsresol?: number;
}

function pcapng(
  ifaces: NgIface[],
  packets: { iface: number; ts: bigint; data: Uint8Array }[],
  le = true,
): Uint8Array {
  const out: number[] = [];
  out.push(
    ...pcapngBlock(
      0x0a0d0d0a,
      [...u32(0x1a2b3c4d, le), ...u16(1, le), ...u16(0, le), ...new Array(8).fill(0xff)],
      le,
    ),
  );
  for (const i of ifaces) {
    const opts = i.tsresol === undefined ? [] : [...u16(9, le), ...u16(1, le), i.tsresol, 0, 0, 0];
    out.push(...pcapngBlock(1, [...u16(i.linkType, le), 0, 0, ...u32(0, le), ...opts, ...u32(0, le)], le));
  }
  for (const p of packets) {
    const hi = Number(p.ts >> 32n);
    const lo = Number(p.ts & 0xffffffffn);
    const body = [
      ...u32(p.iface, le),
      ...u32(hi, le),
      ...u32(lo, le),
      ...u32(p.data.length, le),
      ...u32(p.data.length, le),
      ...p.data,
    ];
    out.push(...pcapngBlock(6, body, le));
  }
  return new Uint8Array(out);
}

/** The corpus (decode/testdata/corpus) read directly: wire/ may not import the decode layer's helpers. */
const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '..', 'decode', 'testdata', 'corpus');
interface TruthPacket {
  frame: number;
  src: string;
  dst: string;
  sport: string;
  dport: string;
  transport: string;
}
function listCaptures(): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.pcap')) out.push({ name: relative(CORPUS, p), path: p });
    }
  };
  walk(CORPUS);
  return out;
}
function loadTruth(c: { path: string }): { packets: TruthPacket[] } | null {
  try {
    return JSON.parse(gunzipSync(readFileSync(`${c.path}.tshark.json.gz`)).toString('utf8'));
  } catch {
    return null;
  }
}

const payload = new Uint8Array([0, 5, 0, 0, 1, 2, 3]);
const strip = (p: CapturedPayload) => ({
  src: p.src,
  dst: p.dst,
  srcPort: p.srcPort,
  dstPort: p.dstPort,
  transport: p.transport,
  payload: [...p.payload],
});
const want = (src: string, dst: string) => ({
  src,
  dst,
  srcPort: 50000,
  dstPort: 2055,
  transport: 'udp',
  payload: [...payload],
});

describe('classic pcap', () => {
  const v4 = ipv4Udp('198.51.100.1', '203.0.113.1', 50000, 2055, payload);
  const v6 = ipv6UdpWithExt('2001:db8::1', '2001:db8::2', 50000, 2055, payload);

  it('reads both byte orders and µs / ns timestamps', () => {
    for (const le of [true, false]) {
      const us = [
        ...readCapture(classicPcap(1, [{ sec: 1_700_000_000, frac: 123_456, data: ether(v4) }], { le })),
      ];
      expect(us.map(strip)).toEqual([want('198.51.100.1', '203.0.113.1')]);
      expect(us[0].timestamp).toBeCloseTo(1_700_000_000_123.456, 3);
      const ns = [
        ...readCapture(
          classicPcap(1, [{ sec: 1_700_000_000, frac: 123_456_789, data: ether(v4) }], { le, nanos: true }),
        ),
      ];
      expect(ns[0].timestamp).toBeCloseTo(1_700_000_000_123.457, 3);
    }
  });

  it('parses every supported link type, IPv4 and IPv6 with extension headers', () => {
    const cases: [number, Uint8Array, ReturnType<typeof want>][] = [
      [LINKTYPE.ETHERNET, ether(v4, 0x0800, 100), want('198.51.100.1', '203.0.113.1')],
      [LINKTYPE.ETHERNET, ether(v6, 0x86dd), want('2001:db8::1', '2001:db8::2')],
      [LINKTYPE.LINUX_SLL, sll(v4, 0x0800), want('198.51.100.1', '203.0.113.1')],
      [LINKTYPE.LINUX_SLL, sll(v6, 0x86dd), want('2001:db8::1', '2001:db8::2')],
      [LINKTYPE.LINUX_SLL2, sll2(v4, 0x0800), want('198.51.100.1', '203.0.113.1')],
      [LINKTYPE.LINUX_SLL2, sll2(v6, 0x86dd), want('2001:db8::1', '2001:db8::2')],
      [LINKTYPE.RAW, v4, want('198.51.100.1', '203.0.113.1')],
      [LINKTYPE.RAW, v6, want('2001:db8::1', '2001:db8::2')],
      [LINKTYPE.IPV4, v4, want('198.51.100.1', '203.0.113.1')],
      [LINKTYPE.IPV6, v6, want('2001:db8::1', '2001:db8::2')],
      [LINKTYPE.NULL, loopback(v4, 2, true), want('198.51.100.1', '203.0.113.1')],
      [LINKTYPE.NULL, loopback(v6, 30, true), want('2001:db8::1', '2001:db8::2')],
      [LINKTYPE.LOOP, loopback(v4, 2, false), want('198.51.100.1', '203.0.113.1')],
    ];
    for (const [lt, data, expected] of cases) {
      const got = [...readCapture(classicPcap(lt, [{ sec: 1, frac: 0, data }]))].map(strip);
      expect(got, `link type ${lt}`).toEqual([expected]);
    }
  });

  it('trims Ethernet padding by the IP and UDP lengths, skips non-IP frames', () => {
    const padded = new Uint8Array([...ether(v4), 0, 0, 0, 0, 0, 0]);
    const arp = ether(new Uint8Array(28), 0x0806);
    const got = [
      ...readCapture(
        classicPcap(1, [
          { sec: 1, frac: 0, data: arp },
          { sec: 1, frac: 0, data: padded },
        ]),
      ),
    ];
    expect(got.map(strip)).toEqual([want('198.51.100.1', '203.0.113.1')]);
    expect(got[0].frame).toBe(2);
  });

  it('ends a truncated file with a clear error and keeps the frames before it', () => {
    const file = classicPcap(1, [
      { sec: 1, frac: 0, data: ether(v4) },
      { sec: 2, frac: 0, data: ether(v4) },
    ]);
    const cut = file.subarray(0, file.length - 5);
    const errors: DecodeError[] = [];
    const got = [...readCapture(cut, { onError: (e) => errors.push(e) })];
    expect(got.length).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(['truncated']);
    expect(errors[0].message).toMatch(/frame 2 .*past the end of the file/);
    // Without a handler the error is thrown, after the good frame was yielded.
    const seen: number[] = [];
    expect(() => {
      for (const p of readCapture(cut)) seen.push(p.frame);
    }).toThrow(/truncated/);
    expect(seen).toEqual([1]);
  });

  it('rejects a file that is no capture', () => {
    expect(() => [...readCapture(new TextEncoder().encode('hello, this is not a pcap file at all'))]).toThrow(
      /not a pcap or pcapng/,
    );
  });
});

describe('pcapng', () => {
  const v4 = ipv4Udp('198.51.100.1', '203.0.113.1', 50000, 2055, payload);
  it('reads per-interface link types and timestamp resolutions, in both byte orders', () => {
    for (const le of [true, false]) {
      const file = pcapng(
        [
          { linkType: LINKTYPE.ETHERNET },
          { linkType: LINKTYPE.RAW, tsresol: 9 },
          { linkType: LINKTYPE.LINUX_SLL, tsresol: 0x80 | 10 },
        ],
        [
          { iface: 0, ts: 1_700_000_000_123_456n, data: ether(v4) },
          { iface: 1, ts: 1_700_000_001_123_456_789n, data: v4 },
          { iface: 2, ts: 1_700_000_002n * 1024n + 512n, data: sll(v4, 0x0800) },
        ],
        le,
      );
      const got = [...readCapture(file)];
      expect(got.map(strip)).toEqual([0, 1, 2].map(() => want('198.51.100.1', '203.0.113.1')));
      expect(got.map((p) => p.frame)).toEqual([1, 2, 3]);
      expect(got[0].timestamp).toBeCloseTo(1_700_000_000_123.456, 2);
      expect(got[1].timestamp).toBeCloseTo(1_700_000_001_123.4568, 2);
      expect(got[2].timestamp).toBeCloseTo(1_700_000_002_500, 2);
    }
  });

  it('reads simple packet blocks on interface 0', () => {
    const le = true;
    const data = ether(v4);
    const bytes = [
      ...pcapngBlock(
        0x0a0d0d0a,
        [...u32(0x1a2b3c4d, le), ...u16(1, le), ...u16(0, le), ...new Array(8).fill(0xff)],
        le,
      ),
      ...pcapngBlock(1, [...u16(1, le), 0, 0, ...u32(0, le)], le),
      ...pcapngBlock(3, [...u32(data.length, le), ...data], le),
    ];
    expect([...readCapture(new Uint8Array(bytes))].map(strip)).toEqual([want('198.51.100.1', '203.0.113.1')]);
  });

  it('stops at a truncated block with an error', () => {
    const file = pcapng(
      [{ linkType: 1 }],
      [
        { iface: 0, ts: 1n, data: ether(v4) },
        { iface: 0, ts: 2n, data: ether(v4) },
      ],
    );
    const errors: DecodeError[] = [];
    const got = [...readCapture(file.subarray(0, file.length - 8), { onError: (e) => errors.push(e) })];
    expect(got.length).toBe(1);
    expect(errors[0].code).toBe('truncated');
  });
});

describe('TCP stream reassembly', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const text = (ps: CapturedPayload[]) => ps.map((p) => new TextDecoder().decode(p.payload)).join('');
  const frames = (...pkts: Uint8Array[]) =>
    classicPcap(
      LINKTYPE.RAW,
      pkts.map((data, i) => ({ sec: i, frac: 0, data })),
    );

  it('delivers bytes in sequence order through reordering, retransmits and overlaps', () => {
    const isn = 0xfffffff0; // sequence numbers wrap inside the stream
    const file = frames(
      ipv4Tcp(isn, 0x02, new Uint8Array()), // SYN
      ipv4Tcp(isn + 1, 0x18, bytes('hello ')), // 6 bytes
      ipv4Tcp((isn + 13) >>> 0, 0x18, bytes('world!')), // ahead of a gap
      ipv4Tcp(isn + 1, 0x18, bytes('hello ')), // retransmit
      ipv4Tcp(isn + 4, 0x18, bytes('lo brave ')), // overlaps 3 delivered bytes, fills the gap
      ipv4Tcp((isn + 19) >>> 0, 0x11, bytes('!')), // FIN with data
    );
    const got = [...readCapture(file)];
    expect(got.every((p) => p.transport === 'tcp' && p.srcPort === 40000 && p.dstPort === 4739)).toBe(true);
    expect(text(got)).toBe('hello brave world!!');
    expect(got.at(-1)?.closed).toBe(true);
    // The retransmit produced no chunk; the gap-filling segment delivered its new bytes and the held ones.
    expect(got.map((p) => new TextDecoder().decode(p.payload))).toEqual(['hello ', 'brave world!', '!']);
  });

  it('keeps connections apart and picks up a stream without its SYN', () => {
    const file = frames(
      ipv4Tcp(1000, 0x18, bytes('a1'), 40001),
      ipv4Tcp(5000, 0x18, bytes('b1'), 40002),
      ipv4Tcp(1002, 0x18, bytes('a2'), 40001),
      ipv4Tcp(5002, 0x18, bytes('b2'), 40002),
    );
    const got = [...readCapture(file)];
    expect(text(got.filter((p) => p.srcPort === 40001))).toBe('a1a2');
    expect(text(got.filter((p) => p.srcPort === 40002))).toBe('b1b2');
  });
});

describe('corpus captures', () => {
  it('reads the Linux cooked (SLL) capture with every UDP datagram tshark saw', () => {
    const capture = listCaptures().find((c) => c.name.startsWith('pmacct/112-'))!;
    const file = readFileSync(capture.path);
    expect(new DataView(file.buffer, file.byteOffset).getUint32(20, true)).toBe(LINKTYPE.LINUX_SLL);
    const truth = loadTruth(capture)!;
    const got = [...readCapture(file)].filter((p) => p.transport === 'udp');
    const byFrame = new Map(got.map((p) => [p.frame, p]));
    expect(truth.packets.length).toBe(21);
    for (const pkt of truth.packets) {
      const p = byFrame.get(pkt.frame);
      expect(p, `frame ${pkt.frame}`).toBeDefined();
      expect([p?.src, p?.dst, String(p?.srcPort), String(p?.dstPort)]).toEqual([
        pkt.src,
        pkt.dst,
        pkt.sport,
        pkt.dport,
      ]);
    }
  });

  it('finds every export PDU tshark decoded, in every capture, at the same frame and addresses', () => {
    let pdus = 0;
    for (const capture of listCaptures()) {
      const truth = loadTruth(capture);
      if (!truth) continue;
      const frames = new Map<number, CapturedPayload>();
      for (const p of readCapture(readFileSync(capture.path))) frames.set(p.frame, p);
      for (const pkt of truth.packets) {
        const p = frames.get(pkt.frame);
        expect(p, `${capture.name} frame ${pkt.frame}`).toBeDefined();
        expect([p?.src, p?.dst, p?.transport], capture.name).toEqual([pkt.src, pkt.dst, pkt.transport]);
        pdus++;
      }
    }
    // SOURCES.md counts 2969 PDUs: 2964 here plus the 5 v5 frames of the separate netflow-v5-frames truth.
    expect(pdus).toBe(2964);
  });
});

describe('IP fragments', () => {
  /** The UDP datagram of `ipv4Udp` split into IPv4 fragments of `size` payload bytes (multiple of 8). */
  function v4Fragments(whole: Uint8Array, size: number): Uint8Array[] {
    const ihl = 20;
    const body = whole.subarray(ihl);
    const out: Uint8Array[] = [];
    for (let off = 0; off < body.length; off += size) {
      const part = body.subarray(off, off + size);
      const more = off + size < body.length;
      const w = new ByteWriter()
        .u8(0x45)
        .u8(0)
        .u16(ihl + part.length)
        .u16(0x1234);
      w.u16((more ? 0x2000 : 0) | (off / 8))
        .u8(64)
        .u8(17)
        .u16(0)
        .bytes(whole.subarray(12, 20))
        .bytes(part);
      out.push(w.finish());
    }
    return out;
  }

  function v6Fragments(src: string, dst: string, udpDatagram: Uint8Array, size: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let off = 0; off < udpDatagram.length; off += size) {
      const part = udpDatagram.subarray(off, off + size);
      const more = off + size < udpDatagram.length;
      const w = new ByteWriter()
        .u32(0x60000000)
        .u16(8 + part.length)
        .u8(44)
        .u8(64)
        .ip(src)
        .ip(dst);
      w.u8(17)
        .u8(0)
        .u16(off | (more ? 1 : 0))
        .u32(0xabcdef01)
        .bytes(part);
      out.push(w.finish());
    }
    return out;
  }

  const big = new Uint8Array(3000).map((_, i) => (i * 7) & 255);

  it('reassembles an IPv4 datagram from fragments arriving out of order', () => {
    const whole = ipv4Udp('198.51.100.1', '203.0.113.1', 50000, 2055, big);
    const frags = v4Fragments(whole, 1480);
    expect(frags.length).toBe(3);
    const order = [frags[2], frags[0], frags[1]];
    const got = [
      ...readCapture(
        classicPcap(
          LINKTYPE.RAW,
          order.map((data, i) => ({ sec: i, frac: 0, data })),
        ),
      ),
    ];
    expect(got.length).toBe(1);
    expect(got[0].frame).toBe(3);
    expect([got[0].src, got[0].srcPort, got[0].dstPort]).toEqual(['198.51.100.1', 50000, 2055]);
    expect(got[0].payload).toEqual(big);
  });

  it('reassembles IPv6 fragments (fragment extension header)', () => {
    const udpDatagram = new ByteWriter()
      .u16(50000)
      .u16(2055)
      .u16(8 + big.length)
      .u16(0)
      .bytes(big)
      .finish();
    const frags = v6Fragments('2001:db8::1', '2001:db8::2', udpDatagram, 1232);
    const got = [
      ...readCapture(
        classicPcap(
          LINKTYPE.RAW,
          frags.map((data, i) => ({ sec: i, frac: 0, data })),
        ),
      ),
    ];
    expect(got.map((p) => [p.src, p.dst, p.srcPort, p.dstPort])).toEqual([
      ['2001:db8::1', '2001:db8::2', 50000, 2055],
    ]);
    expect(got[0].payload).toEqual(big);
  });

  it('yields nothing for a datagram with a missing fragment', () => {
    const frags = v4Fragments(ipv4Udp('198.51.100.1', '203.0.113.1', 50000, 2055, big), 1480);
    const file = classicPcap(
      LINKTYPE.RAW,
      [frags[0], frags[2]].map((data) => ({ sec: 0, frac: 0, data })),
    );
    expect([...readCapture(file)]).toEqual([]);
  });
});

describe('TCP reassembly bounds', () => {
  it('gives up on a gap that never fills once the held bytes exceed the limit, and goes on', () => {
    const r = new TcpReassembler({ maxBufferedPerConn: 100 });
    const key = 'a>b';
    const seg = (seq: number, len: number, fill: number) => ({
      key,
      seq,
      syn: false,
      fin: false,
      rst: false,
      payload: new Uint8Array(len).fill(fill),
    });
    expect(r.push(seg(1000, 10, 1)).data.length).toBe(10);
    // Bytes 1010..1019 are lost; later segments are held until the limit is passed.
    expect(r.push(seg(1020, 60, 2)).data.length).toBe(0);
    const out = r.push(seg(1080, 60, 3)).data;
    expect(out.length).toBe(120);
    expect(r.lostBytes).toBe(10);
    expect(r.push(seg(1140, 5, 4)).data).toEqual(new Uint8Array(5).fill(4));
  });
});
