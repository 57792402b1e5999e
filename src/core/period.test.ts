/** Periods (`deps diff --period A --against B`, the API's period/against) against a plain reference. */
import { describe, expect, it } from 'vitest';
import { choosePeriods, PeriodError, type PeriodInput, parsePeriods } from './period.js';

const NOW = Date.UTC(2026, 11, 6, 21, 30);
const DAY = 86_400_000;
const names = { period: '--period', against: '--against' };
const parse = (period: string, against: string) => parsePeriods({ period, against, now: NOW, names });
const err = (period: string, against: string) => {
  try {
    parse(period, against);
  } catch (e) {
    expect(e).toBeInstanceOf(PeriodError);
    return (e as Error).message;
  }
  throw new Error('expected a PeriodError');
};

describe('periods', () => {
  it('a duration period ends now; a duration base ends where the period starts', () => {
    for (const [d, ms] of [
      ['7d', 7 * DAY],
      ['36h', 1.5 * DAY],
      ['2w', 14 * DAY],
    ] as const)
      for (const [b, bms] of [
        ['7d', 7 * DAY],
        ['1d', DAY],
      ] as const)
        expect(parse(d, b)).toEqual({ from: NOW - ms, to: NOW, baseFrom: NOW - ms - bms, baseTo: NOW - ms });
  });

  it('FROM..TO takes any time the CLI takes, on either side, with a duration or a range as the other', () => {
    expect(parse('2026-11-08..2026-11-15', '2026-11-01..2026-11-08')).toEqual({
      from: Date.UTC(2026, 10, 8),
      to: Date.UTC(2026, 10, 15),
      baseFrom: Date.UTC(2026, 10, 1),
      baseTo: Date.UTC(2026, 10, 8),
    });
    expect(parse('-7d..now', '-14d..-7d')).toEqual({
      from: NOW - 7 * DAY,
      to: NOW,
      baseFrom: NOW - 14 * DAY,
      baseTo: NOW - 7 * DAY,
    });
    expect(parse(`2026-11-08T12:00:00Z..${Date.UTC(2026, 10, 15)}`, '3d')).toEqual({
      from: Date.UTC(2026, 10, 8, 12),
      to: Date.UTC(2026, 10, 15),
      baseFrom: Date.UTC(2026, 10, 5, 12),
      baseTo: Date.UTC(2026, 10, 8, 12),
    });
    expect(parse('7d', '2026-01-01..2026-01-08').baseTo).toBe(Date.UTC(2026, 0, 8));
  });

  it('bad input: one error naming the flag and what was expected', () => {
    expect(err('week', '7d')).toMatch(
      /^--period: expected FROM\.\.TO \(.*\) or a duration such as 7d, got "week"$/,
    );
    expect(err('7d', '2026-11-01..soon')).toMatch(
      /^--against: expected FROM\.\.TO .*; "soon" is not a time$/,
    );
    expect(err('-7d..-14d', '7d')).toBe('--period: FROM must be before TO, got "-7d..-14d"');
    expect(err('7d', '')).toMatch(/^--against: expected FROM\.\.TO/);
    expect(err('7d', '..')).toMatch(/^--against: .*"" is not a time$/);
  });

  it('choosePeriods takes one form, never a mix, and names the key at fault', () => {
    const keys = { period: 'P', against: 'A', from: 'F', to: 'T', baseFrom: 'BF', baseTo: 'BT' };
    const choose = (input: PeriodInput) => choosePeriods(input, { now: NOW, names: keys });
    const key = (input: PeriodInput) => {
      try {
        choose(input);
      } catch (e) {
        expect(e).toBeInstanceOf(PeriodError);
        return (e as PeriodError).key;
      }
      return 'no error';
    };
    expect(choose({ period: '7d', against: '7d' })).toEqual(parse('7d', '7d'));
    const four = { from: NOW - 2 * DAY, to: NOW - DAY, baseFrom: NOW - 4 * DAY, baseTo: NOW - 3 * DAY };
    expect(choose(four)).toEqual(four);
    expect(key({})).toBe('P');
    expect(key({ against: '7d' })).toBe('P');
    expect(key({ period: '7d' })).toBe('A');
    expect(key({ period: '7d', against: '7d', to: NOW })).toBe('T');
    expect(key({ ...four, baseTo: undefined })).toBe('BT');
    expect(key({ ...four, to: four.from })).toBe('T');
    expect(key({ ...four, baseTo: four.baseFrom - 1 })).toBe('BT');
    expect(key({ period: 'week', against: '7d' })).toBe('P');
  });
});
