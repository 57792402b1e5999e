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

/**
 * After an import: aggregates the windows the flows touched and rolls up their days, and moves the store's
 * aggregation watermark over what the import brought (never past the current window), so the query
 * planner answers the imported span from aggregates and only what is newer from raw. Windows between the
 * old watermark and the imported data are aggregated too: the watermark promises every window before it.
 */
export async function aggregateTouched(
  store: FlowStore,
  flows: readonly Pick<FlowRecord, 'flow_start'>[],
  now: number = Date.now(),
): Promise<AggregationRun> {
  const windows = touchedWindows(flows);
  if (windows.length === 0) return { windows: 0, aggregateRows: 0, days: [], dailyRows: 0 };
  const { aggregatedUntil } = await store.tierState();
  const end = Math.min(windows[windows.length - 1] + WINDOW_MS, windowStart(now));
  const ranges = windowRanges(windows.filter((w) => aggregatedUntil !== null && w < aggregatedUntil));
  const advance = aggregatedUntil === null || end > aggregatedUntil;
  if (advance) ranges.push({ from: aggregatedUntil ?? windows[0], to: end });
  let aggregateRows = 0;
  let count = 0;
  for (const r of ranges) {
    if (r.to <= r.from) continue;
    const rep = await store.aggregateWindows(r.from, r.to);
    aggregateRows += rep.rows;
    count += rep.windows;
  }
  if (advance && end > (aggregatedUntil ?? Number.NEGATIVE_INFINITY)) await store.setAggregatedUntil(end);
  const days = touchedDays(windows);
  let dailyRows = 0;
  for (const d of days) dailyRows += (await store.rollupDaily(d)).rows;
  return { windows: count, aggregateRows, days, dailyRows };
}

export const isDayAligned = (t: number): boolean => t % DAY_MS === 0;
