/**
 * The tier jobs (src/jobs/README.md): 5-minute aggregation as windows close, the daily rollup of finished
 * days, retention. They keep their progress in the store (the aggregation watermark, FlowStore.tierState),
 * so the query planner of any process knows what is aggregated, and a restart catches up from where the
 * last run stopped, however long serve was down.
 *
 * Each window is aggregated once, when it closes (plus the grace for stragglers), and again only when
 * flows arrive for it later (noteFlowStarts): never re-aggregated on a timer. While the writer is behind
 * (behindSince) windows whose flows may still be in the spool wait. Work goes window by window,
 * so a run is cancelled within one window and memory is bounded by one window's cardinality.
 */
import type { FlowRecord } from '../core/record.js';
import { DAY_MS, dayStart, WINDOW_MS, windowStart } from '../core/rules.js';
import { StoredNumberSet } from '../core/stored-set.js';
import type { FlowStore } from '../storage/port.js';
import type { Job } from './scheduler.js';

/** Settings key: windows before the watermark that late flows reached, still owed a new aggregation. */
export const LATE_WINDOWS_KEY = 'late_windows';
/** Bound on remembered late windows (about 35 days of 5-minute windows); beyond it the oldest are dropped. */
const MAX_LATE_WINDOWS = 10_000;
/** How far back a store that has never aggregated starts (older flows: `flowlens import` aggregates its own). */
const FIRST_RUN_LOOKBACK_MS = DAY_MS;

export interface TierJobsOptions {
  store: FlowStore;
  /** Windows are aggregated once they closed more than this long ago (late flows still land). */
  aggregateGraceMs: number;
  aggregateEveryMs: number;
  rollupEveryMs: number;
  retentionEveryMs: number;
  /**
   * A catch-up over fewer raw flows than this is one call; above it, one window per call (memory bounded
   * by one window, cancellable between windows). An empty day took 16 s window by window.
   */
  sliceAboveFlows?: number;
  now?: () => number;
  /**
   * Told the windows re-aggregated for late flows (dependency discovery examines their days again); the
   * windows are forgotten here only once what it returns (discovery's own record of them) is done.
   */
  onReaggregated?: (windows: readonly number[]) => void | Promise<void>;
  /**
   * Since when the writer is behind the store, or null (StoreWriter.behindSince). Meanwhile windows are
   * aggregated only up to that instant less the grace (at most MAX_HOLD_MS behind now), and late windows
   * wait: their flows are still in the spool, and aggregating a window again for every replayed batch
   * kept the store behind for good (15 minutes of 150 k high-cardinality flows/s: 40 aggregation runs, 622
   * s, 60 % of the flows lost). Once the spool is replayed, each window is aggregated once.
   */
  behindSince?: () => number | null;
}

const SLICE_ABOVE_FLOWS = 1_000_000;
/** Longest hold of new windows while the writer is behind (the raw tier answers for them meanwhile). */
export const MAX_HOLD_MS = 3_600_000;

