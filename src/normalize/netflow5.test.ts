import { describe, expect, it } from 'vitest';
import { detectProtocol } from '../decode/detect.js';
import { decodeNetflowV5 } from '../decode/netflow5/index.js';
import { v5Datagram } from '../decode/netflow5/testing.js';
import { ExporterState } from '../decode/state.js';
import { capturePayloads } from '../decode/testing/captures.js';
import { type CorpusCapture, listCaptures, loadTruth, type TsharkPacket } from '../decode/testing/corpus.js';
import type { Datagram } from '../decode/types.js';
import { normalizeV5 } from './netflow5.js';

/** tshark prints seconds with 9 decimals; to integer milliseconds without float drift. */
const secToMs = (s: string) => Math.round(Number(s) * 1000);
const num = (v: unknown) => Number(v as string);
/** Age of a switched time at export: sysUptime is a 32-bit millisecond counter, so modulo 2^32. */
const age = (uptimeMs: number, switchedMs: number) =>
  (((uptimeMs - switchedMs) % 2 ** 32) + 2 ** 32) % 2 ** 32;

interface V5Case {
  capture: CorpusCapture;
  packets: TsharkPacket[];
}

/** Every capture whose tshark truth holds NetFlow v5 PDUs (plus the v5 frames sent to the sFlow port). */
function v5Cases(): V5Case[] {
  const out: V5Case[] = [];
  for (const capture of listCaptures()) {
    for (const suffix of ['tshark', 'netflow-v5-frames.tshark']) {
      const truth = loadTruth(capture, suffix);
      const packets = truth?.packets.filter((p) => p.header?.['cflow.version'] === '5') ?? [];
      if (packets.length) out.push({ capture, packets });
    }
  }
  return out;
}

const cases = v5Cases();
const totals = { captures: 0, datagrams: 0, records: 0, fieldsCompared: 0 };

