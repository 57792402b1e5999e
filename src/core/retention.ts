/**
 * How long each tier keeps its data. One statement of the defaults; the configuration, the stores and the
 * query planner read it from here.
 */

/** Keep forever: no TTL, no partition is ever dropped for age. */
export const FOREVER = Number.POSITIVE_INFINITY;

export interface RetentionPolicy {
  /** Milliseconds, or FOREVER. Defaults: raw 7 days, aggregates 90 days, daily 2 years (730 days). */
  raw: number;
  aggregates: number;
  daily: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  raw: 7 * 86_400_000,
  aggregates: 90 * 86_400_000,
  daily: 730 * 86_400_000,
};
