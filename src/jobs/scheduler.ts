/**
 * Runs registered jobs on their intervals inside serve: one job at a time (the embedded engine is one
 * process and jobs must never pile up behind each other), every run counted, timed and logged. A job gets
 * an AbortSignal and checks it between slices of work, so stop() returns within one slice; a job cut
 * short is idempotent and simply runs again next time (or at the next start).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface Job {
  name: string;
  everyMs: number;
  /** Returns a summary to log (at warn level when it has `warning`), or null when there was nothing to do. */
  run(signal: AbortSignal): Promise<Record<string, unknown> | null>;
}

export interface SchedulerOptions {
  registry: Registry;
  log: Logger;
  /** First runs this long after start (catch up on what closed while serve was down). */
  firstRunAfterMs?: number;
}

export class JobScheduler {
  private readonly jobs = new Map<string, Job>();
  private timers: NodeJS.Timeout[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly runs: Counter<'job' | 'result'>;
  private readonly duration: Histogram<'job'>;
  private readonly lastSuccess: Gauge<'job'>;

  constructor(private readonly opts: SchedulerOptions) {
    const r = [opts.registry];
    this.runs = new Counter({
      name: 'flowlens_job_runs_total',
      help: 'Job runs by job and result (ok, failed, cancelled)',
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
  }

  register(job: Job): this {
    this.jobs.set(job.name, job);
    return this;
  }

  start(): void {
    for (const job of this.jobs.values()) {
      const t = setInterval(() => void this.run(job.name), job.everyMs);
      t.unref();
      this.timers.push(t);
    }
    const t = setTimeout(() => {
      for (const name of this.jobs.keys()) void this.run(name);
    }, this.opts.firstRunAfterMs ?? 5_000);
    t.unref();
    this.timers.push(t);
  }

  /** Runs one job now (queued behind any running job); resolves when it finished. */
  run(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new Error(`no job ${name}`));
    const next = this.chain.then(() => (this.abort.signal.aborted ? undefined : this.execute(job)));
    this.chain = next.catch(() => {});
    return next;
  }

  /** Stops the timers, cancels the running job at its next slice, and waits for it. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.chain;
  }

  private async execute(job: Job): Promise<void> {
    const t0 = performance.now();
    const end = this.duration.startTimer({ job: job.name });
    try {
      const summary = await job.run(this.abort.signal);
      end();
      const result = this.abort.signal.aborted ? 'cancelled' : 'ok';
      this.runs.inc({ job: job.name, result });
      if (result === 'ok') this.lastSuccess.set({ job: job.name }, Date.now() / 1000);
      // A run that did its work but left something out says so in `warning`: logged as a warning.
      if (summary)
        this.opts.log[summary.warning ? 'warn' : 'info'](
          { job: job.name, ms: Math.round(performance.now() - t0), result, ...summary },
          `job ${job.name} done`,
        );
    } catch (err) {
      end();
      this.runs.inc({ job: job.name, result: 'failed' });
      this.opts.log.warn(
        { job: job.name, err: err instanceof Error ? err.message : String(err) },
        `job ${job.name} failed`,
      );
    }
  }
}
