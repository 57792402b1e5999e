/**
 * Benchmark runner: `npm run bench` runs everything; `node dist/bench/run.js decode` one group;
 * `node dist/bench/run.js decode/ipfix` one benchmark. Options: --scale=0.1 (smaller work), --repeats=N,
 * --json (machine-readable results), --check (exit 1 when a figure misses its target), --list,
 * --in-process (run everything in this process instead of one child process per benchmark).
 *
 * Each benchmark runs in its own node process (with --expose-gc) by default: JIT state left by one
 * benchmark (e.g. v9 making the shared template decoder polymorphic) must not colour the next one's
 * figures. Node flags given to the runner (e.g. --cpu-prof) are passed on to the children.
 *
 * To add benchmarks: export a Benchmark[] from a file in bench/ (see harness.ts) and append it to ALL.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { authBenchmarks } from './auth.js';
import { decodeBenchmarks } from './decode.js';
import { depsDiscoveryBenchmarks } from './deps-discovery.js';
import { depsBenchmarks } from './deps-map.js';
import { e2eBenchmarks } from './e2e.js';
import { e2eQueryBenchmarks } from './e2e-queries.js';
import { type Benchmark, type BenchResult, fmt, missedTargets, targetText } from './harness.js';
import { poolBenchmarks } from './pool.js';
import { queryBenchmarks } from './queries.js';
import { storageChdbBenchmarks } from './storage-chdb.js';
import { storagePostgresBenchmarks } from './storage-postgres.js';
import { tenantBenchmarks } from './tenants.js';
import { uiBenchmarks } from './ui.js';

const ALL: Benchmark[] = [
  ...decodeBenchmarks,
  ...poolBenchmarks,
  ...storagePostgresBenchmarks,
  ...storageChdbBenchmarks,
  ...e2eBenchmarks,
  ...e2eQueryBenchmarks,
  ...authBenchmarks,
  ...queryBenchmarks,
  ...tenantBenchmarks,
  ...depsBenchmarks,
  ...depsDiscoveryBenchmarks,
  ...uiBenchmarks,
];

interface Args {
  selectors: string[];
  scale: number;
  repeats: number;
  json: boolean;
  check: boolean;
  inProcess: boolean;
  /** Internal: run exactly one benchmark and print its result as one JSON line. */
  child: boolean;
}

const CHILD_MARK = '@@bench-result ';

function parseArgs(argv: string[]): Args {
  const a: Args = {
    selectors: [],
    scale: 1,
    repeats: 3,
    json: false,
    check: false,
    inProcess: false,
    child: false,
  };
  for (const arg of argv) {
    if (arg.startsWith('--scale=')) a.scale = Number(arg.slice(8));
    else if (arg.startsWith('--repeats=')) a.repeats = Math.max(1, Number(arg.slice(10)));
    else if (arg === '--json') a.json = true;
    else if (arg === '--check') a.check = true;
    else if (arg === '--in-process') a.inProcess = true;
    else if (arg === '--child') a.child = true;
    else if (arg === '--list') {
      for (const b of ALL) console.log(`${b.group}/${b.name}\t${b.description}`);
      process.exit(0);
    } else a.selectors.push(arg);
  }
  if (!(a.scale > 0)) throw new Error('--scale must be a positive number');
  return a;
}

function selected(b: Benchmark, selectors: string[]): boolean {
  if (selectors.length === 0) return true;
  return selectors.some((s) => s === b.group || s === `${b.group}/${b.name}`);
}

function print(b: Benchmark, r: BenchResult): void {
  console.log(`\n${b.group}/${b.name} — ${b.description}`);
  for (const f of r.figures)
    console.log(`  ${f.label.padEnd(34)} ${fmt(f.value)}${f.unit ? ` ${f.unit}` : ''}`);
  const missed = missedTargets(r);
  for (const t of r.targets ?? []) {
    const ok = !missed.includes(t);
    console.log(`  target: ${targetText(t)}  ${ok ? 'MET' : 'MISSED'}`);
  }
  for (const n of r.notes ?? []) console.log(`  ${n}`);
}

/** Run one benchmark in a fresh node process and read its result back. */
function runInChild(b: Benchmark, args: Args): BenchResult {
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = [...new Set(['--expose-gc', ...process.execArgv])];
  const res = spawnSync(
    process.execPath,
    [
      ...nodeArgs,
      self,
      `${b.group}/${b.name}`,
      '--child',
      `--scale=${args.scale}`,
      `--repeats=${args.repeats}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  const line = res.stdout.split('\n').find((l) => l.startsWith(CHILD_MARK));
  if (res.status !== 0 || !line)
    throw new Error(`benchmark ${b.group}/${b.name} failed (exit ${res.status})`);
  return JSON.parse(line.slice(CHILD_MARK.length)) as BenchResult;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const benches = ALL.filter((b) => selected(b, args.selectors));
  if (args.child) {
    const result = await benches[0].run({ scale: args.scale, repeats: args.repeats });
    console.log(`${CHILD_MARK}${JSON.stringify(result)}`);
    return;
  }
  if (benches.length === 0) {
    console.error(`no benchmark matches ${args.selectors.join(' ')}; try --list`);
    process.exit(2);
  }
  if (!args.json) {
    console.log(
      `node ${process.version}, ${process.platform}/${process.arch}, scale ${args.scale}, ${args.repeats} timed runs each (median)`,
    );
  }
  const results: { id: string; result: BenchResult }[] = [];
  let missed = 0;
  for (const b of benches) {
    const result = args.inProcess
      ? await b.run({ scale: args.scale, repeats: args.repeats })
      : runInChild(b, args);
    results.push({ id: `${b.group}/${b.name}`, result });
    missed += missedTargets(result).length;
    if (!args.json) print(b, result);
  }
  if (args.json) console.log(JSON.stringify(results, null, 2));
  else console.log(`\n${missed === 0 ? 'all targets met' : `${missed} target(s) missed`}`);
  if (args.check && missed > 0) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
