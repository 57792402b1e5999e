import { describe, expect, it } from 'vitest';
import { Prng } from '../core/prng.js';
import { readCapture } from '../wire/pcap.js';
import { createExporter, GEN_PROTOCOLS, PacketSource } from './index.js';
import { writePcap } from './pcap.js';

const START = 1_700_000_000_000;
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** FlowSet / Set ids of a v9 (header 20) or IPFIX (header 16) message, walked by hand. */
function setIds(b: Uint8Array, headerLen: number): number[] {
  const v = view(b);
  const ids: number[] = [];
  for (let off = headerLen; off + 4 <= b.length; ) {
    ids.push(v.getUint16(off));
    const len = v.getUint16(off + 2);
    expect(len % 4).toBe(0); // every set padded to 4 bytes
    expect(len).toBeGreaterThanOrEqual(4);
    off += len;
  }
  return ids;
}

describe('Prng', () => {
  it('is deterministic per seed and uniform enough', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 1000 }, () => a.u32());
    expect(Array.from({ length: 1000 }, () => b.u32())).toEqual(xs);
    expect(new Prng(6).u32()).not.toBe(xs[0]);
    const r = new Prng(9);
    let low = 0;
    for (let i = 0; i < 10000; i++) if (r.float() < 0.5) low++;
    expect(low).toBeGreaterThan(4800);
    expect(low).toBeLessThan(5200);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 7);
      expect(n >= 3 && n <= 7).toBe(true);
    }
  });
});

describe('createExporter', () => {
  for (const protocol of GEN_PROTOCOLS) {
    it(`${protocol}: same seed gives the same bytes, another seed other bytes`, () => {
      const run = (seed: number) => {
        const e = createExporter({ protocol, seed, samplingRate: 10 });
        return Array.from({ length: 5 }, (_, i) =>
          Buffer.from(e.nextPacket(START + i * 1000)).toString('hex'),
        );
      };
      expect(run(1)).toEqual(run(1));
      expect(run(2)).not.toEqual(run(1));
    });

    it(`${protocol}: datagrams stay within the MTU and totals add up`, () => {
      const e = createExporter({ protocol, mtu: 900, traffic: { ipv6Share: 0.5 } });
      let flows = 0;
      let bytes = 0;
      let wire = 0;
      for (let i = 0; i < 50; i++) {
        const p = e.next(START + i * 100);
        expect(p.bytes.length).toBeLessThanOrEqual(900);
        expect(p.flows.length).toBeGreaterThan(0);
        flows += p.flows.length;
        wire += p.bytes.length;
        for (const f of p.flows) bytes += f.bytes;
      }
      const t = e.totals();
      expect(t.datagrams).toBe(50);
      expect(t.flows).toBe(flows);
      expect(t.bytes).toBe(bytes);
      expect(t.wireBytes).toBe(wire);
      expect(t.ipv4Flows + t.ipv6Flows).toBe(flows);
      const per = Object.values(t.byIpProtocol);
      expect(per.reduce((n, p) => n + p.flows, 0)).toBe(t.flows);
      expect(per.reduce((n, p) => n + p.bytes, 0)).toBe(t.bytes);
      expect(per.reduce((n, p) => n + p.packets, 0)).toBe(t.packets);
      if (protocol === 'v5') expect(t.ipv6Flows).toBe(0);
      else expect(t.ipv6Flows).toBeGreaterThan(0);
    });
  }

  it('v5: header fields as the Cisco format lays them out', () => {
    const boot = START - 60_000;
    const e = createExporter({ protocol: 'v5', exporterId: 9, samplingRate: 100, bootTime: boot });
    const now = START + 456;
    const p = e.next(now);
    const v = view(p.bytes);
    expect(v.getUint16(0)).toBe(5);
    expect(v.getUint16(2)).toBe(p.flows.length);
    expect(p.flows.length).toBeLessThanOrEqual(30);
    expect(p.bytes.length).toBe(24 + 48 * p.flows.length);
    expect(v.getUint32(4)).toBe(60_456); // sysUptime
    expect(v.getUint32(8)).toBe(1_700_000_000);
    expect(v.getUint32(12)).toBe(456_000_000);
    expect(v.getUint32(16)).toBe(0); // flow sequence of the first datagram
    expect(v.getUint8(21)).toBe(9); // engine id
    expect(v.getUint16(22)).toBe((2 << 14) | 100); // random sampling, 1:100
    // Second datagram's sequence = flows sent before it.
    const v2 = view(e.next(now + 1000).bytes);
    expect(v2.getUint32(16)).toBe(p.flows.length);
    // First record: source address and octets.
    const f = p.flows[0];
    expect(`${p.bytes[24]}.${p.bytes[25]}.${p.bytes[26]}.${p.bytes[27]}`).toBe(f.srcIp);
    expect(v.getUint32(24 + 20)).toBe(f.bytes);
    expect(v.getUint32(24 + 24)).toBe(f.start - boot);
  });

  it('v9: templates and sampler options every N packets; count covers every record', () => {
    const e = createExporter({
      protocol: 'v9',
      samplingRate: 10,
      templateRefresh: 3,
      traffic: { ipv6Share: 0 },
    });
    for (let i = 0; i < 7; i++) {
      const p = e.next(START + i * 1000);
      const ids = setIds(p.bytes, 20);
      const v = view(p.bytes);
      expect(v.getUint16(0)).toBe(9);
      expect(v.getUint32(12)).toBe(i); // packet sequence
      if (i % 3 === 0) {
        expect(ids.slice(0, 3)).toEqual([0, 1, 258]);
        expect(p.templates).toBe(3);
        expect(p.optionsRecords).toBe(1);
        expect(v.getUint16(2)).toBe(p.flows.length + 3 + 1);
      } else {
        expect(ids).not.toContain(0);
        expect(v.getUint16(2)).toBe(p.flows.length);
      }
      expect(ids.filter((id) => id >= 256 && id !== 258).length).toBeGreaterThan(0);
    }
  });

  it('ipfix: message length, sequence counts data records, set padding', () => {
    const e = createExporter({ protocol: 'ipfix', samplingRate: 4, exporterId: 77, variableLength: true });
    let before = 0;
    for (let i = 0; i < 4; i++) {
      const p = e.next(START + i * 1000);
      const v = view(p.bytes);
      expect(v.getUint16(0)).toBe(10);
      expect(v.getUint16(2)).toBe(p.bytes.length);
      expect(v.getUint32(8)).toBe(before);
      expect(v.getUint32(12)).toBe(77);
      const ids = setIds(p.bytes, 16);
      if (i === 0) expect(ids.slice(0, 3)).toEqual([2, 3, 258]);
      before += p.flows.length + p.optionsRecords;
    }
  });

  it('sflow: sample count in the header = flow samples + counter samples', () => {
    const e = createExporter({ protocol: 'sflow', counterEvery: 2, agentAddress: '2001:db8::5' });
    for (let i = 0; i < 6; i++) {
      const p = e.next(START + i * 1000);
      const v = view(p.bytes);
      expect(v.getUint32(0)).toBe(5);
      expect(v.getUint32(4)).toBe(2); // IPv6 agent
      expect(v.getUint32(28)).toBe(i + 1); // datagram sequence
      expect(v.getUint32(36)).toBe(p.flows.length + p.counterSamples);
      if (i % 2 === 0) expect(p.counterSamples).toBe(0);
      for (const f of p.flows) expect(f.packets).toBe(1);
    }
    expect(e.totals().counterSamples).toBeGreaterThan(0);
  });

  it('next(now, limit) cuts the datagram to the limit and carries the rest over', () => {
    const a = createExporter({ protocol: 'ipfix', seed: 4 });
    const b = createExporter({ protocol: 'ipfix', seed: 4 });
    const first = a.next(START, 3).flows;
    expect(first.length).toBe(3);
    const cut = [...first, ...a.next(START).flows];
    const whole = b.next(START).flows;
    expect(cut.slice(0, whole.length)).toEqual(whole);
    expect(a.totals().flows).toBe(cut.length);
  });

  it('refuses what it cannot encode honestly', () => {
    expect(() => createExporter({ protocol: 'v5' }).next(START + 0.5)).toThrow(/integer/);
    expect(() => createExporter({ protocol: 'v9', bootTime: START }).next(START)).toThrow(/bootTime/);
  });
});

