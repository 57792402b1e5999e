/**
 * The one duration syntax of FlowLens: flags, FLOWLENS_* environment variables and the YAML file all take
 * a number and a unit, `90s`, `15m`, `12h`, `7d`, `2w`, `2y` (a year is 365 days), or `forever` where
 * keeping forever makes sense (retention). Values become milliseconds; `forever` becomes FOREVER (Infinity).
 */
import { FOREVER, type RetentionPolicy } from './retention.js';

const DAY = 86_400_000;

/** Milliseconds per unit; lower case only, so `m` (minutes) cannot be mistaken for months. */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: DAY,
  w: 7 * DAY,
  y: 365 * DAY,
};

/**
 * The longest finite duration accepted anywhere. Both stores compute expiry on types that reach well past
 * 1000 years from now (chdb DateTime64/Date32, PostgreSQL timestamptz), so below this nothing wraps; a
 * longer retention is asked for with `forever` (no expiry at all) instead of a number no store can hold.
 */
export const MAX_DURATION_MS = 1000 * DURATION_UNITS.y;

/**
 * Node timers fire at once for delays above 2^31-1 ms (about 24.8 days), so a job interval beyond that
 * would run continuously instead of rarely. 24 days: the whole-day value below that limit.
 */
export const MAX_TIMER_MS = 24 * DAY;

const SYNTAX = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/;
const EXAMPLES = '90s, 15m, 12h, 7d, 2w or 2y';

/** A duration that cannot be used; the message starts with the key (config key or flag) it was given for. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(
    readonly key: string,
    /** The message without the key (for callers that add the key themselves, e.g. the config schema). */
    readonly detail: string,
  ) {
    super(`${key}: ${detail}`);
  }
}

export interface DurationOptions {
  /** `forever` allowed (retention); elsewhere it is refused with the reason. */
  forever?: boolean;
  /** Smallest value in ms (default 1000: one second). */
  min?: number;
  /** Largest finite value in ms (default MAX_DURATION_MS). */
  max?: number;
  /** Why `max` is the limit, said in the error (default: what the stores can represent). */
  maxReason?: string;
}

/**
 * `text` (a string; YAML numbers are refused, their unit would be a guess) -> milliseconds, or FOREVER.
 * Throws DurationError naming `key`.
 */
export function parseDuration(text: unknown, key: string, options: DurationOptions = {}): number {
  const fail = (detail: string): never => {
    throw new DurationError(key, detail);
  };
  const expected = `expected a duration like ${EXAMPLES}${options.forever ? ', or forever' : ''}`;
  if (typeof text !== 'string') return fail(`${expected}, got ${JSON.stringify(text)}`);
  const t = text.trim();
  if (t === 'forever') {
    if (options.forever) return FOREVER;
    return fail(`forever is not allowed here (${expected.replace('expected', 'give')})`);
  }
  const m = SYNTAX.exec(t);
  const unit = m ? DURATION_UNITS[m[2]] : undefined;
  if (!m || unit === undefined) return fail(`${expected}, got ${JSON.stringify(text)}`);
  const ms = Math.round(Number(m[1]) * unit);
  const min = options.min ?? 1000;
  if (ms < min) return fail(`must be at least ${formatDuration(min)}, got ${JSON.stringify(text)}`);
  const max = options.max ?? MAX_DURATION_MS;
  if (ms > max) {
    const why = options.maxReason ?? 'what the stores can represent';
    return fail(
      `${JSON.stringify(text)} is beyond ${why} (at most ${formatDuration(max)})${options.forever ? ': use forever' : ''}`,
    );
  }
  return ms;
}

/** Milliseconds -> the duration syntax, in the largest unit that divides it (7d, 2y, 90s; FOREVER: forever). */
export function formatDuration(ms: number): string {
  if (ms === FOREVER) return 'forever';
  if (ms === 0) return '0s';
  // Weeks are left out: 14d reads better than 2w in a dump, and 7d than 1w.
  for (const u of ['y', 'd', 'h', 'm', 's']) {
    const n = ms / DURATION_UNITS[u];
    if (Number.isInteger(n)) return `${n}${u}`;
  }
  return `${ms / 1000}s`;
}

/** Each tier's retention in the duration syntax (for JSON, which has no Infinity for forever). */
export function retentionText(p: RetentionPolicy): Record<keyof RetentionPolicy, string> {
  return {
    raw: formatDuration(p.raw),
    aggregates: formatDuration(p.aggregates),
    daily: formatDuration(p.daily),
  };
}

/** `raw 7d, aggregates 90d, daily 2y` */
export function describeRetention(p: RetentionPolicy): string {
  const t = retentionText(p);
  return `raw ${t.raw}, aggregates ${t.aggregates}, daily ${t.daily}`;
}
