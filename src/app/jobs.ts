import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FlowRecord } from '../core/record.js';
import { windowRanges } from '../jobs/windows.js';
import type { FlowStore, RetentionPolicy } from '../storage/port.js';

export interface JobsOptions {
  store: FlowStore;
  registry: Registry;
  log: Logger;
  /** Windows are aggregated once they closed more than this long ago (late flows still land). */
  aggregateGraceMs: number;
  aggregateEveryMs: number;
  rollupEveryMs: number;
  retentionEveryMs: number;
  retention: RetentionPolicy;
  now?: () => number;
}

const WINDOW = 5 * 60_000;
const DAY = 86_400_000;
/** Closed windows re-aggregated on every run (idempotent), so stragglers past the grace still count. */
const RECHECK_WINDOWS = 3;
/** Bound on remembered late windows (about 35 days of 5-minute windows); beyond it the oldest are dropped. */
const MAX_LATE_WINDOWS = 10_000;

type JobName = 'aggregate' | 'rollup' | 'retention';

/**
 * The jobs inside serve: 5-minute aggregation as windows close, the daily rollup of finished days, hourly
 * retention. One job runs at a time (the embedded engine is one process; jobs must not pile up), each is
 * idempotent in the store, and every run is counted, timed and logged.
 */
export class JobScheduler {
  private timers: NodeJS.Timeout[] = [];
  private chain: Promise<void> = Promise.resolve();
  private aggregatedTo: number | null = null;
  private rolledDay: number | null = null;
  private stopped = false;
  /** Windows that received flows after the regular run had passed them (late beyond the re-check). */
  private readonly lateWindows = new Set<number>();
  private readonly runs: Counter<'job' | 'result'>;
  private readonly duration: Histogram<'job'>;
  private readonly lastSuccess: Gauge<'job'>;
  private readonly now: () => number;

  constructor(private readonly opts: JobsOptions) {
    const r = [opts.registry];
    this.runs = new Counter({
      name: 'flowlens_job_runs_total',
      help: 'Job runs by job and result (ok, failed)',
      labelNames: ['job', 'result'],
      registers: r,
    });
    this.duration = new Histogram({
      name: 'flowlens_job_duration_seconds',
      help: 'Job run duration',
      labelNames: ['job'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: r,
    });
    this.lastSuccess = new Gauge({
      name: 'flowlens_job_last_success_timestamp_seconds',
      help: 'When each job last succeeded',
      labelNames: ['job'],
      registers: r,
    });
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    const every = (ms: number, job: JobName) => {
      const t = setInterval(() => void this.run(job), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.aggregateEveryMs, 'aggregate');
    every(this.opts.rollupEveryMs, 'rollup');
    every(this.opts.retentionEveryMs, 'retention');
    // First runs shortly after start: catch up on windows and days closed while serve was down.
    const t = setTimeout(() => {
      void this.run('aggregate');
      void this.run('rollup');
      void this.run('retention');
    }, 5_000);
    t.unref();
    this.timers.push(t);
  }

  /**
   * Notes the windows a stored batch touched. Windows the regular aggregation run has already left behind
   * (older than its re-check) are remembered and re-aggregated by the next run, and their day re-rolled if
   * it was rolled up already, so a flow arriving hours late is still counted (the jobs are idempotent).
   */
  noteStored(records: readonly FlowRecord[]): void {
    if (this.aggregatedTo === null) return; // the first run covers the last day anyway
    this.noteFlowStarts(records.map((r) => r.flow_start));
  }

  /** The same for rows stored encoded: their flow_start values (one per window suffices: its earliest). */
  noteFlowStarts(starts: readonly number[]): void {
    if (this.aggregatedTo === null) return; // the first run covers the last day anyway
    const recheckFrom = this.aggregatedTo - RECHECK_WINDOWS * WINDOW;
    for (const start of starts) {
      if (start >= recheckFrom) continue;
      const w = Math.floor(start / WINDOW) * WINDOW;
      if (this.lateWindows.has(w)) continue;
      if (this.lateWindows.size >= MAX_LATE_WINDOWS) {
        const oldest = Math.min(...this.lateWindows);
        this.lateWindows.delete(oldest);
      }
      this.lateWindows.add(w);
    }
  }

  /** Runs one job now (queued behind any running job); resolves when it finished. */
  run(job: JobName): Promise<void> {
    const next = this.chain.then(() => (this.stopped ? undefined : this.execute(job)));
    this.chain = next.catch(() => {});
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.chain;
  }

  private async execute(job: JobName): Promise<void> {
    const t0 = performance.now();
    const end = this.duration.startTimer({ job });
    try {
      const summary = await this.work(job);
      end();
      this.runs.inc({ job, result: 'ok' });
      this.lastSuccess.set({ job }, this.now() / 1000);
      if (summary)
        this.opts.log.info({ job, ms: Math.round(performance.now() - t0), ...summary }, `job ${job} done`);
    } catch (err) {
      end();
      this.runs.inc({ job, result: 'failed' });
      this.opts.log.warn({ job, err: err instanceof Error ? err.message : String(err) }, `job ${job} failed`);
    }
  }

  /** Re-aggregates remembered late windows before `coveredFrom` and re-rolls their already rolled days. */
  private async aggregateLate(coveredFrom: number): Promise<Record<string, number>> {
    const windows = [...this.lateWindows].filter((w) => w < coveredFrom);
    if (windows.length === 0) return {};
    const { store } = this.opts;
    for (const range of windowRanges(windows)) await store.aggregateWindows(range.from, range.to);
    const days = [...new Set(windows.map((w) => Math.floor(w / DAY) * DAY))];
    const rerolled = days.filter((d) => this.rolledDay !== null && d <= this.rolledDay);
    for (const d of rerolled) await store.rollupDaily(d);
    for (const w of windows) this.lateWindows.delete(w); // only once done: a failed run retries them
    return { lateWindows: windows.length, rerolledDays: rerolled.length };
  }

  /** Returns a summary to log, or null when there was nothing to do. */
  private async work(job: JobName): Promise<Record<string, unknown> | null> {
    const { store } = this.opts;
    const now = this.now();
    if (job === 'aggregate') {
      const to = Math.floor((now - this.opts.aggregateGraceMs) / WINDOW) * WINDOW;
      // After a start: the last day (idempotent); afterwards from the last run minus a few windows.
      const from = Math.min(this.aggregatedTo ?? to - DAY, to - RECHECK_WINDOWS * WINDOW);
      if (to <= from) return null;
      const r = await store.aggregateWindows(from, to);
      this.aggregatedTo = to;
      const late = await this.aggregateLate(from);
      return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...r, ...late };
    }
    if (job === 'rollup') {
      // A day is rolled up once its last window is aggregated (grace plus one aggregation period).
      const settled = now - this.opts.aggregateGraceMs - this.opts.aggregateEveryMs - WINDOW;
      const day = Math.floor(settled / DAY) * DAY - DAY;
      if (this.rolledDay !== null && day <= this.rolledDay) return null;
      const r = await store.rollupDaily(day);
      this.rolledDay = day;
      return { day: new Date(day).toISOString().slice(0, 10), rows: r.rows };
    }
    const r = await store.applyRetention(this.opts.retention, { dryRun: false, now });
    return { tiers: r.tiers.map((t) => ({ tier: t.tier, partitions: t.partitions.length, rows: t.rows })) };
  }
}
