import { describe, expect, it } from 'vitest';
import { classify } from './history.js';

const base = {
  inPeriod: true,
  inBase: true,
  bytes: 1000,
  bytesBase: 1000,
  p95: 100 as number | null,
  p95Base: 100 as number | null,
  ruleOrDirectionChanged: false,
  factor: 0.5,
  p95Factor: 0.5,
};

describe('classify (deps diff classes)', () => {
  const cases: [string, Partial<typeof base>, string][] = [
    ['new: nothing in the base', { inBase: false }, 'new'],
    ['vanished: nothing in the period', { inPeriod: false }, 'vanished'],
    ['same: within the factor both ways', { bytes: 1400, p95: 60 }, 'same'],
    ['grown by bytes beyond the factor', { bytes: 1501 }, 'grown'],
    ['exactly the factor is not a move', { bytes: 1500 }, 'same'],
    ['shrunk by bytes beyond the factor', { bytes: 499 }, 'shrunk'],
    ['bytes decide before p95 (grown bytes, shrunk p95)', { bytes: 2000, p95: 10 }, 'grown'],
    ['p95 alone: burstier', { p95: 151 }, 'grown'],
    ['p95 alone: smoother', { p95: 49 }, 'shrunk'],
    ['p95 missing on one side says nothing', { p95: null, ruleOrDirectionChanged: false }, 'same'],
    ['from a zero p95 any p95 is growth', { p95Base: 0, p95: 1 }, 'grown'],
    ['from zero bytes in the base any bytes are growth', { bytesBase: 0, bytes: 1, p95Base: null }, 'grown'],
    ['direction corrected, volume steady', { ruleOrDirectionChanged: true }, 'direction_changed'],
    [
      'direction corrected and grown: grown (the flag says the rest)',
      { ruleOrDirectionChanged: true, bytes: 5000 },
      'grown',
    ],
    ['a looser p95 factor ignores the p95 move', { p95: 151, p95Factor: 1 }, 'same'],
  ];
  for (const [name, o, want] of cases) it(name, () => expect(classify({ ...base, ...o })).toBe(want));
});
