/** Times as people and programs type them: one syntax for the CLI's --from/--to and the API's from/to. */
import { DurationError, parseDuration } from './duration.js';

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A time as people and programs write it: epoch milliseconds (number or digits), ISO-8601 (UTC unless an
 * offset is given), `now`, or relative to now (`-90m`, `-1h`, `-7d`). Null when it is none of these.
 */
export function parseTimeSpec(v: string | number, now: number): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  const t = v.trim();
  if (t === 'now') return now;
  if (/^\d{1,16}$/.test(t)) return Number(t);
  if (t.startsWith('-')) {
    try {
      return now - parseDuration(t.slice(1), 'time');
    } catch (err) {
      if (err instanceof DurationError) return null;
      throw err;
    }
  }
  if (ISO.test(t)) {
    // Without an offset a time of day is UTC (Date.parse would take local time).
    const ms = Date.parse(/[T ]\d{2}:\d{2}/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t}Z` : t);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  return null;
}
