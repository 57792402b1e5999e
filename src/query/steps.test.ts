import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS, WINDOW_MS } from '../core/rules.js';
import { checkStep, chooseStep, MAX_STEPS, stepCount } from './steps.js';

const raw = (from: number, to: number) => [{ tier: 'raw' as const, from, to }];

describe('series step', () => {
  it('follows the range and the finest tier of the plan', () => {
    const t = 1_700_000_000_000;
    expect(chooseStep(t, t + HOUR_MS, raw(t, t + HOUR_MS))).toBe(MINUTE_MS);
    expect(chooseStep(t, t + HOUR_MS, [...raw(t, t + HOUR_MS), { tier: 'aggregates', from: t, to: t }])).toBe(
      WINDOW_MS,
    );
    expect(chooseStep(t, t + 2 * DAY_MS, raw(t, t + 2 * DAY_MS))).toBe(WINDOW_MS);
    expect(chooseStep(t, t + 30 * DAY_MS, raw(t, t + 30 * DAY_MS))).toBe(HOUR_MS);
    expect(chooseStep(t, t + 300 * DAY_MS, raw(t, t + 300 * DAY_MS))).toBe(DAY_MS);
    expect(chooseStep(t, t + 5 * DAY_MS, [{ tier: 'daily', from: t, to: t }])).toBe(DAY_MS);
    for (const span of [MINUTE_MS, 3 * HOUR_MS, 80 * DAY_MS, 1000 * DAY_MS])
      expect(stepCount(t, t + span, chooseStep(t, t + span, raw(t, t + span)))).toBeLessThanOrEqual(
        MAX_STEPS,
      );
  });

  it('refuses a step a tier cannot answer, naming step', () => {
    expect(() => checkStep(0, HOUR_MS, MINUTE_MS, [{ tier: 'aggregates', from: 0, to: HOUR_MS }])).toThrow(
      /^step: /,
    );
    expect(checkStep(0, HOUR_MS, 2 * WINDOW_MS, [{ tier: 'aggregates', from: 0, to: HOUR_MS }])).toBe(
      2 * WINDOW_MS,
    );
  });
});
