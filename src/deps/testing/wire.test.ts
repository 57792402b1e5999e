import { describe, expect, it } from 'vitest';
import { BIFLOW_FIELDS } from '../../core/biflow-fields.js';
import { buildTruthSet } from './scenarios.js';

const num = (v: unknown): number => Number(v);

describe('the truth set reaches discovery through the wire', () => {
  const net = buildTruthSet(1);
  const pairs = net.wire;

  it('uses every kind of exporter: v9, IPFIX biflows, NSEL over v9, sFlow at several rates', () => {
    const perExporter = new Map<string, number>();
    for (const p of pairs) perExporter.set(p.got.exporter_ip, (perExporter.get(p.got.exporter_ip) ?? 0) + 1);
    expect([...perExporter.keys()].sort()).toEqual([
      '10.255.0.1',
      '10.255.0.2',
      '10.255.0.3',
      '10.255.0.4',
      '10.255.1.2',
      '10.255.1.20',
      '10.255.1.64',
    ]);
    expect(new Set(pairs.map((p) => p.got.protocol_type))).toEqual(
      new Set(['netflow_v9', 'ipfix', 'sflow_v5']),
    );
  });

  it('every decoded record says what its exporter sent', () => {
    for (const { via, sent, got } of pairs) {
      const at = `${via.address} ${sent.srcIp}:${sent.srcPort} -> ${sent.dstIp}:${sent.dstPort}`;
      expect([got.src_ip, got.dst_ip, got.src_port, got.dst_port, got.ip_protocol], at).toEqual([
        sent.srcIp,
        sent.dstIp,
        sent.srcPort,
        sent.dstPort,
        sent.protocol,
      ]);
      expect(got.sampling_rate, at).toBe(via.samplingRate ?? 1);
      // NSEL records carry no TCP flags: unknown, not zero.
      if (sent.protocol === 6) expect(got.tcp_flags, at).toBe(via.nsel ? null : sent.tcpFlags);
      if (via.protocol === 'sflow') continue; // one sampled packet: its frame length, timed at export
      expect([num(got.bytes_total), num(got.packets_total), got.flow_start, got.flow_end], at).toEqual([
        sent.bytes,
        sent.packets,
        sent.start,
        sent.end,
      ]);
    }
  });

  it('biflow and NSEL records keep the fields the biflow rule reads', () => {
    const biflows = pairs.filter((p) => p.sent.reverse);
    const nsel = pairs.filter((p) => p.sent.responder);
    expect(biflows.length).toBeGreaterThan(10);
    expect(nsel.length).toBeGreaterThanOrEqual(3);
    for (const { sent, got } of biflows) {
      const x = got.extended_fields;
      const r = sent.reverse!;
      expect(num(x[BIFLOW_FIELDS.direction])).toBe(r.direction);
      expect(num(x[BIFLOW_FIELDS.reverseBytes[0]])).toBe(r.bytes);
      expect(num(x[BIFLOW_FIELDS.reversePackets[0]])).toBe(r.packets);
      expect(num(x[BIFLOW_FIELDS.reverseFlags])).toBe(r.tcpFlags);
    }
    for (const { sent, got } of nsel) {
      const x = got.extended_fields;
      expect(num(x.initiatorOctets)).toBe(sent.bytes);
      expect(num(x.responderOctets)).toBe(sent.responder!.bytes);
      expect(num(x.responderPackets)).toBe(sent.responder!.packets);
    }
  });
});