describe('PacketSource', () => {
  it('takes datagrams from its exporters in turn on a virtual clock, with exact totals', () => {
    const src = new PacketSource({
      start: START,
      packetsPerSecond: 4,
      exporters: [{ protocol: 'v5' }, { protocol: 'ipfix', address: '198.51.100.1', port: 9999 }],
    });
    const got = [...src.take(4)];
    expect(got.map((p) => [p.protocol, p.exporter, p.exporterPort, p.receivedAt])).toEqual([
      ['v5', '192.0.2.1', 50000, START],
      ['ipfix', '198.51.100.1', 9999, START + 250],
      ['v5', '192.0.2.1', 50000, START + 500],
      ['ipfix', '198.51.100.1', 9999, START + 750],
    ]);
    const t = src.totals();
    expect(t.all.datagrams).toBe(4);
    expect(t.all.flows).toBe(got.reduce((n, p) => n + p.flows.length, 0));
    expect(t.all.wireBytes).toBe(got.reduce((n, p) => n + p.bytes.length, 0));
    expect(t.byExporter.map((e) => e.datagrams)).toEqual([2, 2]);
  });
});

describe('writePcap', () => {
  it('writes datagrams that the project pcap reader gives back unchanged', () => {
    const e = createExporter({ protocol: 'sflow' });
    const dgs = Array.from({ length: 3 }, (_, i) => ({
      bytes: e.nextPacket(START + i * 10),
      src: '192.0.2.9',
      dst: '192.0.2.10',
      srcPort: 40000 + i,
      dstPort: 6343,
      time: START + i * 10,
    }));
    const back = [...readCapture(writePcap(dgs))];
    expect(
      back.map((p) => [p.src, p.dst, p.srcPort, p.dstPort, p.transport, Math.round(p.timestamp)]),
    ).toEqual(dgs.map((d) => [d.src, d.dst, d.srcPort, d.dstPort, 'udp', d.time]));
    for (let i = 0; i < 3; i++)
      expect(Buffer.from(back[i].payload).equals(Buffer.from(dgs[i].bytes))).toBe(true);
  });
});
