/**
 * The query kinds of issue 10 on the planned world of planned.ts (three tiers, expired raw and
 * aggregates), each against the plain-TypeScript reference evaluated over the parts the store reports:
 *
 * - top-N with `other` (top rows + other = the reference total) and `previous` (each group's reference
 *   metric over the previous period's parts);
 * - series: the groups chosen are a top-N of the reference, and every step's total, group and other
 *   values equal the reference's, steps straddling parts included;
 * - flow search: every page sequence (random page sizes) yields exactly the rows of one unpaged search,
 *   in order, newest first, without duplicates or omissions (also across equal flow_start values and
 *   flows equal in every key column), and those rows are the reference's flows of the range and filter.
 */
import { expect, it } from 'vitest';
import type { FlowRecord } from '../../core/record.js';
import { DAY_MS, HOUR_MS } from '../../core/rules.js';
import type {
  Filter,
  FlowSearchQuery,
  GroupBy,
  Metric,
  PlanPart,
  QueryResult,
  SeriesQuery,
  TopQuery,
} from '../../query/ast.js';
import type { FlowStore } from '../port.js';
import { expectTop, flowRow, normalizeRow, sortByJson } from './compare.js';
import { rng } from './generator.js';
import { rank } from './reference.js';

type Pick = <T>(xs: readonly T[]) => T;

/** The planned world and its reference (planned.ts passes them: it registers these tests). */
export interface PlannedContext {
  store(): FlowStore;
  flows: readonly FlowRecord[];
  now: number;
  watermark: number;
  seed: number;
  /** When the tied flows of planned.ts start. */
  tieAt: number;
  partItems(
    q: { by: GroupBy[]; metric: Metric; filter?: Filter },
    p: PlanPart,
  ): { key: (string | number | null)[]; v: number; t: number }[];
  /** The reference filter on a raw flow (true only: unknown does not match). */
  keep(filter: Filter, f: FlowRecord): boolean;
  randomFilter(r: () => number, pick: Pick, depth: number): Filter;
}