describe('NetFlow v5 against tshark, record by record', () => {
  it('finds the v5 captures of the corpus', () => {
    const names = cases.map((c) => c.capture.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'fluent-plugin-netflow/netflow_v5.pcap',
        'goflow2/netflow_v5.pcap',
        'logstash-codec-netflow/netflow5.pcap',
        'logstash-codec-netflow/netflow5_invalid01.pcap',
        'logstash-codec-netflow/netflow5_invalid02.pcap',
        'logstash-codec-netflow/netflow5_juniper_mx80.pcap',
        'logstash-codec-netflow/netflow5_mikrotik.pcap',
        'tcpdump/sflow_multiple_counter_30_pdus.pcap',
      ]),
    );
  });

  for (const { capture, packets } of cases) {
    it(capture.name, () => {
      const frames = new Map<number, { payload: Uint8Array; src: string; sport: number; ts: number }>();
      for (const p of capturePayloads(capture.path)) {
        if (p.transport === 'udp')
          frames.set(p.frame, { payload: p.payload, src: p.src, sport: p.srcPort, ts: p.timestamp });
      }
      const state = new ExporterState('x');
      totals.captures++;
      for (const pkt of packets) {
        const f = frames.get(pkt.frame);
        expect(f, `frame ${pkt.frame}`).toBeDefined();
        if (!f) continue;
        expect(detectProtocol(f.payload)).toBe('netflow_v5');
        const dg: Datagram = { bytes: f.payload, exporter: f.src, exporterPort: f.sport, receivedAt: f.ts };
        expect(f.src).toBe(pkt.src);
        const out = decodeNetflowV5(dg, state);
        const h = pkt.header!;
        const truthRecords = pkt.records ?? [];
        expect(out.records.length).toBe(truthRecords.length);
        // A count that lies about the bytes present is reported, never trusted.
        const claimed = num(h['cflow.count']);
        if (claimed !== truthRecords.length) {
          expect(out.errors.map((e) => e.code)).toEqual(['bad_count']);
        } else expect(out.errors).toEqual([]);
        totals.datagrams++;
        // The record keeps whole milliseconds (nanoseconds below 1 ms are dropped, not rounded).
        const exportMs = num(h['cflow.unix_secs']) * 1000 + Math.floor(num(h['cflow.unix_nsecs']) / 1e6);
        const uptimeMs = secToMs(h['cflow.sysuptime']);
        const interval = num(h['cflow.samplerate']);
        truthRecords.forEach((t, i) => {
          const r = normalizeV5(out.records[i], dg);
          const expected = {
            src_ip: t['cflow.srcaddr'],
            dst_ip: t['cflow.dstaddr'],
            next_hop: t['cflow.nexthop'],
            src_port: num(t['cflow.srcport']),
            dst_port: num(t['cflow.dstport']),
            ip_protocol: num(t['cflow.protocol']),
            bytes_total: num(t['cflow.octets']),
            packets_total: num(t['cflow.packets']),
            tcp_flags: Number.parseInt(t['cflow.tcpflags'] as string, 16),
            tos: Number.parseInt(t['cflow.tos'] as string, 16),
            input_interface: num(t['cflow.inputint']),
            output_interface: num(t['cflow.outputint']),
            src_as: num(t['cflow.srcas']),
            dst_as: num(t['cflow.dstas']),
            flow_start: exportMs - age(uptimeMs, secToMs(t['cflow.timestart'] as string)),
            flow_end: exportMs - age(uptimeMs, secToMs(t['cflow.timeend'] as string)),
            exporter_id: num(h['cflow.engine_id']),
            sampling_rate: interval > 0 ? interval : 1,
          };
          const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, r[k as keyof typeof r]]));
          expect(actual, `frame ${pkt.frame} record ${i}`).toEqual(expected);
          expect(r.extended_fields).toMatchObject({
            sampling_source: interval > 0 ? 'v5_header' : 'none',
            engine_type: num(h['cflow.engine_type']),
            engine_id: num(h['cflow.engine_id']),
            sampling_mode: num(h['cflow.samplingmode']),
            src_mask: num(t['cflow.srcmask']),
            dst_mask: num(t['cflow.dstmask']),
          });
          expect(r.protocol_type).toBe('netflow_v5');
          expect(r.exporter_ip).toBe(pkt.src);
          totals.records++;
          totals.fieldsCompared += Object.keys(expected).length + 6;
        });
      }
    });
  }

  it('compared every v5 PDU tshark decoded (figures)', () => {
    const truthPdus = cases.reduce((n, c) => n + c.packets.length, 0);
    const truthRecords = cases.reduce(
      (n, c) => n + c.packets.reduce((m, p) => m + (p.records?.length ?? 0), 0),
      0,
    );
    console.log(
      `NetFlow v5 vs tshark: ${totals.captures} captures, ${totals.datagrams}/${truthPdus} datagrams, ` +
        `${totals.records}/${truthRecords} records, ${totals.fieldsCompared} fields equal`,
    );
    expect(totals.datagrams).toBe(truthPdus);
    expect(totals.records).toBe(truthRecords);
    expect(truthPdus).toBeGreaterThanOrEqual(23);
  });
});

const v5 = v5Datagram;
const dgOf = (bytes: Uint8Array): Datagram => ({
  bytes,
  exporter: '192.0.2.254',
  exporterPort: 9995,
  receivedAt: 0,
});

