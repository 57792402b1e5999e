/**
 * pool/spread (issue 8, "all cores for one exporter"): the decode workers fed as fast as they take it (no
 * sockets, no store), on the embedded store's path (rows encoded as RowBinary in the workers). Flows per
 * wall-second through the WorkerPool with one worker, two sharded by exporter, and two spreading every
 * exporter, for one exporter and for sixteen. Sharded, one exporter can only use one worker.
 */
import { WorkerPool } from '../src/ingest/pool.js';
import { type Prebuilt, prebuild, prebuildMixed } from './decode.js';
import { type Benchmark, type BenchResult, median } from './harness.js';

const ENCODER = new URL('../src/storage/chdb/row-encoder.js', import.meta.url).href;
const EXPORTER = '192.0.2.10';
/** Datagrams queued or in decoding before the feed waits (a few messages per worker). */
const FEED_AHEAD = 4096;

interface Layout {
  label: string;
  workers: number;
  spread: boolean;
}

const LAYOUTS: Layout[] = [
  { label: '1 worker', workers: 1, spread: false },
  { label: '2 workers sharded', workers: 2, spread: false },
  { label: '2 workers spreading', workers: 2, spread: true },
];

/** Push every datagram, wait until all are decoded and encoded; wall seconds and process CPU seconds. */
async function runOnce(pb: Prebuilt, layout: Layout): Promise<{ wall: number; cpu: number }> {
  let rows = 0;
  const pool = new WorkerPool({
    workers: layout.workers,
    spread: layout.spread,
    queueCapacity: 1 << 22,
    queueMaxBytes: 2 ** 32,
    init: { encoderModule: ENCODER },
    onBatch: (out) => {
      rows += out.encoded?.rows ?? 0;
      out.encoded?.lease?.finish();
    },
  });
  await pool.start();
  try {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // Fed as the UDP thread feeds serve: a batch at a time, never more than FEED_AHEAD waiting.
    for (let i = 0; i < pb.packets.length; i++) {
      while (pool.depth() >= FEED_AHEAD) await new Promise((r) => setTimeout(r, 1));
      if (!pool.pushDatagram(pb.exporters?.[i] ?? EXPORTER, 40000, pb.times[i], pb.packets[i]))
        throw new Error('queue full');
    }
    await pool.drain();
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (rows !== pb.records) throw new Error(`${layout.label}: ${rows} rows encoded, ${pb.records} sent`);
    return { wall, cpu: (c.user + c.system) / 1e6 };
  } finally {
    await pool.stop();
  }
}

function spreadBench(baseRecords: number): Benchmark {
  return {
    group: 'pool',
    name: 'spread',
    description:
      'decode workers fed as fast as they take it: 1 worker, 2 sharded by exporter, 2 spreading; one exporter and sixteen',
    async run({ scale, repeats }): Promise<BenchResult> {
      const want = Math.max(10_000, Math.round(baseRecords * scale));
      const inputs = {
        'one exporter': prebuild({ protocol: 'ipfix' }, want),
        'sixteen exporters': prebuildMixed(
          Array.from({ length: 16 }, () => ({ protocol: 'ipfix' as const })),
          want,
        ),
      };
      const figures: BenchResult['figures'] = [];
      const notes: string[] = [];
      for (const [name, pb] of Object.entries(inputs)) {
        const runs = new Map<string, { wall: number; cpu: number }[]>();
        // Alternated, so drift on a shared machine hits every layout alike.
        for (let r = 0; r < Math.max(3, repeats) + 1; r++) {
          for (const layout of LAYOUTS) {
            const m = await runOnce(pb, layout);
            if (r > 0) runs.set(layout.label, [...(runs.get(layout.label) ?? []), m]);
          }
        }
        for (const layout of LAYOUTS) {
          const ms = runs.get(layout.label)!;
          const wall = median(ms.map((m) => m.wall));
          const cpu = median(ms.map((m) => m.cpu));
          figures.push({ label: `${name}, ${layout.label}`, value: pb.records / wall, unit: 'flows/s' });
          notes.push(
            `${name}, ${layout.label}: ${((cpu / pb.records) * 1e6).toFixed(2)} CPU-s per M flows (whole process)`,
          );
        }
        notes.push(`${name}: ${pb.records} flows in ${pb.packets.length} datagrams per run`);
      }
      return { figures, notes };
    },
  };
}

export const poolBenchmarks: Benchmark[] = [spreadBench(2_000_000)];
