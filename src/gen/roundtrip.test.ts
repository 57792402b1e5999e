import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/record.js';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import { createExporter, type ExporterOptions, type GenFlow, type GenProtocol } from './index.js';

/**
 * Round trip through the project's decoders: what the generator says it put on the wire must be exactly
 * what FlowDecoder (decode + normalize) returns, record by record and in total. The encoders were also
 * checked against Wireshark/tshark 4.0 (every field of every record: scripts/tshark-check, src/gen/README.md).
 */

const START = 1_700_000_000_123;
const EXPORTER = '192.0.2.9';

interface Case {
  name: string;
  opts: ExporterOptions;
  protocol: string;
}

const cases: Case[] = [
  { name: 'v5 unsampled', protocol: 'netflow_v5', opts: { protocol: 'v5' } },
  {
    name: 'v5 sampled 1:64',
    protocol: 'netflow_v5',
    opts: { protocol: 'v5', samplingRate: 64, exporterId: 7 },
  },
  { name: 'v9 unsampled', protocol: 'netflow_v9', opts: { protocol: 'v9', traffic: { ipv6Share: 0.4 } } },
  {
    name: 'v9 sampler options 1:100',
    protocol: 'netflow_v9',
    opts: { protocol: 'v9', samplingRate: 100, exporterId: 12, templateRefresh: 4 },
  },
  { name: 'ipfix unsampled', protocol: 'ipfix', opts: { protocol: 'ipfix', exporterId: 99 } },
  {
    name: 'ipfix sampled + variable-length applicationName',
    protocol: 'ipfix',
    opts: { protocol: 'ipfix', samplingRate: 512, variableLength: true, traffic: { ipv6Share: 0.5 } },
  },
  {
    name: 'sflow compact',
    protocol: 'sflow_v5',
    opts: { protocol: 'sflow', samplingRate: 2048, agentAddress: '198.51.100.7' },
  },
  {
    name: 'sflow expanded',
    protocol: 'sflow_v5',
    opts: { protocol: 'sflow', samplingRate: 10, expandedSamples: true, exporterId: 4, counterEvery: 2 },
  },
];

function expectSame(rec: FlowRecord, f: GenFlow, protocol: GenProtocol, rate: number): void {
  const want: Record<string, unknown> = {
    src_ip: f.srcIp,
    dst_ip: f.dstIp,
    src_port: f.srcPort,
    dst_port: f.dstPort,
    ip_protocol: f.protocol,
    bytes_total: f.bytes,
    packets_total: f.packets,
    tcp_flags: f.tcpFlags,
    tos: f.tos,
    sampling_rate: rate,
    flow_start: f.start,
    flow_end: f.end,
  };
  if (protocol !== 'sflow') {
    Object.assign(want, {
      input_interface: f.inputIf,
      output_interface: f.outputIf,
      src_as: f.srcAs,
      dst_as: f.dstAs,
      next_hop: f.nextHop,
    });
  } else {
    // A sampled packet without a TCP header has no TCP flags at all.
    Object.assign(want, {
      input_interface: f.inputIf,
      output_interface: f.outputIf,
      tcp_flags: f.protocol === 6 ? f.tcpFlags : null,
    });
  }
  if (protocol === 'v9' || protocol === 'ipfix' || protocol === 'sflow') {
    Object.assign(want, { src_vlan: f.srcVlan, dst_vlan: f.dstVlan });
  }
  if (protocol === 'v9' || protocol === 'ipfix') want.direction = f.direction;
  const got: Record<string, unknown> = {};
  for (const k of Object.keys(want)) got[k] = rec[k as keyof FlowRecord];
  expect(got).toEqual(want);
}

describe('generated exports decode to exactly what was generated', () => {
  for (const c of cases) {
    it(c.name, () => {
      const exp = createExporter({ seed: 42, bootTime: START - 86_400_000, ...c.opts });
      const dec = new FlowDecoder();
      const sent: GenFlow[] = [];
      const got: FlowRecord[] = [];
      for (let i = 0; i < 60; i++) {
        const now = START + i * 333;
        const p = exp.next(now);
        sent.push(...p.flows);
        const out = dec.decode({ bytes: p.bytes, exporter: EXPORTER, exporterPort: 40000, receivedAt: now });
        expect(out.errors).toEqual([]);
        expect(out.protocol).toBe(c.protocol);
        expect(out.records.length).toBe(p.flows.length);
        got.push(...out.records);
      }
      const t = exp.totals();
      expect(got.length).toBe(t.flows);
      for (let i = 0; i < sent.length; i++) expectSame(got[i], sent[i], c.opts.protocol, exp.samplingRate);

      // Totals, independently summed from the decoded records.
      let bytes = 0;
      let packets = 0;
      let v6 = 0;
      for (const r of got) {
        bytes += Number(r.bytes_total);
        packets += Number(r.packets_total);
        if (r.src_ip?.includes(':')) v6++;
      }
      expect({ bytes, packets, flows: got.length, ipv6: v6 }).toEqual({
        bytes: t.bytes,
        packets: t.packets,
        flows: t.flows,
        ipv6: t.ipv6Flows,
      });
      // sFlow names its exporter in the datagram (agent address); the others are known by the UDP source.
      const exporterIp = c.opts.protocol === 'sflow' ? (c.opts.agentAddress ?? '192.0.2.1') : EXPORTER;
      for (const r of got) expect(r.exporter_ip).toBe(exporterIp);

      // The exporter's sequence numbers are consistent: the decoder sees no loss and no reset.
      for (const s of dec.stats()) {
        expect(s.sequenceLost, `${s.protocol} domain ${s.domain}`).toBe(0);
        expect(s.sequenceResets).toBe(0);
      }
    });
  }

  it('ipfix applicationName (variable length) arrives in extended_fields', () => {
    const exp = createExporter({ protocol: 'ipfix', variableLength: true, seed: 3 });
    const dec = new FlowDecoder();
    const p = exp.next(START);
    const out = dec.decode({ bytes: p.bytes, exporter: EXPORTER, exporterPort: 1, receivedAt: START });
    expect(out.records.map((r) => r.extended_fields.applicationName)).toEqual(p.flows.map((f) => f.app));
  });

  it('sampling source is reported where the exporter put the rate', () => {
    const sources: Record<string, unknown> = {};
    for (const protocol of ['v5', 'v9', 'ipfix', 'sflow'] as const) {
      const exp = createExporter({ protocol, samplingRate: 50 });
      const dec = new FlowDecoder();
      const p = exp.next(START);
      const out = dec.decode({ bytes: p.bytes, exporter: EXPORTER, exporterPort: 1, receivedAt: START });
      sources[protocol] = [
        ...new Set(out.records.map((r) => `${r.sampling_rate}/${r.extended_fields.sampling_source}`)),
      ];
    }
    expect(sources).toEqual({
      v5: ['50/v5_header'],
      v9: ['50/options'],
      ipfix: ['50/options'],
      sflow: ['50/sflow'],
    });
  });
});
