import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listCaptures } from '../decode/testing/corpus.js';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import { readCapture } from '../wire/pcap.js';
import { WorkerPool } from './pool.js';

function udpPayloads(names: string[]) {
  const caps = listCaptures().filter((c) => names.some((n) => c.name.endsWith(n)));
  expect(caps.length).toBe(names.length);
  return caps.flatMap((c) => [...readCapture(readFileSync(c.path))].filter((p) => p.transport === 'udp'));
}

describe('WorkerPool', () => {
  it('decodes in worker threads exactly what one in-process FlowDecoder decodes', async () => {
    const payloads = udpPayloads([
      'goflow2/netflow_v5.pcap',
      'goflow2/netflow_v9_template_data.pcap',
      'goflow2/sflow_flow_sample.pcap',
    ]);
    const reference = new FlowDecoder();
    let expected = 0;
    const expectedProtocols = new Set<string>();
    for (const p of payloads) {
      for (const r of reference.decode({
        bytes: p.payload,
        exporter: p.src,
        exporterPort: p.srcPort,
        receivedAt: p.timestamp,
      }).records)
        expectedProtocols.add(r.protocol_type);
    }
    const again = new FlowDecoder();
    for (const p of payloads) {
      expected += again.decode({
        bytes: p.payload,
        exporter: p.src,
        exporterPort: p.srcPort,
        receivedAt: p.timestamp,
      }).records.length;
    }
    expect(expected).toBeGreaterThan(0);
    let got = 0;
    const protocols = new Set<string>();
    const pool = new WorkerPool({
      workers: 2,
      queueCapacity: 10_000,
      queueMaxBytes: 64 << 20,
      init: {},
      onBatch: (out) => {
        got += out.records.length;
        for (const r of out.records) protocols.add(r.protocol_type);
      },
    });
    await pool.start();
    try {
      for (const p of payloads)
        expect(pool.pushDatagram(p.src, p.srcPort, p.timestamp, p.payload)).toBe(true);
      await pool.drain();
      expect(pool.depth()).toBe(0);
      expect(got).toBe(expected);
      expect(protocols).toEqual(expectedProtocols);
      expect(protocols.size).toBeGreaterThan(1);
      const stats = await pool.stats();
      expect(stats.domains.length).toBeGreaterThan(0);
    } finally {
      await pool.stop();
    }
  });

  it('refuses datagrams beyond its capacity and counts nothing twice', async () => {
    const pool = new WorkerPool({
      workers: 1,
      queueCapacity: 10,
      queueMaxBytes: 1 << 20,
      init: {},
      onBatch: () => {},
    });
    await pool.start();
    try {
      let accepted = 0;
      for (let i = 0; i < 50; i++) if (pool.pushDatagram('192.0.2.1', 1, 0, new Uint8Array(100))) accepted++;
      expect(accepted).toBe(10);
      await pool.drain();
      expect(pool.depth()).toBe(0);
      expect(pool.bytes()).toBe(0);
    } finally {
      await pool.stop();
    }
  });
});
