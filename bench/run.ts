/**
 * Benchmark runner: `npm run bench` runs everything; `node dist/bench/run.js decode` one group;
 * `node dist/bench/run.js decode/ipfix` one benchmark. Options: --scale=0.1 (smaller work), --repeats=N,
 * --json (machine-readable results), --check (exit 1 when a figure misses its target).
 *
 * To add benchmarks: export a Benchmark[] from a file in bench/ (see harness.ts) and append it to ALL.
 * For CPU figures that include a full GC between runs, start node with --expose-gc.
 */
import { decodeBenchmarks } from './decode.js';
import { type Benchmark, type BenchResult, fmt, missedTargets } from './harness.js';

const ALL: Benchmark[] = [...decodeBenchmarks];

interface Args {
  selectors: string[];
  scale: number;
  repeats: number;
  json: boolean;
  check: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { selectors: [], scale: 1, repeats: 3, json: false, check: false };
  for (const arg of argv) {
    if (arg.startsWith('--scale=')) a.scale = Number(arg.slice(8));
    else if (arg.startsWith('--repeats=')) a.repeats = Math.max(1, Number(arg.slice(10)));
    else if (arg === '--json') a.json = true;
    else if (arg === '--check') a.check = true;
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
    console.log(`  target: ${t.figure} >= ${fmt(t.min)}  ${ok ? 'MET' : 'MISSED'}`);
  }
  for (const n of r.notes ?? []) console.log(`  ${n}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const benches = ALL.filter((b) => selected(b, args.selectors));
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
    const result = await b.run({ scale: args.scale, repeats: args.repeats });
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
