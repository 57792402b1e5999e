import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from './duration.js';
import { FOREVER } from './retention.js';

const S = 1000;
const D = 86_400_000;

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DurationError);
    return (err as Error).message;
  }
  throw new Error('expected a DurationError');
}

describe('parseDuration', () => {
  it('reads every unit', () => {
    const table: [string, number][] = [
      ['90s', 90 * S],
      ['15m', 15 * 60 * S],
      ['12h', 12 * 3600 * S],
      ['7d', 7 * D],
      ['2w', 14 * D],
      ['2y', 730 * D],
      ['100y', 36_500 * D],
      ['1000y', 365_000 * D],
      ['1.5h', 5400 * S],
      [' 7 d ', 7 * D],
    ];
    for (const [text, ms] of table) expect(parseDuration(text, 'k'), text).toBe(ms);
  });

  it('takes forever only where it is allowed', () => {
    expect(parseDuration('forever', 'retention.raw', { forever: true })).toBe(FOREVER);
    expect(errorOf(() => parseDuration('forever', 'jobs.aggregateGrace'))).toBe(
      'jobs.aggregateGrace: forever is not allowed here (give a duration like 90s, 15m, 12h, 7d, 2w or 2y)',
    );
  });

  it('refuses bad text with one error naming the key', () => {
    const table: [unknown, string][] = [
      ['7', 'expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, got "7"'],
      [7, 'expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, got 7'],
      ['7days', 'expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, got "7days"'],
      ['7D', 'expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, got "7D"'],
      ['-7d', 'expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, got "-7d"'],
      ['', 'expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, got ""'],
      ['0s', 'must be at least 1s, got "0s"'],
      ['0.2s', 'must be at least 1s, got "0.2s"'],
    ];
    for (const [text, detail] of table)
      expect(errorOf(() => parseDuration(text, 'some.key'))).toBe(`some.key: ${detail}`);
  });

  it('refuses what no store can represent, pointing at forever', () => {
    expect(errorOf(() => parseDuration('1001y', 'retention.raw', { forever: true }))).toBe(
      'retention.raw: "1001y" is beyond what the stores can represent (at most 1000y): use forever',
    );
    expect(
      errorOf(() => parseDuration('99999999999999999999d', 'retention.daily', { forever: true })),
    ).toMatch(/^retention\.daily: .* use forever$/);
    expect(
      errorOf(() => parseDuration('30d', 'jobs.rollupEvery', { max: 24 * D, maxReason: 'a timer' })),
    ).toBe('jobs.rollupEvery: "30d" is beyond a timer (at most 24d)');
    expect(parseDuration('0s', 'jobs.aggregateGrace', { min: 0 })).toBe(0);
  });

  it('formats back in the largest whole unit', () => {
    expect(formatDuration(7 * D)).toBe('7d');
    expect(formatDuration(730 * D)).toBe('2y');
    expect(formatDuration(90 * S)).toBe('90s');
    expect(formatDuration(120 * S)).toBe('2m');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(FOREVER)).toBe('forever');
    expect(formatDuration(MAX_DURATION_MS)).toBe('1000y');
    for (const t of ['90s', '15m', '12h', '7d', '2y', '100y'])
      expect(formatDuration(parseDuration(t, 'k'))).toBe(t);
  });
});
