/**
 * Periods as `deps diff --period A --against B` and the API's `period`/`against` take them: `FROM..TO`
 * (each side a time as core/time.ts reads it: ISO-8601, epoch ms, `now`, `-7d`) or a duration `D` (`7d`).
 * A duration period is the last D ending now; a duration base is the D ending where the period starts,
 * so `--period 7d --against 7d` is this week against the week before. One parser for the CLI and the API.
 */
import { DurationError, parseDuration } from './duration.js';
import { parseTimeSpec } from './time.js';

/** A period that cannot be used; `key` is the flag or parameter it was given as. */
export class PeriodError extends Error {
  override readonly name = 'PeriodError';
  constructor(
    readonly key: string,
    readonly detail: string,
  ) {
    super(`${key}: ${detail}`);
  }
}

export interface Periods {
  from: number;
  to: number;
  baseFrom: number;
  baseTo: number;
}

const EXPECTED =
  'expected FROM..TO (each side an ISO-8601 time, epoch ms, now or -7d, e.g. 2026-11-01..2026-11-08 or -14d..-7d) or a duration such as 7d';

/** One period: `endsAt` is where a duration ends (now for the period, the period's start for the base). */
function parsePeriod(text: string, key: string, now: number, endsAt: number): { from: number; to: number } {
  const t = text.trim();
  const dots = t.indexOf('..');
  if (dots >= 0) {
    const sides = [t.slice(0, dots), t.slice(dots + 2)];
    const [from, to] = sides.map((s) => parseTimeSpec(s.trim(), now));
    const bad = from === null ? sides[0] : to === null ? sides[1] : undefined;
    if (bad !== undefined)
      throw new PeriodError(key, `${EXPECTED}; ${JSON.stringify(bad.trim())} is not a time`);
    if (!((to as number) > (from as number)))
      throw new PeriodError(key, `FROM must be before TO, got ${JSON.stringify(text)}`);
    return { from: from as number, to: to as number };
  }
  let d: number;
  try {
    d = parseDuration(t, key);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new PeriodError(key, `${EXPECTED}, got ${JSON.stringify(text)}`);
  }
  return { from: endsAt - d, to: endsAt };
}

/**
 * The period and its base. `names` are how the caller spells them in errors (`--period`/`--against` on
 * the CLI, `period`/`against` in the API).
 */
export function parsePeriods(o: {
  period: string;
  against: string;
  now: number;
  names: { period: string; against: string };
}): Periods {
  const a = parsePeriod(o.period, o.names.period, o.now, o.now);
  const b = parsePeriod(o.against, o.names.against, o.now, a.from);
  return { from: a.from, to: a.to, baseFrom: b.from, baseTo: b.to };
}

/** A diff's periods as given: the two period texts or the four times (already read as epoch ms). */
export interface PeriodInput {
  period?: string;
  against?: string;
  from?: number;
  to?: number;
  baseFrom?: number;
  baseTo?: number;
}

const RANGE_KEYS = ['from', 'to', 'baseFrom', 'baseTo'] as const;

/**
 * A diff's periods from either form, `period` + `against` or the four times, never a mix; PeriodError
 * naming the key at fault as `names` spells it (`--base-from` on the CLI, `baseFrom` in the API).
 */
export function choosePeriods(
  input: PeriodInput,
  o: { now: number; names: Record<keyof PeriodInput, string> },
): Periods {
  const n = o.names;
  const both = `${n.period} and ${n.against}`;
  const four = `${n.from}, ${n.to}, ${n.baseFrom} and ${n.baseTo}`;
  const fail = (key: keyof PeriodInput, detail: string) => new PeriodError(n[key], detail);
  const given = RANGE_KEYS.filter((k) => input[k] !== undefined);
  if (input.period !== undefined || input.against !== undefined) {
    if (given.length > 0) throw fail(given[0], `give ${both}, or ${four}, not both`);
    if (input.period === undefined) throw fail('period', `required with ${n.against} (e.g. "7d")`);
    if (input.against === undefined)
      throw fail('against', `required with ${n.period} (e.g. "7d": the 7 days before)`);
    return parsePeriods({ period: input.period, against: input.against, now: o.now, names: n });
  }
  if (given.length === 0) throw fail('period', `give ${both} (e.g. "7d" and "7d"), or ${four}`);
  const missing = RANGE_KEYS.find((k) => input[k] === undefined);
  if (missing !== undefined) throw fail(missing, `required with ${four} (or give ${both} instead)`);
  const p = input as Periods;
  if (!(p.to > p.from)) throw fail('to', `must be after ${n.from}`);
  if (!(p.baseTo > p.baseFrom)) throw fail('baseTo', `must be after ${n.baseFrom}`);
  return p;
}