type Row = Record<string, string | number | null>;
const keyOf = (r: Row, by: readonly string[]) => JSON.stringify(by.map((f) => r[f]));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function plannedQueryTests(c: PlannedContext): void {
  const { now, seed } = c;
  const randomFilter = c.randomFilter;
  const partItems = (q: Parameters<PlannedContext['partItems']>[0], p: PlanPart) => c.partItems(q, p);
  const r = rng(seed + 10);
  const pick: Pick = (xs) => xs[Math.floor(r() * xs.length)];
  const marks = () => [now, c.watermark, now - 3 * DAY_MS, now - 6 * DAY_MS, now - 10 * DAY_MS];
  const time = () =>
    r() < 0.6 ? pick(marks()) + Math.floor((r() - 0.5) * 4 * HOUR_MS) : now - Math.floor(r() * 11 * DAY_MS);
  // Extended fields of the world with scalar values (a string, small integers): the raw tier groups them.
  const by = (): GroupBy[] =>
    (
      [
        'src_ip',
        'dst_ip',
        'dst_port',
        'ip_protocol',
        'exporter_ip',
        'src_port',
        'ext.sampling_source',
        'ext.frame_length',
      ] as GroupBy[]
    )
      .filter(() => r() < 0.3)
      .slice(0, 2);
  const metric = () => pick(['bytes', 'packets', 'flows'] as Metric[]);
  const filter = () => (r() < 0.5 ? { filter: randomFilter(r, pick, 1) } : {});

  it('top-N with other and previous = reference', async () => {
    let others = 0;
    for (let i = 0; i < 30; i++) {
      const [a, b] = [time(), time()].sort((x, y) => x - y);
      if (b - a < 60_000) continue;
      const q: TopQuery = {
        kind: 'top',
        by: by(),
        metric: metric(),
        from: a,
        to: b,
        limit: pick([1, 3, 10]),
        other: true,
        previous: true,
        ...filter(),
      };
      if (q.by.length === 0) q.by = ['dst_ip'];
      const label = JSON.stringify(q);
      const got: QueryResult = await c.store().query(q);
      const prevCol = `${q.metric}_previous`;
      expect(got.columns, label).toEqual([...q.by, q.metric, 'other', prevCol]);
      const items = (got.parts ?? []).flatMap((p) => partItems(q, p));
      const want = rank(items, q.by, q.metric);
      const top = got.rows.filter((x) => x.other === 0);
      const strip = (x: Row) =>
        Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'other' && k !== prevCol));
      expectTop(top.map(strip), want, q.metric, q.limit, label);
      const prevItems = (got.previous?.parts ?? []).flatMap((p) => partItems(q, p));
      const prev = new Map(
        rank(prevItems, q.by, q.metric).map((x) => [keyOf(x, q.by), x[q.metric] as number]),
      );
      for (const x of top) expect(x[prevCol], label).toBe(prev.get(keyOf(x, q.by)) ?? 0);
      expect(got.previous?.to, label).toBe(q.from);
      if ((got.parts ?? []).length === 0) continue;
      const other = got.rows.filter((x) => x.other === 1);
      expect(other.length, label).toBe(1);
      expect(got.rows[got.rows.length - 1], label).toBe(other[0]);
      for (const f of q.by) expect(other[0][f], label).toBeNull();
      const topSum = sum(top.map((x) => x[q.metric] as number));
      expect(other[0][q.metric], label).toBe(sum(items.map((x) => x.v)) - topSum);
      expect(other[0][prevCol], label).toBe(
        sum(prevItems.map((x) => x.v)) - sum(top.map((x) => x[prevCol] as number)),
      );
      if ((other[0][q.metric] as number) > 0) others++;
    }
    expect(others).toBeGreaterThan(3);
  });

  /** A series against the reference (straddling: a part boundary falls inside a step). */
  async function checkSeries(q: SeriesQuery): Promise<{ got: QueryResult; straddling: boolean }> {
    const label = JSON.stringify(q);
    const got = await c.store().query(q);
    const step = got.step as number;
    expect(step, label).toBeGreaterThan(0);
    expect(got.columns, label).toEqual(['t', ...q.by, q.metric, 'series']);
    const parts = got.parts ?? [];
    const items = parts.flatMap((p) => partItems(q, p));
    // The groups chosen: a top-N of the reference over the whole range (ties may pick either member).
    const groups = new Map<string, Row>();
    for (const x of got.rows.filter((x) => x.series === 'group')) groups.set(keyOf(x, q.by), x);
    const ranking = rank(items, q.by, q.metric);
    const whole = new Map(ranking.map((x) => [keyOf(x, q.by), x[q.metric] as number]));
    if (q.by.length > 0) {
      const chosen = [...groups.keys()].map((k) => whole.get(k) ?? -1).sort((x, y) => y - x);
      expect(chosen, label).toEqual(ranking.slice(0, q.limit).map((x) => x[q.metric]));
    }
    // Every step's rows, from the reference items.
    const want: Row[] = [];
    const stepOf = (t: number) => Math.floor(t / step) * step;
    const nulls = Object.fromEntries(q.by.map((f) => [f, null]));
    if (parts.length > 0)
      for (let t = stepOf(q.from); t < q.to; t += step) {
        const here = items.filter((x) => stepOf(x.t) === t);
        want.push({ t, ...nulls, [q.metric]: sum(here.map((x) => x.v)), series: 'total' });
        if (q.by.length === 0) continue;
        const per = new Map<string, { key: Row; v: number }>();
        let other: number | undefined;
        for (const x of here) {
          const key: Row = Object.fromEntries(q.by.map((f, j) => [f, x.key[j]]));
          const k = keyOf(key, q.by);
          if (!groups.has(k)) other = (other ?? 0) + x.v;
          else per.set(k, { key, v: (per.get(k)?.v ?? 0) + x.v });
        }
        for (const { key, v } of per.values()) want.push({ t, ...key, [q.metric]: v, series: 'group' });
        if (other !== undefined) want.push({ t, ...nulls, [q.metric]: other, series: 'other' });
      }
    expect(sortByJson(got.rows), label).toEqual(sortByJson(want));
    for (let k = 1; k < got.rows.length; k++)
      expect(got.rows[k].t as number, label).toBeGreaterThanOrEqual(got.rows[k - 1].t as number);
    // Within a step: the total first, then the groups in rank order, then other.
    const order = (x: Row) =>
      x.series === 'total'
        ? Number.NEGATIVE_INFINITY
        : x.series === 'other'
          ? Number.POSITIVE_INFINITY
          : -(whole.get(keyOf(x, q.by)) ?? 0);
    for (let k = 1; k < got.rows.length; k++)
      if (got.rows[k].t === got.rows[k - 1].t)
        expect(order(got.rows[k]), label).toBeGreaterThanOrEqual(order(got.rows[k - 1]));
    return { got, straddling: parts.some((p) => p.from % step !== 0 && p.from > q.from) };
  }

  it('series with a top-N split and totals per step = reference', async () => {
    let straddling = 0;
    for (let i = 0; i < 30; i++) {
      const [a, b] = [time(), time()].sort((x, y) => x - y);
      if (b - a < 60_000) continue;
      const q: SeriesQuery = {
        kind: 'series',
        by: by(),
        metric: metric(),
        from: a,
        to: b,
        limit: pick([1, 2, 5]),
        ...filter(),
      };
      if ((await checkSeries(q)).straddling) straddling++;
    }
    expect(straddling).toBeGreaterThan(0);
  });

  it('series split with many groups, ties at the N-th place and null keys = reference', async () => {
    // Key combinations with many groups (ephemeral ports) and absent values (null src_ip, protocol,
    // ports), limits below and above the number of groups, over the tied flows (equal metrics at the
    // N-th place), a multi-tier range and one that reaches into the daily tier.
    const bys: GroupBy[][] = [
      ['src_ip', 'src_port'],
      ['ext.sampling_source'],
      ['dst_ip', 'ext.frame_length'],
      ['src_ip'],
      ['ip_protocol'],
      ['dst_ip', 'dst_port', 'ip_protocol'],
      ['src_port'],
    ];
    const ranges: [number, number][] = [
      [c.tieAt - 10 * 60_000, c.tieAt + 10 * 60_000],
      [c.watermark - 2 * HOUR_MS, now],
      [now - 9 * DAY_MS, now],
    ];
    let nullGroups = 0;
    let withOther = 0;
    for (const [from, to] of ranges)
      for (const by of bys)
        for (const limit of [1, 2, 3, 7, 100]) {
          const q: SeriesQuery = { kind: 'series', by, metric: metric(), from, to, limit };
          const { got } = await checkSeries(q);
          const groupRows = got.rows.filter((x) => x.series === 'group');
          if (groupRows.some((x) => by.some((f) => x[f] === null))) nullGroups++;
          if (got.rows.some((x) => x.series === 'other')) withOther++;
        }
    // Without absent values (TCP only), so the top keys have no null: the dialect's fast rank form.
    const tcp: Filter = { op: 'eq', field: 'ip_protocol', value: 6 };
    for (const [from, to] of ranges)
      for (const by of [['dst_port'], ['dst_ip'], ['src_port']] as GroupBy[][])
        for (const limit of [2, 5])
          await checkSeries({ kind: 'series', by, metric: metric(), from, to, limit, filter: tcp });
    expect(nullGroups).toBeGreaterThan(3);
    expect(withOther).toBeGreaterThan(10);
  });

  it('flow search: pages of random sizes = one unpaged search = reference, newest first', async () => {
    const tie = c.tieAt;
    const ranges: [number, number, number][] = [
      [tie - 60_000, tie + 60_000, 3],
      [tie - 1, tie + 1, 7],
      [tie - 10 * 60_000, tie + 10 * 60_000, 40],
    ];
    for (let i = 0; i < 4; i++) {
      const a = now - Math.floor(r() * 6 * HOUR_MS);
      ranges.push([a, a + Math.floor(r() * 2 * HOUR_MS) + 60_000, 150]);
    }
    let tiesCut = 0;
    for (const [from, to, size] of ranges) {
      const q: FlowSearchQuery = {
        kind: 'flow_search',
        from,
        to,
        limit: 10_000,
        ...(r() < 0.4 ? filter() : {}),
      };
      const label = JSON.stringify(q);
      const all = await c.store().query(q);
      expect(all.next_cursor, label).toBeNull();
      const want = c.flows
        .filter((f) => f.flow_start >= from && f.flow_start < to)
        .filter((f) => !q.filter || c.keep(q.filter, f));
      const norm = (x: Row) => normalizeRow(x, ['extended_fields']);
      expect(sortByJson(all.rows.map(norm)), label).toEqual(sortByJson(want.map(flowRow).map(norm)));
      for (let k = 1; k < all.rows.length; k++)
        expect(all.rows[k - 1].flow_start as number).toBeGreaterThanOrEqual(all.rows[k].flow_start as number);
      const paged: Row[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < 1000; n++) {
        const limit = 1 + Math.floor(r() * size);
        const page = await c.store().query({ ...q, limit, ...(cursor ? { cursor } : {}) });
        expect(page.rows.length, label).toBeLessThanOrEqual(limit);
        const last = paged[paged.length - 1];
        if (last && page.rows[0] && last.flow_start === page.rows[0].flow_start) tiesCut++;
        paged.push(...page.rows);
        if (!page.next_cursor) break;
        expect(page.rows.length, label).toBe(limit);
        cursor = page.next_cursor;
      }
      expect(paged, label).toEqual(all.rows);
    }
    expect(tiesCut).toBeGreaterThan(3);
  });
}
