/**
 * Decode + normalize throughput of each protocol through the project's FlowDecoder (the path the collector's
 * workers run), on datagrams pre-built by the synthetic exporter (src/gen). Building is not timed.
 * Targets (BRIEF): >= 1,000,000 flow records per CPU-second for NetFlow v5 / v9 / IPFIX, >= 300,000 sFlow
 * samples per CPU-second.
 */
import { createExporter, type ExporterOptions, PacketSource } from '../src/gen/index.js';
import { FlowDecoder } from '../src/normalize/flow-decoder.js';
import { RowBinaryStream } from '../src/storage/chdb/encode.js';
import { type Benchmark, type BenchResult, type Measured, measure, median } from './harness.js';

const START = 1_700_000_000_000;
const EXPORTER = '192.0.2.10';

export interface Prebuilt {
  packets: Uint8Array[];
  times: number[];
  /** Exporter address per datagram (one exporter unless mixed). */
  exporters?: string[];
  records: number;
  wireBytes: number;
}

/** Datagrams holding at least `records` flow records (sFlow: flow samples), 1 ms apart. */
export function prebuild(opts: ExporterOptions, records: number): Prebuilt {
  const exp = createExporter({ seed: 1, bootTime: START - 3_600_000, ...opts });
  const packets: Uint8Array[] = [];
  const times: number[] = [];
  let n = 0;
  for (let i = 0; n < records; i++) {
    const now = START + i;
    const p = exp.next(now);
    packets.push(p.bytes);
    times.push(now);
    n += p.flows.length;
  }
  const t = exp.totals();
  return { packets, times, records: t.flows, wireBytes: t.wireBytes };
}

/** Datagram i of the prebuilt traffic through a decoder, as a worker receives it. */
function decodeAt(dec: FlowDecoder, pb: Prebuilt, i: number) {
  return dec.decode({
    bytes: pb.packets[i],
    exporter: EXPORTER,
    exporterPort: 40000,
    receivedAt: pb.times[i],
  });
}

/** Decode every datagram with a fresh decoder (fresh template state, as after a collector start). */
function decodeAll(pb: Prebuilt, count: number): number {
  const dec = new FlowDecoder();
  let records = 0;
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const out = decodeAt(dec, pb, i);
    records += out.records.length;
    errors += out.errors.length;
  }
  if (errors > 0) throw new Error(`${errors} decode errors in generated traffic`);
  return records;
}

/**
 * The decode worker's path on the embedded store: decode + normalize each datagram, then (with `encode`)
 * its records appended as the store's RowBinary rows, as src/ingest/decode-worker.ts does, one payload
 * taken about every 20,000 records (the worker hands over at least that often). Returns the records.
 */
function workerPath(pb: Prebuilt, encode: boolean): number {
  const dec = new FlowDecoder();
  const rows = new RowBinaryStream();
  let records = 0;
  let pending = 0;
  for (let i = 0; i < pb.packets.length; i++) {
    const out = decodeAt(dec, pb, i);
    records += out.records.length;
    if (!encode) continue;
    if (rows.add(out.records).length > 0) throw new Error('the encoder refused generated records');
    pending += out.records.length;
    if (pending >= 20_000) {
      rows.recycle(rows.take().data);
      pending = 0;
    }
  }
  return records;
}

/** Datagrams from several exporters in turn (a collector's real input), at least `records` records. */
export function prebuildMixed(exporters: ExporterOptions[], records: number): Prebuilt {
  const src = new PacketSource({
    start: START,
    packetsPerSecond: 1000,
    exporters: exporters.map((o, i) => ({ bootTime: START - 3_600_000, address: `192.0.2.${i + 1}`, ...o })),
  });
  const packets: Uint8Array[] = [];
  const times: number[] = [];
  const addrs: string[] = [];
  let n = 0;
  while (n < records) {
    const p = src.next();
    packets.push(p.bytes);
    times.push(p.receivedAt);
    addrs.push(p.exporter);
    n += p.flows.length;
  }
  const t = src.totals().all;
  return { packets, times, exporters: addrs, records: t.flows, wireBytes: t.wireBytes };
}

