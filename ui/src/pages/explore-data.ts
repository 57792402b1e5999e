/** Series answers pivoted for charts and the table (pure: no React, no fetch). */

/** The nearest-rank 95th percentile. */
export function p95(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

export const DIMENSIONS = [
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'ip_protocol',
  'exporter_ip',
  'input_interface',
  'output_interface',
  'src_as',
  'dst_as',
  'protocol_type',
  'next_hop',
] as const;
/** A canonical field, or `ext.KEY[.KEY...]`: a value of extended_fields (raw flows only). */
export type Dimension = (typeof DIMENSIONS)[number] | `ext.${string}`;
/** As the API checks it (src/query/ast.ts EXT_KEY_PATTERN; the UI bundle does not import the server's code). */
export const EXT_DIMENSION = /^ext(\.[A-Za-z0-9_-]{1,64}){1,8}$/;

type Row = Record<string, string | number | null>;

export interface Pivot {
  times: number[];
  series: { name: string; values: number[] }[];
  total: number[];
}

/** columns [t, ...by, metric, series]: one named series per group (plus `other`) and the total. */
export function pivotSeries(rows: Row[], by: string[], metric: string): Pivot {
  const times = [...new Set(rows.map((r) => Number(r.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const named = new Map<string, number[]>();
  const total = times.map(() => 0);
  for (const r of rows) {
    const i = index.get(Number(r.t))!;
    const v = Number(r[metric]) || 0;
    if (r.series === 'total') {
      total[i] = v;
      continue;
    }
    const name = r.series === 'other' ? 'other' : by.map((f) => String(r[f])).join(' ');
    let arr = named.get(name);
    if (!arr) {
      arr = times.map(() => 0);
      named.set(name, arr);
    }
    arr[i] += v;
  }
  if (by.length === 0) named.set('total', total);
  const series = [...named].map(([name, values]) => ({ name, values }));
  // Largest first, `other` last: the legend and the table read top-down.
  series.sort((a, b) => (a.name === 'other' ? 1 : b.name === 'other' ? -1 : sum(b.values) - sum(a.values)));
  return { times, series, total };
}

const sum = (v: number[]) => v.reduce((a, x) => a + x, 0);

export interface TableRow {
  name: string;
  total: number;
  avg: number;
  p95: number;
  last: number;
}

export function seriesTable(p: Pivot): TableRow[] {
  return p.series.map((s) => ({
    name: s.name,
    total: sum(s.values),
    avg: s.values.length ? sum(s.values) / s.values.length : 0,
    p95: p95(s.values),
    last: s.values.at(-1) ?? 0,
  }));
}

/** Sankey nodes and links from a top answer grouped by 2-3 fields (a node per field value, per level). */
export function sankey(rows: Row[], by: string[], metric: string) {
  const nodes = new Set<string>();
  const links = new Map<string, { source: string; target: string; value: number }>();
  for (const r of rows) {
    if (by.some((f) => r[f] === null || r[f] === undefined)) continue;
    const names = by.map((f) => `${f}=${r[f]}`);
    for (const n of names) nodes.add(n);
    for (let i = 0; i + 1 < names.length; i++) {
      const k = `${names[i]}>${names[i + 1]}`;
      const l = links.get(k) ?? { source: names[i], target: names[i + 1], value: 0 };
      l.value += Number(r[metric]) || 0;
      links.set(k, l);
    }
  }
  return { nodes: [...nodes].map((name) => ({ name })), links: [...links.values()] };
}
