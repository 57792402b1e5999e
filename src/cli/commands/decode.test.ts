import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, listCaptures, loadTruth } from '../../decode/testing/corpus.js';
import { captureIO } from '../testing/io.js';
import { type DecodeSummary, runDecode } from './decode.js';

/** The command run in-process with captured stdout/stderr (the same function the CLI action calls). */
async function run(files: string[], opts: { all?: boolean; summary?: boolean; json?: boolean } = {}) {
  const io = captureIO();
  const exit = await runDecode(files, opts, io);
  io.setExitCode(exit);
  return { stdout: io.out(), stderr: io.err(), code: io.code() };
}

const corpus = (name: string) => `${CORPUS_DIR}/${name}`;
const capture = (name: string) => listCaptures().find((c) => c.name === name)!;
const lines = (s: string) => s.split('\n').filter((l) => l.length > 0);

describe('flowlens decode', () => {
  it('prints one canonical JSON object per v5 record, values as tshark decoded them', async () => {
    const name = 'goflow2/netflow_v5.pcap';
    const { stdout, stderr, code } = await run([corpus(name)], { json: true });
    expect(code).toBe(0);
    const recs = lines(stdout).map((l) => JSON.parse(l));
    const pkt = loadTruth(capture(name))!.packets[0];
    const h = pkt.header!;
    expect(recs.length).toBe(pkt.records!.length);
    const exportMs = Number(h['cflow.unix_secs']) * 1000 + Number(h['cflow.unix_nsecs']) / 1e6;
    recs.forEach((r, i) => {
      const t = pkt.records![i] as Record<string, string>;
      const startMs =
        exportMs -
        (Math.round(Number(h['cflow.sysuptime']) * 1000) - Math.round(Number(t['cflow.timestart']) * 1000));
      expect(r).toMatchObject({
        protocol_type: 'netflow_v5',
        exporter_ip: pkt.src,
        src_ip: t['cflow.srcaddr'],
        dst_ip: t['cflow.dstaddr'],
        src_port: Number(t['cflow.srcport']),
        dst_port: Number(t['cflow.dstport']),
        ip_protocol: Number(t['cflow.protocol']),
        bytes_total: Number(t['cflow.octets']),
        packets_total: Number(t['cflow.packets']),
        tcp_flags: Number.parseInt(t['cflow.tcpflags'], 16),
        exporter_id: Number(h['cflow.engine_id']),
        sampling_rate: 1,
        flow_start: new Date(startMs).toISOString(),
        extended_fields: { sampling_source: 'none', engine_type: Number(h['cflow.engine_type']) },
      });
      // Every canonical column is present (null when absent), in the documented order.
      expect(Object.keys(r)).toEqual([
        'received_at',
        'flow_start',
        'flow_end',
        'exporter_ip',
        'exporter_id',
        'protocol_type',
        'src_ip',
        'dst_ip',
        'src_port',
        'dst_port',
        'ip_protocol',
        'bytes_total',
        'packets_total',
        'tcp_flags',
        'input_interface',
        'output_interface',
        'src_as',
        'dst_as',
        'next_hop',
        'src_vlan',
        'dst_vlan',
        'tos',
        'direction',
        'sampling_rate',
        'extended_fields',
      ]);
      expect(r.src_vlan).toBeNull();
    });
    expect(stderr).toMatch(/datagrams: 1\b/);
    expect(stderr).toMatch(/records: 6 \(netflow_v5 6/);
  });

  it('--summary: one JSON object on stdout with counts that match tshark, no records', async () => {
    const names = [
      'logstash-codec-netflow/netflow5.pcap',
      'logstash-codec-netflow/netflow5_invalid01.pcap',
      'logstash-codec-netflow/netflow9_cisco_asr9k.pcap',
      'pmacct/400-IPFIXv10-BMP-CISCO-SRv6-multiple-sources--traffic-00.pcap',
      'tcpdump/sflow_multiple_counter_30_pdus.pcap',
    ];
    const { stdout, code } = await run(names.map(corpus), { summary: true });
    expect(code).toBe(0);
    expect(lines(stdout).length).toBe(1);
    const s = JSON.parse(stdout) as DecodeSummary;
    const truth = names.map((n) => loadTruth(capture(n))!.summary as Record<string, number>);
    const v5Frames = loadTruth(capture(names[4]), 'netflow-v5-frames.tshark')!.summary as Record<
      string,
      number
    >;
    // UDP datagrams: every export PDU tshark saw (the 5 v5 frames on the sFlow port are counted apart).
    expect(s.datagrams).toBe(
      truth.reduce((n, t) => n + t.flow_export_packets, 0) + v5Frames.flow_export_packets,
    );
    expect(s.records_by_protocol).toEqual({
      netflow_v5: truth[0].data_records + truth[1].data_records + v5Frames.data_records,
      netflow_v9: truth[2].data_records,
      ipfix: truth[3].data_records,
      sflow_v5: 0, // that capture has counter samples only
    });
    // The lying v5 count (invalid01) and the BMP connection next to IPFIX are the only errors.
    expect(s.errors_by_code).toEqual({ bad_count: 1, unknown_protocol: 1 });
    expect(s.tcp_chunks).toBeGreaterThan(0);
    expect(s.files).toBe(5);
  });

  it('--all adds options data and sFlow counter samples, marked by record_type', async () => {
    const names = [
      'logstash-codec-netflow/netflow9_cisco_asr9k.pcap',
      'tcpdump/sflow_multiple_counter_30_pdus.pcap',
    ];
    const { stdout } = await run(names.map(corpus), { all: true });
    const recs = lines(stdout).map((l) => JSON.parse(l));
    const count = (t: string | undefined) => recs.filter((r) => r.record_type === t).length;
    const asr9k = loadTruth(capture(names[0]))!.summary as Record<string, number>;
    const sflow = loadTruth(capture(names[1]))!.summary as Record<string, number>;
    expect(count('options')).toBe(asr9k.options_data_records);
    expect(count('sflow_counters')).toBe(sflow.sflow_counter_samples);
    expect(count(undefined)).toBe(asr9k.data_records + 7);
  });

  it('exits 1 with a clear message when a file cannot be read, and still decodes the others', async () => {
    const { stdout, stderr, code } = await run([
      '/nonexistent/capture.pcap',
      corpus('goflow2/netflow_v5.pcap'),
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot read \/nonexistent\/capture\.pcap/);
    expect(lines(stdout).length).toBe(6);
  });

  it('exits 1 for a file that is not a capture', async () => {
    const { stderr, code } = await run([corpus('PROVENANCE.md')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/not a pcap or pcapng/);
  });
});
