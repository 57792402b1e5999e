/**
 * The step of a time series (SeriesQuery), chosen from the range and the tiers that answer it.
 *
 *   range <= 2 h     1 minute     (raw parts only; an aggregate part makes it 5 minutes)
 *   range <= 3 days  5 minutes    (the aggregate tier's window: a window never straddles two steps)
 *   longer           1 hour
 *   a daily part     1 day        (the daily tier answers whole UTC days)
 *
 * then coarser (1 min -> 5 min -> 1 h -> 1 day) until the range has at most MAX_STEPS steps. Steps are
 * aligned to the epoch (UTC), so a 5-minute window or a day falls in exactly one step and a step that
 * straddles two plan parts simply sums both parts' rows.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, WINDOW_MS } from '../core/rules.js';
import type { PlanPart } from './ast.js';
import { QueryError } from './errors.js';

export const MAX_STEPS = 2000;
const LADDER = [MINUTE_MS, WINDOW_MS, HOUR_MS, DAY_MS];

/** The finest step the parts allow: a row of a tier is one point in time only at its own granularity. */
function finest(parts: readonly PlanPart[]): number {
  if (parts.some((p) => p.tier === 'daily')) return DAY_MS;
  if (parts.some((p) => p.tier === 'aggregates')) return WINDOW_MS;
  return MINUTE_MS;
}

/** Steps of `step` ms covering [from, to) when aligned to the epoch. */
export function stepCount(from: number, to: number, step: number): number {
  return Math.floor((to - 1) / step) - Math.floor(from / step) + 1;
}

export function chooseStep(from: number, to: number, parts: readonly PlanPart[]): number {
  const span = to - from;
  const byRange = span <= 2 * HOUR_MS ? MINUTE_MS : span <= 3 * DAY_MS ? WINDOW_MS : HOUR_MS;
  let step = Math.max(byRange, finest(parts));
  for (const s of LADDER) if (s >= step && stepCount(from, to, s) <= MAX_STEPS) return s;
  // Beyond 2000 days (longer than the range cap): whole days, as many as it takes.
  step = DAY_MS * Math.ceil(stepCount(from, to, DAY_MS) / MAX_STEPS);
  return step;
}

/** A requested step, checked against the plan; QueryError naming `step` when a tier cannot answer it. */
export function checkStep(from: number, to: number, step: number, parts: readonly PlanPart[]): number {
  const min = finest(parts);
  if (step % min !== 0)
    throw new QueryError(
      `step: ${step} ms is not a multiple of ${min} ms, the granularity of the ${min === DAY_MS ? 'daily' : 'aggregate'} tier answering part of the range`,
    );
  if (stepCount(from, to, step) > MAX_STEPS)
    throw new QueryError(`step: ${step} ms gives more than ${MAX_STEPS} steps over the range`);
  return step;
}

/** Start of the step `t` falls in. */
export const stepStart = (t: number, step: number): number => Math.floor(t / step) * step;
