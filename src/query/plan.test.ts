import { describe, expect, it } from 'vitest';
import { FOREVER } from '../core/retention.js';
import { planQuery } from './plan.js';

const H = 3_600_000;
const D = 24 * H;
// 2026-03-10T12:07:00Z: a day boundary is 12 h 7 min back; windows are 5 minutes.
const now = Date.UTC(2026, 2, 10, 12, 7);
const watermark = Date.UTC(2026, 2, 10, 12, 0); // aggregated up to 12:00
const state = {
  now,
  aggregatedUntil: watermark,
  retention: { raw: 7 * D, aggregates: 90 * D, daily: 730 * D },
};
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

describe('the tier planner', () => {
  it('a running collector: aggregates up to the watermark, raw after it', () => {
    const p = planQuery({ from: now - 24 * H, to: now, fields: ['src_ip', 'dst_ip'] }, state);
    expect(p.parts).toEqual([
      { tier: 'raw', from: watermark, to: now },
      { tier: 'aggregates', from: now - 24 * H + 3 * 60_000, to: watermark },
      // 24 h back is 12:07 the day before: its partial window 12:07..12:10 comes from raw
      { tier: 'raw', from: now - 24 * H, to: now - 24 * H + 3 * 60_000 },
    ]);
    expect(p.gaps).toEqual([]);
    expect(p.complete).toBe(true);
  });

  it('nothing aggregated yet (a stopped serve, an empty store): raw answers all it holds', () => {
    const p = planQuery({ from: now - D, to: now + D, fields: [] }, { ...state, aggregatedUntil: null });
    expect(p.parts).toEqual([{ tier: 'raw', from: now - D, to: now + D }]);
  });

  it('a century: daily days, aggregates, raw; older than every retention named as expired', () => {
    const p = planQuery({ from: day(2000, 1, 1), to: day(2100, 1, 1), fields: ['dst_ip'] }, state);
    const aggFrom = day(2025, 12, 11); // first day boundary after now - 90 d (2025-12-10T12:07)
    const dailyFrom = day(2024, 3, 11); // first day boundary after now - 730 d (2024-03-10T12:07)
    expect(p.parts).toEqual([
      { tier: 'raw', from: watermark, to: day(2100, 1, 1) },
      { tier: 'aggregates', from: aggFrom, to: watermark },
      { tier: 'daily', from: dailyFrom, to: aggFrom },
    ]);
    expect(p.gaps.map((g) => [g.reason, g.from, g.to])).toEqual([
      ['approx', dailyFrom, aggFrom],
      ['expired', day(2000, 1, 1), dailyFrom],
    ]);
    expect(p.complete).toBe(false);
  });

  it('a field the aggregates lack: raw while it holds the span, then the span is named with the field', () => {
    const p = planQuery({ from: now - 30 * D, to: now, fields: ['input_interface'] }, state);
    expect(p.parts).toEqual([{ tier: 'raw', from: now - 7 * D, to: now }]);
    expect(p.gaps).toHaveLength(1);
    expect(p.gaps[0]).toMatchObject({
      reason: 'fields',
      fields: ['input_interface'],
      from: now - 30 * D,
      to: now - 7 * D,
    });
    expect(p.gaps[0].message).toMatch(/input_interface/);
  });

  it('ports: exact from raw while raw holds them, approximate from aggregates before', () => {
    const p = planQuery({ from: now - 10 * D, to: now, fields: ['dst_port'] }, state);
    expect(p.parts.map((x) => x.tier)).toEqual(['raw', 'aggregates']);
    expect(p.parts[0]).toEqual({ tier: 'raw', from: now - 7 * D, to: now });
    expect(p.parts[1]).toMatchObject({ tier: 'aggregates', approx: ['dst_port'] });
    expect(p.gaps.every((g) => g.reason === 'approx')).toBe(true);
    expect(p.complete).toBe(true);
  });

  it('a forced tier reads the whole range and names the spans it is not expected to hold', () => {
    const p = planQuery({ from: now - D, to: now, fields: [], tier: 'aggregates' }, state);
    expect(p.parts).toEqual([{ tier: 'aggregates', from: now - D, to: now }]);
    expect(p.gaps).toMatchObject([{ reason: 'forced_tier', from: watermark, to: now }]);
    expect(p.complete).toBe(false);
  });

  it('FOREVER retention: nothing is expired, raw serves any field', () => {
    const forever = { ...state, retention: { raw: FOREVER, aggregates: FOREVER, daily: FOREVER } };
    const p = planQuery({ from: day(2001, 1, 1), to: now, fields: ['src_as'] }, forever);
    expect(p.parts).toEqual([{ tier: 'raw', from: day(2001, 1, 1), to: now }]);
    expect(p.gaps).toEqual([]);
  });
});
