import { readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../core/record.js';
import { listCaptures } from '../decode/testing/corpus.js';
import type { Datagram } from '../decode/types.js';
import { createExporter } from '../gen/index.js';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import { readCapture } from '../wire/pcap.js';
import { WorkerPool } from './pool.js';

/** Every UDP export datagram of the corpus, in capture order, each capture's exporters as captured. */
function corpusDatagrams(): Datagram[] {
  return listCaptures().flatMap((c) =>
    [...readCapture(readFileSync(c.path))]
      .filter((p) => p.transport === 'udp')
      .map((p) => ({
        bytes: p.payload,
        exporter: p.src,
        exporterPort: p.srcPort,
        receivedAt: Math.floor(p.timestamp),
      })),
  );
}

/** A record as text, bytes as hex whether they are a Buffer (which JSON sees as its toJSON) or not. */
const text = (r: FlowRecord) =>
  JSON.stringify(r, (_k, v) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (v?.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
    return v;
  });

/** What the collector reports per (exporter, protocol, domain), leaving out what depends on the clock. */
function comparable(h: Awaited<ReturnType<WorkerPool['exporterHealth']>>) {
  return h
    .map((x) => ({
      key: `${x.exporter}|${x.protocol}|${x.observationDomain}`,
      flows: x.flows,
      lastSeen: x.lastSeen,
      sequence: x.sequence,
      decodeErrors: x.decodeErrors,
      templates: x.templates.map((t) => `${t.id}:${t.kind}:${t.fields}`),
      sampling: x.sampling.map((s) => `${s.rate}|${s.source}|${s.flows}`).sort(),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * One exporter's datagrams spread over several workers must decode to exactly what one decoder that sees
 * them all gives: the same records (sampling and times included), the same sequence loss, templates and
 * counts. The reference is an in-process FlowDecoder fed the same datagrams in the same order.
 */
async function compareWithOneDecoder(datagrams: Datagram[], workers: number) {
  const reference = new FlowDecoder({ includeAll: true });
  const expected: string[] = [];
  for (const dg of datagrams) for (const r of reference.decode(dg).records) expected.push(text(r));
  const got: string[] = [];
  const perWorker = new Array<number>(workers).fill(0);
  const pool = new WorkerPool({
    workers,
    spread: true,
    spreadRun: 1,
    queueCapacity: 1_000_000,
    queueMaxBytes: 1 << 30,
    init: { includeAll: true },
    onBatch: (out, worker) => {
      perWorker[worker] += out.records.length;
      for (const r of out.records) got.push(text(r));
    },
  });
  await pool.start();
  try {
    for (const dg of datagrams)
      expect(pool.pushDatagram(dg.exporter, dg.exporterPort, dg.receivedAt, dg.bytes)).toBe(true);
    await pool.drain();
    expect(got.length).toBe(expected.length);
    expect(got.sort()).toEqual(expected.sort());
    expect(comparable(await pool.exporterHealth())).toEqual(comparable(reference.exporterHealth()));
    const stats = (await pool.stats()).domains.map((d) => ({ ...d, lastSequence: null }));
    const refStats = reference.stats().map((d) => ({ ...d, lastSequence: null }));
    const byKey = (a: { exporter: string; protocol: string; domain: number }) =>
      `${a.exporter}|${a.protocol}|${a.domain}`;
    expect(stats.sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1))).toEqual(
      refStats.sort((a, b) => (byKey(a) < byKey(b) ? -1 : 1)),
    );
    return { perWorker, health: reference.exporterHealth(), pending: (await pool.stats()).pending };
  } finally {
    await pool.stop();
  }
}

describe('one exporter spread over the decode workers', () => {
  const all = corpusDatagrams();

  it('every corpus datagram, three workers taking turns: what one decoder gives', async () => {
    expect(all.length).toBeGreaterThan(1000);
    const { perWorker } = await compareWithOneDecoder(all, 3);
    for (const n of perWorker) expect(n).toBeGreaterThan(1000);
  });

  it('with every fifth datagram lost on the way: the same sequence loss as one decoder counts', async () => {
    const lossy = all.filter((_, i) => i % 5 !== 2);
    const { health } = await compareWithOneDecoder(lossy, 2);
    expect(health.reduce((n, h) => n + h.sequence.lost, 0)).toBeGreaterThan(0);
  });

  it('a worker that dies is replaced by one that knows what its siblings know', async () => {
    // Templates in the first datagram only: a replacement that had to relearn them would hold the rest.
    const exp = createExporter({ protocol: 'ipfix', seed: 4, exporterId: 2, templateRefresh: 1_000_000 });
    const packets = Array.from({ length: 200 }, (_, i) => exp.next(1_700_000_000_000 + i));
    let records = 0;
    let died = 0;
    const pool = new WorkerPool({
      workers: 2,
      spread: true,
      spreadRun: 1,
      queueCapacity: 10_000,
      queueMaxBytes: 64 << 20,
      init: {},
      onBatch: (out) => {
        records += out.records.length;
      },
      onWorkerExit: () => {
        died++;
      },
    });
    await pool.start();
    const push = (ps: typeof packets) => {
      for (const p of ps) expect(pool.pushDatagram('192.0.2.7', 1, 1_700_000_000_000, p.bytes)).toBe(true);
    };
    try {
      push(packets.slice(0, 20));
      await pool.drain();
      // A worker thread that really ends (as after a bug or running out of memory).
      await (pool as unknown as { shards: { worker: Worker }[] }).shards[1].worker.terminate();
      await expect.poll(() => died).toBe(1);
      push(packets.slice(20));
      await pool.drain();
      expect(records).toBe(exp.totals().flows);
      expect((await pool.stats()).pending).toBe(0);
    } finally {
      await pool.stop();
    }
  });
});