function decodeBench(
  name: string,
  description: string,
  opts: ExporterOptions | ExporterOptions[],
  baseRecords: number,
  target: number,
  unit: string,
): Benchmark {
  return {
    group: 'decode',
    name,
    description,
    async run({ scale, repeats }): Promise<BenchResult> {
      const want = Math.max(1000, Math.round(baseRecords * scale));
      const pb = Array.isArray(opts) ? prebuildMixed(opts, want) : prebuild(opts, want);
      // Warm-up: let the JIT settle on the hot paths before anything is timed.
      decodeAll(pb, Math.min(pb.packets.length, Math.ceil(pb.packets.length / 5)));
      const runs: Measured[] = [];
      for (let r = 0; r < repeats; r++) {
        let got = 0;
        runs.push(measure(() => (got = decodeAll(pb, pb.packets.length))));
        if (got !== pb.records) throw new Error(`decoded ${got} records, generator sent ${pb.records}`);
      }
      const cpu = median(runs.map((m) => m.cpuSeconds));
      const wall = median(runs.map((m) => m.wallSeconds));
      const perCpu = `${unit} per CPU-second`;
      return {
        figures: [
          { label: perCpu, value: pb.records / cpu },
          { label: `${unit} per wall-second`, value: pb.records / wall },
          { label: unit, value: pb.records },
          { label: 'datagrams', value: pb.packets.length },
          { label: 'MB on the wire', value: pb.wireBytes / 1e6 },
          { label: 'CPU seconds (median)', value: cpu, unit: 's' },
          { label: 'wall seconds (median)', value: wall, unit: 's' },
          {
            label: 'user / system CPU (median run)',
            value: median(runs.map((m) => m.userSeconds)),
            unit: 's user',
          },
        ],
        targets: [{ figure: perCpu, min: target }],
        notes: [
          `runs: ${runs.map((m) => `${m.cpuSeconds.toFixed(2)}s cpu / ${m.wallSeconds.toFixed(2)}s wall`).join(', ')}`,
        ],
      };
    },
  };
}

/**
 * decode/worker-path: what one flow costs a decode worker on the embedded store, split into decode +
 * normalize and the RowBinary encode (issue 8: "the worker path costs about 3 µs per flow where decoding
 * alone measures about 1 µs"). IPFIX as `flowlens gen --protocol ipfix` sends it (the sustained benchmark's
 * traffic). Figures in µs per flow of CPU, medians of --repeats alternated runs.
 */
function workerPathBench(baseRecords: number): Benchmark {
  return {
    group: 'decode',
    name: 'worker-path',
    description:
      'IPFIX as flowlens gen sends it: decode + normalize, then RowBinary rows (the decode worker on the embedded store)',
    async run({ scale, repeats }): Promise<BenchResult> {
      const pb = prebuild({ protocol: 'ipfix' }, Math.max(1000, Math.round(baseRecords * scale)));
      // Records are not kept between the two steps (as in the worker): the encode's share is the difference
      // between the whole path and decoding alone, alternated so drift hits both alike.
      workerPath(pb, true);
      const decodes: Measured[] = [];
      const wholes: Measured[] = [];
      for (let r = 0; r < Math.max(5, repeats); r++) {
        decodes.push(measure(() => workerPath(pb, false)));
        wholes.push(measure(() => workerPath(pb, true)));
      }
      const us = (m: Measured[]) => (median(m.map((x) => x.cpuSeconds)) / pb.records) * 1e6;
      const d = us(decodes);
      const e = us(wholes) - d;
      return {
        figures: [
          { label: 'decode + normalize CPU per flow', value: d, unit: 'µs' },
          { label: 'RowBinary encode CPU per flow', value: e, unit: 'µs' },
          { label: 'worker path CPU per flow', value: d + e, unit: 'µs' },
          { label: 'flow records', value: pb.records },
        ],
        notes: ['decode worker only: the hand-over to the writer (row ring, messages) is not included'],
      };
    },
  };
}

const FLOWS = 1_000_000;
const SAMPLES = 300_000;

export const decodeBenchmarks: Benchmark[] = [
  decodeBench(
    'netflow_v5',
    'NetFlow v5, 28 records/datagram, sampled 1:100',
    { protocol: 'v5', samplingRate: 100 },
    FLOWS,
    1_000_000,
    'flow records',
  ),
  decodeBench(
    'netflow_v9',
    'NetFlow v9, IPv4+IPv6 templates (20% IPv6), sampler options, template refresh every 20 datagrams',
    { protocol: 'v9', samplingRate: 100 },
    FLOWS,
    1_000_000,
    'flow records',
  ),
  decodeBench(
    'ipfix',
    'IPFIX, IPv4+IPv6 templates (20% IPv6), PSAMP selector options, template refresh every 20 messages',
    { protocol: 'ipfix', samplingRate: 100 },
    FLOWS,
    1_000_000,
    'flow records',
  ),
  decodeBench(
    'ipfix_varlen',
    'IPFIX as above plus the variable-length applicationName string in every record',
    { protocol: 'ipfix', samplingRate: 100, variableLength: true },
    FLOWS,
    1_000_000,
    'flow records',
  ),
  decodeBench(
    'mixed',
    'v5 + v9 + IPFIX exporters interleaved in one decoder (what a collector worker sees): shared template code turns polymorphic',
    [
      { protocol: 'v5', samplingRate: 100 },
      { protocol: 'v9', samplingRate: 100 },
      { protocol: 'ipfix', samplingRate: 100 },
    ],
    FLOWS,
    1_000_000,
    'flow records',
  ),
  decodeBench(
    'sflow',
    'sFlow v5 compact flow samples (raw Ethernet/IP/L4 header + extended switch), counter samples every 10 datagrams',
    { protocol: 'sflow', samplingRate: 1000 },
    SAMPLES,
    300_000,
    'flow samples',
  ),
  workerPathBench(FLOWS),
];