describe('NetFlow v5 normalization edge cases (byte builder)', () => {
  it('splits the sampling field into mode (2 bits) and interval (14 bits)', () => {
    const out = decodeNetflowV5(dgOf(v5({ sampling: (1 << 14) | 100 })), new ExporterState('e'));
    expect(out.records[0].header.samplingMode).toBe(1);
    expect(out.records[0].header.samplingInterval).toBe(100);
    const r = normalizeV5(out.records[0], dgOf(new Uint8Array()));
    expect([r.sampling_rate, r.extended_fields.sampling_source]).toEqual([100, 'v5_header']);
  });

  it('applies sampling precedence: override > header > default > none', () => {
    const sampled = decodeNetflowV5(dgOf(v5({ sampling: 50 })), new ExporterState('e')).records[0];
    const plain = decodeNetflowV5(dgOf(v5({})), new ExporterState('e')).records[0];
    const dg = dgOf(new Uint8Array());
    const over = { samplingOverride: { '192.0.2.254': 1000 }, samplingDefault: 10 };
    expect(normalizeV5(sampled, dg, over)).toMatchObject({
      sampling_rate: 1000,
      extended_fields: { sampling_source: 'config_override' },
    });
    expect(normalizeV5(sampled, dg, { samplingDefault: 10 })).toMatchObject({
      sampling_rate: 50,
      extended_fields: { sampling_source: 'v5_header' },
    });
    expect(normalizeV5(plain, dg, { samplingDefault: 10 })).toMatchObject({
      sampling_rate: 10,
      extended_fields: { sampling_source: 'config_default' },
    });
    expect(normalizeV5(plain, dg)).toMatchObject({
      sampling_rate: 1,
      extended_fields: { sampling_source: 'none' },
    });
  });

  it('decodes every field at its offset', () => {
    const r = normalizeV5(
      decodeNetflowV5(dgOf(v5({})), new ExporterState('e')).records[0],
      dgOf(new Uint8Array()),
    );
    expect(r).toMatchObject({
      src_ip: '192.0.2.1',
      dst_ip: '198.51.100.2',
      next_hop: '203.0.113.9',
      input_interface: 3,
      output_interface: 4,
      packets_total: 10,
      bytes_total: 1500,
      src_port: 443,
      dst_port: 51000,
      tcp_flags: 0x12,
      ip_protocol: 6,
      tos: 0xb8,
      src_as: 64500,
      dst_as: 64501,
      exporter_id: 7,
      // export 1_700_000_000.5 s at uptime 10 s: first 9.0 s -> 1 s before, last 9.5 s -> 0.5 s before.
      flow_start: 1_700_000_000_500 - 1000,
      flow_end: 1_700_000_000_500 - 500,
      extended_fields: { engine_type: 1, engine_id: 7, src_mask: 24, dst_mask: 16 },
    });
  });

  it('keeps times right across a sysUptime wrap, and for a First slightly ahead of sysUptime', () => {
    const start = (uptime: number, first: number) => {
      const bytes = v5({ uptime, first });
      return normalizeV5(decodeNetflowV5(dgOf(bytes), new ExporterState('e')).records[0], dgOf(bytes))
        .flow_start;
    };
    // Flow began 1 s before the 32-bit uptime wrapped; export happens 2 s after the wrap.
    expect(start(2000, 2 ** 32 - 1000)).toBe(1_700_000_000_500 - 3000);
    // 30 days of uptime, flow from 1 minute after boot: 30 days old, not in the future.
    const days30 = 30 * 86_400_000;
    expect(start(days30, 60_000)).toBe(1_700_000_000_500 - (days30 - 60_000));
    // First stamped 20 ms after the header's uptime: 20 ms after export, not 49.7 days before.
    expect(start(10_000, 10_020)).toBe(1_700_000_000_500 + 20);
  });

  it('never ends a flow after its export beyond EXPORT_SKEW_MS: clamped, flagged, reported times kept', () => {
    const norm = (o: { uptime: number; first: number; last: number }) => {
      const bytes = v5(o);
      return normalizeV5(decodeNetflowV5(dgOf(bytes), new ExporterState('e')).records[0], dgOf(bytes));
    };
    const E = 1_700_000_000_500;
    // First/Last 10 minutes ahead of sysUptime (inside the hour ago() does not read as a wrap).
    const ahead = norm({ uptime: 10_000, first: 610_000, last: 612_000 });
    expect([ahead.flow_start, ahead.flow_end]).toEqual([E - 2000, E]);
    expect(ahead.extended_fields).toMatchObject({
      time_source: 'future_clamped',
      flow_start_reported: E + 600_000,
      flow_end_reported: E + 602_000,
    });
    // 20 ms ahead is skew: kept as reported.
    const skew = norm({ uptime: 10_000, first: 9_000, last: 10_020 });
    expect([skew.flow_start, skew.flow_end, skew.extended_fields.time_source]).toEqual([
      E - 1000,
      E + 20,
      'sysuptime',
    ]);
    expect(skew.extended_fields.flow_end_reported).toBeUndefined();
  });
});