export class TierJobs {
  private watermark: number | null = null;
  private rolledUntil: number | null = null;
  /**
   * Windows before the watermark that received flows after they were aggregated; kept in the store too,
   * so a restart before the next run still aggregates them again.
   */
  private readonly lateWindows: StoredNumberSet;
  private readonly loaded: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: TierJobsOptions) {
    this.now = opts.now ?? Date.now;
    this.lateWindows = new StoredNumberSet(opts.store, LATE_WINDOWS_KEY, MAX_LATE_WINDOWS);
    // The watermark from the store at once: flows stored before the first run are judged late or not
    // against it (else a restarted collector missed the late flows of its first minute).
    const watermark = opts.store.tierState().then(
      (s) => {
        if (this.watermark === null) this.watermark = s.aggregatedUntil;
      },
      () => {},
    );
    this.loaded = Promise.all([watermark, this.lateWindows.ready()]).then(() => {});
  }

  /** Resolves once the watermark and the owed late windows are read from the store (serve waits for it). */
  ready(): Promise<void> {
    return this.loaded;
  }

  jobs(): Job[] {
    return [
      { name: 'aggregate', everyMs: this.opts.aggregateEveryMs, run: (s) => this.aggregate(s) },
      { name: 'rollup', everyMs: this.opts.rollupEveryMs, run: (s) => this.rollup(s) },
      { name: 'retention', everyMs: this.opts.retentionEveryMs, run: () => this.retention() },
    ];
  }

  noteStored(records: readonly FlowRecord[]): void {
    this.noteFlowStarts(records.map((r) => r.flow_start));
  }

  /**
   * Flow starts of a stored batch: windows the watermark has already passed are remembered and
   * re-aggregated by the next run (their day re-rolled if it was rolled up), so a flow arriving hours late
   * still counts. Before the first run knows the watermark nothing is late.
   */
  noteFlowStarts(starts: readonly number[]): void {
    const wm = this.watermark;
    if (wm === null) return;
    let changed = false;
    for (const start of starts) if (start < wm && this.lateWindows.add(windowStart(start))) changed = true;
    if (changed) void this.lateWindows.save();
  }

  private async aggregate(signal: AbortSignal): Promise<Record<string, unknown> | null> {
    const { store } = this.opts;
    const now = this.now();
    const state = await store.tierState();
    const behind = this.opts.behindSince?.() ?? null;
    const asOf = behind === null ? now : Math.max(Math.min(now, behind), now - MAX_HOLD_MS);
    const target = windowStart(asOf - this.opts.aggregateGraceMs);
    const lookback = Math.min(state.retention.raw, FIRST_RUN_LOOKBACK_MS);
    let wm = state.aggregatedUntil ?? windowStart(now - lookback);
    // Never before the raw retention: those flows are gone, their aggregates must stay as they are.
    wm = Math.max(wm, windowStart(now - state.retention.raw) + WINDOW_MS);
    this.watermark = state.aggregatedUntil ?? wm;
    let windows = 0;
    let rows = 0;
    const step =
      (await this.flowsBetween(wm, target)) > (this.opts.sliceAboveFlows ?? SLICE_ABOVE_FLOWS)
        ? WINDOW_MS
        : target - wm;
    for (let w = wm; w < target && !signal.aborted; w += step) {
      const r = await store.aggregateWindows(w, w + step);
      await store.setAggregatedUntil(w + step);
      this.watermark = w + step;
      windows += r.windows;
      rows += r.rows;
    }
    const late = behind === null ? await this.aggregateLate(signal) : { lateWindows: 0, rerolledDays: 0 };
    const held =
      behind === null ? {} : { behindSince: new Date(behind).toISOString(), lateHeld: this.lateWindows.size };
    if (windows === 0 && late.lateWindows === 0 && behind === null) return null;
    return { watermark: new Date(this.watermark ?? wm).toISOString(), windows, rows, ...late, ...held };
  }

  private async flowsBetween(from: number, to: number): Promise<number> {
    if (to <= from) return 0;
    const r = await this.opts.store.query({
      kind: 'top',
      by: [],
      metric: 'flows',
      from,
      to,
      limit: 1,
      tier: 'raw',
    });
    return Number(r.rows[0]?.flows ?? 0);
  }

  /** Re-aggregates remembered late windows and re-rolls their already rolled days. */
  private async aggregateLate(signal: AbortSignal): Promise<{ lateWindows: number; rerolledDays: number }> {
    await this.lateWindows.ready();
    const windows = this.lateWindows.sorted();
    const days = new Set<number>();
    let done = 0;
    try {
      for (const w of windows) {
        if (signal.aborted) break;
        await this.opts.store.aggregateWindows(w, w + WINDOW_MS);
        this.lateWindows.delete(w); // only once done: a failed run retries it
        days.add(dayStart(w));
        done++;
      }
    } finally {
      // Discovery records the days before they are forgotten here: a crash between the two repeats work,
      // it never loses it.
      if (done > 0) {
        await this.opts.onReaggregated?.(windows.slice(0, done));
        await this.lateWindows.save();
      }
    }
    const rerolled = [...days].filter((d) => this.rolledUntil !== null && d < this.rolledUntil);
    for (const d of rerolled) await this.opts.store.rollupDaily(d);
    return { lateWindows: done, rerolledDays: rerolled.length };
  }

  /** Rolls up every day whose windows are all aggregated and that is not rolled yet (yesterday at start). */
  private async rollup(signal: AbortSignal): Promise<Record<string, unknown> | null> {
    const { aggregatedUntil } = await this.opts.store.tierState();
    if (aggregatedUntil === null) return null;
    const complete = dayStart(aggregatedUntil); // days before this one are fully aggregated
    let day = this.rolledUntil ?? complete - DAY_MS;
    let rows = 0;
    const rolled: string[] = [];
    for (; day < complete && !signal.aborted; day += DAY_MS) {
      rows += (await this.opts.store.rollupDaily(day)).rows;
      rolled.push(new Date(day).toISOString().slice(0, 10));
      this.rolledUntil = day + DAY_MS;
    }
    return rolled.length ? { days: rolled, rows } : null;
  }

  /** Applies the retention in force, as the store records it (set by serve, migrate or retention). */
  private async retention(): Promise<Record<string, unknown>> {
    const { store } = this.opts;
    const { retention } = await store.tierState();
    const r = await store.applyRetention(retention, { dryRun: false, now: this.now() });
    return { tiers: r.tiers.map((t) => ({ tier: t.tier, partitions: t.partitions.length, rows: t.rows })) };
  }
}
