/** sFlow v5 edge cases built byte by byte (ByteWriter), expected values computed by hand from the spec. */
import { describe, expect, it } from 'vitest';
import { decodeSflow, type SflowFlowSample } from '../decode/sflow/index.js';
import {
  ByteWriter,
  datagram,
  ethIpv4Tcp,
  extendedSwitch,
  flowSample,
  rawHeader,
  tlv,
} from '../decode/sflow/testing/build.js';
import { ExporterState } from '../decode/state.js';
import type { Datagram } from '../decode/types.js';
import { normalizeSflowSample } from './sflow.js';

const dg = (bytes: Uint8Array, exporter = '192.0.2.10'): Datagram => ({
  bytes,
  exporter,
  exporterPort: 6343,
  receivedAt: 1_700_000_000_000,
});

const frame = ethIpv4Tcp({
  src: '10.0.0.1',
  dst: '10.0.0.2',
  sport: 40000,
  dport: 443,
  flags: 0x02,
  vlan: 42,
});

describe('sFlow v5 decoder, built datagrams', () => {
  it('expanded flow samples: interface format bits (local, discard, multiple)', () => {
    const bytes = datagram([
      flowSample([rawHeader(frame)], { input: [0, 0x3fffffff], output: [1, 258] }, true),
      flowSample([rawHeader(frame)], { input: [0, 7], output: [2, 5] }, true),
      // compact: format in the top 2 bits of the word
      flowSample([rawHeader(frame)], { input: [0, 9], output: [2, 0] }),
    ]);
    const out = decodeSflow(dg(bytes), new ExporterState('192.0.2.10'));
    expect(out.errors).toEqual([]);
    const recs = out.records.map((s) => normalizeSflowSample(s, dg(bytes), {}));
    expect(recs[0]).toMatchObject({ input_interface: null, output_interface: null });
    expect(recs[0].extended_fields).toMatchObject({
      input_format: 0,
      input_local: true,
      output_format: 1,
      discard_reason: 258,
    });
    expect(recs[1]).toMatchObject({ input_interface: 7, output_interface: null });
    expect(recs[1].extended_fields).toMatchObject({ output_format: 2, output_interface_count: 5 });
    expect(recs[2]).toMatchObject({ input_interface: 9, output_interface: null });
    expect(recs[2].extended_fields).toMatchObject({ output_format: 2, output_interface_count: 0 });
    expect((out.records[2] as SflowFlowSample).expanded).toBe(false);
  });

  it('unknown record types are skipped by length, counted, kept raw, and the next record decoded', () => {
    const bytes = datagram([
      flowSample([
        rawHeader(frame),
        tlv(999, new Uint8Array([1, 2, 3, 4, 5, 6])), // unknown standard format, odd length
        tlv(7, new Uint8Array(12), 4413), // an enterprise record
        extendedSwitch(100, 200, 1, 2),
      ]),
      tlv(77, new Uint8Array(20)), // unknown sample type
      flowSample([extendedSwitch(300, 400)]),
    ]);
    const state = new ExporterState('192.0.2.10');
    const out = decodeSflow(dg(bytes), state);
    expect(out.errors).toEqual([]);
    expect(out.records).toHaveLength(2);
    const s = out.records[0] as SflowFlowSample;
    expect(s.records.map((r) => r.kind)).toEqual(['sampled_header', 'unknown', 'unknown', 'extended_switch']);
    expect(s.records[3]).toMatchObject({ srcVlan: 100, dstVlan: 200, srcPriority: 1, dstPriority: 2 });
    // 2 unknown records + 1 unknown sample type: stats.errors.unsupported (not DecodeErrors).
    expect(state.domain('sflow_v5', 0).errors.unsupported).toBe(3);
    const rec = normalizeSflowSample(s, dg(bytes), {});
    expect(rec).toMatchObject({
      src_vlan: 100,
      dst_vlan: 200,
      src_ip: '10.0.0.1',
      dst_port: 443,
      tcp_flags: 2,
    });
    expect(rec.extended_fields.unknown_records).toEqual([
      { enterprise: 0, format: 999, data: new Uint8Array([1, 2, 3, 4, 5, 6]) },
      { enterprise: 4413, format: 7, data: new Uint8Array(12) },
    ]);
    expect((out.records[1] as SflowFlowSample).records[0]).toMatchObject({ srcVlan: 300 });
  });

  it('sample count larger than present: the samples present, then bad_count; 2^31 allocates nothing', () => {
    for (const count of [3, 0x80000000, 0xffffffff]) {
      const bytes = datagram([flowSample([rawHeader(frame)])], { count });
      const out = decodeSflow(dg(bytes), new ExporterState('x'));
      expect(out.records).toHaveLength(1);
      expect(out.errors.map((e) => e.code)).toEqual(['bad_count']);
      expect(out.errors[0].context).toMatchObject({ exporter: '192.0.2.10', version: 5, domain: 0, count });
    }
  });

  it('record count larger than present: records present kept, bad_count with context', () => {
    const bytes = datagram([flowSample([rawHeader(frame), extendedSwitch(1, 2)], { count: 0x7fffffff })]);
    const out = decodeSflow(dg(bytes), new ExporterState('x'));
    expect((out.records[0] as SflowFlowSample).records).toHaveLength(2);
    expect(out.errors.map((e) => e.code)).toEqual(['bad_count']);
  });

  it('a malformed record is reported and the following record still decoded', () => {
    // extended_gateway claiming 1000 AS path segments in 16 bytes.
    const bad = tlv(1003, new ByteWriter().u32(1).ip('192.0.2.1').u32(1).u32(2).u32(3).u32(1000).finish());
    const bytes = datagram([flowSample([bad, extendedSwitch(5, 6)])]);
    const out = decodeSflow(dg(bytes), new ExporterState('x'));
    expect(out.errors.map((e) => [e.code, e.context.recordFormat])).toEqual([['bad_count', 1003]]);
    expect((out.records[0] as SflowFlowSample).records).toMatchObject([
      { kind: 'extended_switch', srcVlan: 5 },
    ]);
  });

  it('datagram sequence per sub-agent; IPv6 agent is the exporter; UDP source kept when different', () => {
    const state = new ExporterState('2001:db8::99');
    for (const seq of [10, 11, 14]) {
      decodeSflow(
        dg(datagram([], { agent: '2001:db8::1', subAgent: 3, sequence: seq }), '2001:db8::99'),
        state,
      );
    }
    const s = state.domain('sflow_v5', 3);
    expect(s).toMatchObject({ datagrams: 3, sequenceLost: 2, lastSequence: 15 });
    const bytes = datagram([flowSample([rawHeader(frame)])], { agent: '2001:db8::1', subAgent: 3 });
    const out = decodeSflow(dg(bytes, '2001:db8::99'), state);
    const rec = normalizeSflowSample(out.records[0], dg(bytes, '2001:db8::99'), {});
    expect(rec).toMatchObject({ exporter_ip: '2001:db8::1', exporter_id: 3, protocol_type: 'sflow_v5' });
    expect(rec.extended_fields.udp_source_ip).toBe('2001:db8::99');
  });

  it('normalization: one packet, frame length, sampling precedence, receive time', () => {
    const bytes = datagram([flowSample([rawHeader(frame, 1, 1518)], { rate: 2048, pool: 99, drops: 3 })]);
    const d = dg(bytes);
    const [s] = decodeSflow(d, new ExporterState('x')).records;
    const rec = normalizeSflowSample(s, d, {});
    expect(rec).toMatchObject({
      flow_start: d.receivedAt,
      flow_end: d.receivedAt,
      bytes_total: 1518,
      packets_total: 1,
      sampling_rate: 2048,
      src_vlan: 42, // no extended switch: the 802.1Q tag of the sampled header
      extended_fields: {
        sampling_source: 'sflow',
        sample_pool: 99,
        drops: 3,
        frame_length: 1518,
        stripped: 4,
      },
    });
    const forced = normalizeSflowSample(s, d, {
      samplingOverride: { '192.0.2.10': 100 },
      samplingDefault: 7,
    });
    expect([forced.sampling_rate, forced.extended_fields.sampling_source]).toEqual([100, 'config_override']);
    const zero = datagram([flowSample([rawHeader(frame)], { rate: 0 })]);
    const [z] = decodeSflow(dg(zero), new ExporterState('x')).records;
    const def = normalizeSflowSample(z, dg(zero), { samplingDefault: 7 });
    expect([def.sampling_rate, def.extended_fields.sampling_source]).toEqual([7, 'config_default']);
  });

  it('extended gateway: dst_as = last AS of the path, communities as hi:lo; router next hop and masks', () => {
    const gw = new ByteWriter().u32(1).ip('203.0.113.1').u32(65000).u32(64500).u32(64501);
    gw.u32(2).u32(2).u32(2).u32(64501).u32(3356).u32(1).u32(2).u32(15169).u32(36040); // SEQUENCE, SET
    gw.u32(2)
      .u32((65000 << 16) | 100)
      .u32((3356 << 16) | 2)
      .u32(250);
    const router = new ByteWriter().u32(2).ip('2001:db8::fe').u32(24).u32(48);
    const bytes = datagram([
      flowSample([rawHeader(frame), tlv(1003, gw.finish()), tlv(1002, router.finish())]),
    ]);
    const [s] = decodeSflow(dg(bytes), new ExporterState('x')).records;
    const rec = normalizeSflowSample(s, dg(bytes), {});
    expect(rec).toMatchObject({ src_as: 64500, dst_as: 36040, next_hop: '2001:db8::fe' });
    expect(rec.extended_fields.extended_gateway).toMatchObject({
      as_path: [64501, 3356, 15169, 36040],
      communities: ['65000:100', '3356:2'],
      local_pref: 250,
      as_path_segments: [
        { type: 2, asns: [64501, 3356] },
        { type: 1, asns: [15169, 36040] },
      ],
    });
    expect(rec.extended_fields.extended_router).toEqual({
      next_hop: '2001:db8::fe',
      src_mask: 24,
      dst_mask: 48,
    });
    // Empty path: the destination is in the router's own AS.
    const local = new ByteWriter().u32(1).ip('203.0.113.1').u32(65000).u32(0).u32(0).u32(0).u32(0).u32(100);
    const b2 = datagram([flowSample([tlv(1003, local.finish())])]);
    const [s2] = decodeSflow(dg(b2), new ExporterState('x')).records;
    expect(normalizeSflowSample(s2, dg(b2), {}).dst_as).toBe(65000);
  });

  it('IPv4 data record only (no header): addresses and length from it; unknown header protocol kept raw', () => {
    const ip = new ByteWriter()
      .u32(1400)
      .u32(17)
      .ip('192.0.2.5')
      .ip('198.51.100.6')
      .u32(123)
      .u32(123)
      .u32(0)
      .u32(0x20);
    const ppp = rawHeader(new Uint8Array([0xff, 0x03, 0x00, 0x21, 0x45]), 7, 1500);
    const bytes = datagram([flowSample([tlv(3, ip.finish())]), flowSample([ppp])]);
    const [a, b] = decodeSflow(dg(bytes), new ExporterState('x')).records;
    expect(normalizeSflowSample(a, dg(bytes), {})).toMatchObject({
      src_ip: '192.0.2.5',
      dst_ip: '198.51.100.6',
      ip_protocol: 17,
      src_port: 123,
      tos: 0x20,
      bytes_total: 1400,
    });
    const r = normalizeSflowSample(b, dg(bytes), {});
    expect(r).toMatchObject({ src_ip: null, bytes_total: 1500, extended_fields: { header_protocol: 7 } });
    expect(r.extended_fields.sampled_header).toEqual(new Uint8Array([0xff, 0x03, 0x00, 0x21, 0x45]));
  });

  it('counter samples become sflow_counters records with the counters in extended_fields', () => {
    const generic = new ByteWriter()
      .u32(5)
      .u32(6)
      .u64(10_000_000_000)
      .u32(1)
      .u32(3)
      .u64(2n ** 60n);
    for (let i = 0; i < 6; i++) generic.u32(i);
    generic.u64(77);
    for (let i = 0; i < 6; i++) generic.u32(10 + i);
    const cs = new ByteWriter().u32(9).u32(5).u32(1).bytes(tlv(1, generic.finish()));
    const bytes = datagram([tlv(2, cs.finish())]);
    const out = decodeSflow(dg(bytes), new ExporterState('x'));
    expect(out.errors).toEqual([]);
    const rec = normalizeSflowSample(out.records[0], dg(bytes), {});
    expect(rec.record_type).toBe('sflow_counters');
    expect(rec.input_interface).toBe(5);
    expect(rec.extended_fields.counters).toMatchObject({
      generic_interface: {
        if_index: 5,
        if_speed: 10_000_000_000,
        if_in_octets: 2n ** 60n,
        if_out_octets: 77,
        if_promiscuous_mode: 15,
      },
    });
  });

  it('bad version, bad agent type, empty bytes: typed errors, nothing thrown', () => {
    const v4 = new ByteWriter().u32(4).u32(1).ip('1.2.3.4').zeros(16).finish();
    const badAgent = new ByteWriter().u32(5).u32(3).zeros(40).finish();
    expect(decodeSflow(dg(v4), new ExporterState('x')).errors[0].code).toBe('bad_version');
    expect(decodeSflow(dg(badAgent), new ExporterState('x')).errors[0].code).toBe('bad_address');
    expect(decodeSflow(dg(new Uint8Array()), new ExporterState('x')).errors[0].code).toBe('truncated');
  });
});
