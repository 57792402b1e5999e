import { describe, expect, it } from 'vitest';
import { ExporterState } from '../state.js';
import type { Datagram } from '../types.js';
import { decodeNetflowV5 } from './index.js';
import { v5Datagram as v5 } from './testing.js';

const dgOf = (bytes: Uint8Array): Datagram => ({
  bytes,
  exporter: '192.0.2.254',
  exporterPort: 9995,
  receivedAt: 0,
});

describe('decodeNetflowV5 (byte builder)', () => {
  it('reads every header and record field at its offset', () => {
    const out = decodeNetflowV5(dgOf(v5({ sampling: (2 << 14) | 100 })), new ExporterState('e'));
    expect(out.errors).toEqual([]);
    const { header, ...rec } = out.records[0];
    expect(header).toEqual({
      version: 5,
      count: 1,
      sysUptime: 10_000,
      unixSecs: 1_700_000_000,
      unixNsecs: 500_000_000,
      sequence: 100,
      engineType: 1,
      engineId: 7,
      samplingMode: 2,
      samplingInterval: 100,
    });
    expect(rec).toEqual({
      srcAddr: '192.0.2.1',
      dstAddr: '198.51.100.2',
      nextHop: '203.0.113.9',
      input: 3,
      output: 4,
      packets: 10,
      octets: 1500,
      first: 9_000,
      last: 9_500,
      srcPort: 443,
      dstPort: 51000,
      tcpFlags: 0x12,
      protocol: 6,
      tos: 0xb8,
      srcAs: 64500,
      dstAs: 64501,
      srcMask: 24,
      dstMask: 16,
    });
  });

  it('reports a lying count, decodes what is present, allocates nothing by the count', () => {
    const bytes = v5({ count: 65535, records: 2 });
    const out = decodeNetflowV5(dgOf(bytes), new ExporterState('e'));
    expect(out.records.length).toBe(2);
    expect(out.errors.map((e) => [e.code, e.context.version, e.context.exporter])).toEqual([
      ['bad_count', 5, '192.0.2.254'],
    ]);
  });

  it('reports a truncated header as a typed error', () => {
    const out = decodeNetflowV5(dgOf(v5({}).subarray(0, 20)), new ExporterState('e'));
    expect(out.records).toEqual([]);
    expect(out.errors.map((e) => e.code)).toEqual(['truncated']);
  });

  it('tracks the flow sequence per engine: gaps are loss, backward jumps are resets', () => {
    const state = new ExporterState('e');
    decodeNetflowV5(dgOf(v5({ seq: 100, records: 2 })), state);
    decodeNetflowV5(dgOf(v5({ seq: 102, records: 2 })), state); // in order
    decodeNetflowV5(dgOf(v5({ seq: 110, records: 1 })), state); // 6 flows lost
    decodeNetflowV5(dgOf(v5({ seq: 5, records: 1 })), state); // exporter restart
    const s = state.domain('netflow_v5', (1 << 8) | 7);
    expect([s.datagrams, s.records, s.sequenceLost, s.sequenceResets, s.lastSequence]).toEqual([
      4, 6, 6, 1, 6,
    ]);
  });
});
