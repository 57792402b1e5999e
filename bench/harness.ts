/**
 * Shared shapes and measurement helpers of the benchmarks. A benchmark is a named async function in a group;
 * bench/run.ts holds the list, so adding a benchmark is one entry there (see run.ts).
 */

export interface Figure {
  /** e.g. "records per CPU-second". */
  label: string;
  value: number;
  unit?: string;
}

export interface Target {
  /** Label of the figure the target applies to. */
  figure: string;
  /** The figure must be at least this (throughputs), */
  min?: number;
  /** or at most this (memory, latency). */
  max?: number;
}

export interface BenchResult {
  figures: Figure[];
  targets?: Target[];
  /** Free-form notes printed under the figures. */
  notes?: string[];
}

export interface Benchmark {
  /** Group, selectable on the command line (e.g. "decode", "storage", "e2e"). */
  group: string;
  /** Name within the group (e.g. "netflow_v5"); "group/name" selects one benchmark. */
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}

export interface BenchOptions {
  /** Scale factor for the work size (1 = the documented size; smaller for a quick look). */
  scale: number;
  /** Timed repetitions; the median is reported. */
  repeats: number;
}

export interface Measured {
  /** User + system CPU time of this process, in seconds. */
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  wallSeconds: number;
}

/**
 * CPU (process.cpuUsage, user + system: it includes GC and any helper threads of this process) and wall
 * time of `fn`. A full GC first, when node runs with --expose-gc, so one run's garbage is not billed to the
 * next.
 */
export function measure(fn: () => void): Measured {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return {
    cpuSeconds: (c.user + c.system) / 1e6,
    userSeconds: c.user / 1e6,
    systemSeconds: c.system / 1e6,
    wallSeconds: wall,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(n: number | null): string {
  // A figure that could not be measured (NaN crosses the child's JSON as null) prints as such.
  if (n === null || !Number.isFinite(n)) return 'not measured';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

/** Checks a result's targets: the figures missing, below their minimum or above their maximum. */
export function missedTargets(r: BenchResult): Target[] {
  const missed: Target[] = [];
  for (const t of r.targets ?? []) {
    const f = r.figures.find((x) => x.label === t.figure);
    if (!f || (t.min !== undefined && f.value < t.min) || (t.max !== undefined && f.value > t.max))
      missed.push(t);
  }
  return missed;
}

/** A target as text: "figure >= min", "figure <= max" or both. */
export function targetText(t: Target): string {
  // Every digit of a bound (0.9999 must not print as 1.00).
  const exact = (n: number) => n.toLocaleString('en-US', { maximumSignificantDigits: 10 });
  const parts = [];
  if (t.min !== undefined) parts.push(`>= ${exact(t.min)}`);
  if (t.max !== undefined) parts.push(`<= ${exact(t.max)}`);
  return `${t.figure} ${parts.join(' and ')}`;
}
