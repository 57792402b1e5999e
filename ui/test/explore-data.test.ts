/**
 * The Explore pivots (ui/src/pages/explore-data.ts) against a plain recomputation from random series answers
 * shaped as the API's (columns [t, ...by, metric, series]; a total row per step, group rows, other rows).
 */
import { describe, expect, it } from 'vitest';
import { pivotSeries, sankey, seriesTable } from '../src/pages/explore-data.js';

function randomAnswer(seed: number) {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const ports = [53, 443, 5432, 8080];
  const rows: Record<string, string | number | null>[] = [];
  for (let step = 0; step < 12; step++) {
    const t = 1_700_000_000_000 + step * 300_000;
    let total = 0;
    for (const p of ports)
      if (rnd() < 0.7) {
        const v = Math.floor(rnd() * 1e6);
        total += v;
        rows.push({ t, dst_port: p, bytes: v, series: 'group' });
      }
    if (rnd() < 0.5) {
      const v = Math.floor(rnd() * 1e5);
      total += v;
      rows.push({ t, dst_port: null, bytes: v, series: 'other' });
    }
    rows.push({ t, dst_port: null, bytes: total, series: 'total' });
  }
  return rows;
}

describe('explore pivots', () => {
  it('every series total, avg, last equal a plain recomputation; series sum to the total per step', () => {
    for (let seed = 1; seed < 30; seed++) {
      const rows = randomAnswer(seed);
      const p = pivotSeries(rows, ['dst_port'], 'bytes');
      const table = seriesTable(p);
      const steps = [...new Set(rows.map((r) => r.t))].length;
      for (const r of table) {
        const mine = rows.filter((x) =>
          r.name === 'other' ? x.series === 'other' : x.series === 'group' && String(x.dst_port) === r.name,
        );
        const total = mine.reduce((a, x) => a + Number(x.bytes), 0);
        expect(r.total).toBe(total);
        expect(r.avg).toBeCloseTo(total / steps, 6);
        const lastT = Math.max(...rows.map((x) => Number(x.t)));
        expect(r.last).toBe(mine.filter((x) => x.t === lastT).reduce((a, x) => a + Number(x.bytes), 0));
        expect(r.p95).toBeLessThanOrEqual(Math.max(...p.series.find((s) => s.name === r.name)!.values));
      }
      for (let i = 0; i < p.times.length; i++)
        expect(p.series.reduce((a, s) => a + s.values[i], 0)).toBe(p.total[i]);
      expect(table.at(-1)?.name === 'other' || !table.some((r) => r.name === 'other')).toBe(true);
    }
  });

  it('sankey links carry the sum of the rows between two levels', () => {
    const rows = [
      { src_ip: 'a', dst_port: 443, bytes: 10 },
      { src_ip: 'a', dst_port: 443, bytes: 5 },
      { src_ip: 'b', dst_port: 53, bytes: 7 },
      { src_ip: null, dst_port: 53, bytes: 100 },
    ];
    const g = sankey(rows, ['src_ip', 'dst_port'], 'bytes');
    expect(g.links).toEqual([
      { source: 'src_ip=a', target: 'dst_port=443', value: 15 },
      { source: 'src_ip=b', target: 'dst_port=53', value: 7 },
    ]);
    expect(g.nodes.map((n) => n.name).sort()).toEqual([
      'dst_port=443',
      'dst_port=53',
      'src_ip=a',
      'src_ip=b',
    ]);
  });
});
