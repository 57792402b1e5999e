import { describe, expect, it } from 'vitest';
import { collapsePorts } from './ports.js';
import { touchedDays, touchedWindows, windowRanges, windowsBetween } from './windows.js';

const m = 60_000;
const day = Date.UTC(2026, 0, 1);

describe('window arithmetic', () => {
  it('windows by flow time, distinct and sorted', () => {
    const flows = [day + 7 * m, day + 2 * m, day + 4 * m + 59_999, day + 5 * m, day - 1].map((t) => ({
      flow_start: t,
    }));
    expect(touchedWindows(flows)).toEqual([day - 5 * m, day, day + 5 * m]);
  });
  it('merges adjacent windows into ranges', () => {
    expect(windowRanges([day + 10 * m, day, day + 5 * m, day + 30 * m])).toEqual([
      { from: day, to: day + 15 * m },
      { from: day + 30 * m, to: day + 35 * m },
    ]);
  });
  it('days of windows and windows of a range', () => {
    expect(touchedDays([day - 5 * m, day, day + 5 * m])).toEqual([day - 86_400_000, day]);
    expect(windowsBetween(day + 3 * m, day + 10 * m)).toEqual([day, day + 5 * m]);
  });
});

describe('ephemeral-port rule (hand-worked cases)', () => {
  it.each([
    // [src, dst, proto, expected]
    [50000, 443, 6, [0, 443]], // ephemeral client -> well-known service
    [443, 50000, 6, [443, 0]], // the reply keeps the service port on the source side
    [40000, 8080, 6, [0, 8080]], // ephemeral vs registered: the registered one is the service
    [2000, 22, 6, [0, 22]], // low BSD-style client port vs well-known
    [3000, 5432, 6, [3000, 5432]], // both registered: kept
    [40000, 50000, 17, [40000, 50000]], // both ephemeral (RTP-like): kept
    [123, 123, 17, [123, 123]], // equal
    [53, 123, 17, [53, 123]], // both well-known
    [0, 2048, 1, [0, 2048]], // ICMP type/code: not a port protocol
    [50000, 443, 47, [50000, 443]], // GRE: not a port protocol
    [null, 443, 6, [0, 443]], // null -> 0
    [50000, 443, null, [50000, 443]],
  ] as const)('%s -> %s proto %s', (s, d, p, want) => {
    expect(collapsePorts(s, d, p)).toEqual(want);
  });
});
