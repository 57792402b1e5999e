/**
 * Backend-neutral window arithmetic for the aggregation jobs: which 5-minute windows (by FLOW time) and
 * which UTC days a batch of flows touched, coalesced into the fewest [from, to) ranges, and the run that
 * re-aggregates exactly those (FlowStore.aggregateWindows / rollupDaily are idempotent, so re-running a
 * range after late flows arrive is always safe).
 */
import type { FlowRecord } from '../core/record.js';
import { DAY_MS, dayStart, WINDOW_MS, windowStart } from '../core/rules.js';
import type { FlowStore } from '../storage/port.js';

export { DAY_MS, dayStart, WINDOW_MS, windowStart } from '../core/rules.js';

/** Sorted distinct window starts of the flows' flow_start. */
export function touchedWindows(flows: readonly Pick<FlowRecord, 'flow_start'>[]): number[] {
  const set = new Set<number>();
  for (const f of flows) set.add(windowStart(f.flow_start));
  return [...set].sort((a, b) => a - b);
}

/** Sorted distinct UTC day starts of window starts. */
export function touchedDays(windows: readonly number[]): number[] {
  return [...new Set(windows.map(dayStart))].sort((a, b) => a - b);
}

/** Adjacent windows merged into [from, to) ranges (one aggregation call per range, not per window). */
export function windowRanges(windows: readonly number[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const w of [...windows].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && w <= last.to) last.to = Math.max(last.to, w + WINDOW_MS);
    else out.push({ from: w, to: w + WINDOW_MS });
  }
  return out;
}

/** Every window start in [from, to) (windows overlapping the range). */
export function windowsBetween(from: number, to: number): number[] {
  const out: number[] = [];
  for (let w = windowStart(from); w < to; w += WINDOW_MS) out.push(w);
  return out;
}

export interface AggregationRun {
  windows: number;
  aggregateRows: number;
  days: number[];
  dailyRows: number;
}

/** Re-aggregates the windows the flows touched and re-rolls the days those windows lie in. */
export async function aggregateTouched(
  store: FlowStore,
  flows: readonly Pick<FlowRecord, 'flow_start'>[],
): Promise<AggregationRun> {
  const windows = touchedWindows(flows);
  let aggregateRows = 0;
  let count = 0;
  for (const r of windowRanges(windows)) {
    const rep = await store.aggregateWindows(r.from, r.to);
    aggregateRows += rep.rows;
    count += rep.windows;
  }
  const days = touchedDays(windows);
  let dailyRows = 0;
  for (const d of days) dailyRows += (await store.rollupDaily(d)).rows;
  return { windows: count, aggregateRows, days, dailyRows };
}

export const isDayAligned = (t: number): boolean => t % DAY_MS === 0;
