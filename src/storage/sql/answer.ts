/**
 * Top-N and series answered across tiers: plan (query/plan.ts) from the store's tier state, compile
 * (compile.ts), run, name the columns. Shared by every SQL store; the store passes how to run a
 * statement and how to read a value back.
 */

import { HOUR_MS } from '../../core/rules.js';
import {
  byField,
  type GroupBy,
  type PlanPart,
  type QueryResult,
  type SeriesQuery,
  type TopQuery,
} from '../../query/ast.js';
import { filterFields, planQuery, type QueryPlan } from '../../query/plan.js';
import { type Scope, scopeAnd, scopeQuery } from '../../query/scope.js';
import { checkStep, chooseStep, stepCount } from '../../query/steps.js';
import type { TierState } from '../port.js';
import { compileSeries, compileTop } from './compile.js';
import type { Dialect } from './dialect.js';

export type Cell = string | number | null;
type Row = Record<string, Cell>;

export interface AnswerOptions<Q> {
  query: Q;
  state: TierState;
  now: number;
  dialect: Dialect;
  run(sql: string, params: unknown): Promise<Record<string, unknown>[]>;
  /** A grouped value as the result shows it (addresses as text, numbers as numbers). */
  cell(field: GroupBy, value: unknown): Cell;
  /** A metric value (exact below 2^53). */
  metric(value: unknown): number;
  /**
   * A tenant scope not yet in `query` (top-N only): planned as part of the filter, compiled by
   * compileTop, which may test it per group (compile.ts groupScope). A store may instead pass the query
   * already scoped (query/scope.ts scopeQuery) and no scope.
   */
  scope?: Scope;
  /**
   * Optional: the parts a ranking statement, or a series whose step is whole hours, reads, from the
   * plan's (e.g. whole hours of an aggregate part put on the store's hourly rollup, PlanPart.rollup).
   * Same sums, fewer rows; the result still reports the plan's parts.
   */
  rollup?(parts: readonly PlanPart[]): PlanPart[];
}

export type AnswerTopOptions = AnswerOptions<TopQuery>;

/** Every group of the plan at once (the previous period's groups are matched to this period's). */
const ALL = Number.MAX_SAFE_INTEGER;

type Ranked = { by: readonly GroupBy[]; metric: TopQuery['metric']; filter?: TopQuery['filter'] };

function plan<Q extends { from: number; to: number; tier?: TopQuery['tier'] } & Ranked>(
  o: AnswerOptions<Q>,
  from = o.query.from,
  to = o.query.to,
): QueryPlan {
  const q = o.query;
  const fields = [...new Set([...q.by.map(byField), ...filterFields(scopeAnd(q.filter, o.scope))])];
  return planQuery({ from, to, fields, tier: q.tier }, { now: o.now, ...o.state });
}

/** The ranked groups of a plan: rows with the `by` fields and the metric, best first. */
async function ranked<Q extends Ranked>(
  o: AnswerOptions<Q>,
  p: QueryPlan,
  limit: number,
  by: readonly GroupBy[] = o.query.by,
): Promise<Row[]> {
  const q = o.query;
  const spec = { by, metric: q.metric, filter: q.filter, limit, scope: o.scope };
  const compiled = compileTop(spec, o.rollup ? o.rollup(p.parts) : p.parts, o.dialect);
  const raw = compiled ? await o.run(compiled.sql, compiled.params) : [];
  return raw.map((r) => {
    const out: Row = {};
    by.forEach((f, i) => {
      out[f] = o.cell(f, r[`k${i}`]);
    });
    out[q.metric] = o.metric(r.m ?? 0);
    return out;
  });
}

const keyOf = (r: Row, by: readonly string[]) => JSON.stringify(by.map((f) => r[f]));
const total = (rows: Row[], metric: string) => rows.reduce((s, r) => s + Number(r[metric] ?? 0), 0);

export async function answerTop(o: AnswerTopOptions): Promise<QueryResult> {
  const q = o.query;
  const p = plan(o);
  const rows = await ranked(o, p, q.limit);
  const columns: string[] = [...q.by, q.metric];
  const result: QueryResult = {
    tier: p.parts[0]?.tier ?? q.tier ?? 'raw',
    parts: p.parts,
    gaps: p.gaps,
    complete: p.complete,
    columns,
    rows,
  };
  // A total over answered parts is one row even when nothing matched (0); with no part answered there is
  // no total to give (the gaps say why).
  if (q.other && q.by.length > 0) {
    // The total of the same plan minus the top rows: exact, and one cheap statement without grouping.
    const [all] = await ranked(o, p, 1, []);
    const other: Row = Object.fromEntries(q.by.map((f) => [f, null]));
    other[q.metric] = Number(all?.[q.metric] ?? 0) - total(rows, q.metric);
    for (const r of rows) r.other = 0;
    other.other = 1;
    if (p.parts.length > 0) rows.push(other);
  }
  if (q.other) columns.push('other');
  if (q.previous) {
    const from = q.from - (q.to - q.from);
    const pp = plan(o, from, q.from);
    // Every group of the previous period, matched by key: exact whatever the ranking was then.
    const prev = new Map(
      (await ranked({ ...o, query: { ...q, from, to: q.from } }, pp, ALL)).map((r) => [
        keyOf(r, q.by),
        Number(r[q.metric]),
      ]),
    );
    const col = `${q.metric}_previous`;
    let topPrev = 0;
    for (const r of rows) {
      if (r.other === 1) continue;
      r[col] = prev.get(keyOf(r, q.by)) ?? 0;
      topPrev += r[col] as number;
    }
    const otherRow = rows.find((r) => r.other === 1);
    if (otherRow) otherRow[col] = [...prev.values()].reduce((a, b) => a + b, 0) - topPrev;
    columns.push(col);
    result.previous = { from, to: q.from, parts: pp.parts, gaps: pp.gaps, complete: pp.complete };
  }
  return result;
}

/**
 * A series: the top `limit` groups over the whole range (the same ranking as a top-N), then one statement
 * that sums per step each of those groups and `other` (compileSeries labels a row by its group's rank);
 * the step totals are the sums of those few rows.
 */
export async function answerSeries(opts: AnswerOptions<SeriesQuery>): Promise<QueryResult> {
  // The series statement tests the scope per row: fold a scope given apart into the filter.
  const o = { ...opts, query: scopeQuery(opts.query, opts.scope), scope: undefined };
  const q = o.query;
  const p = plan(o);
  const step =
    q.step === undefined ? chooseStep(q.from, q.to, p.parts) : checkStep(q.from, q.to, q.step, p.parts);
  const top = q.by.length > 0 ? await ranked(o, p, q.limit) : [];
  const keys = top.map((r) => q.by.map((f) => r[f]));
  // Steps of whole hours may read whole hours from the store's rollup (a step never splits an hour then).
  const parts = o.rollup && step % HOUR_MS === 0 ? o.rollup(p.parts) : p.parts;
  const compiled = compileSeries({ ...q, top: keys }, parts, o.dialect, step);
  const raw = compiled ? await o.run(compiled.sql, compiled.params) : [];
  // Per step: the total, each top group's value, the other value (present when such rows exist).
  const steps = new Map<number, { total: number; groups: (number | undefined)[]; other?: number }>();
  const first = Math.floor(q.from / step) * step;
  if (p.parts.length > 0)
    for (let i = 0; i < stepCount(q.from, q.to, step); i++)
      steps.set(first + i * step, { total: 0, groups: [] });
  for (const r of raw) {
    const t = Number(r.t);
    const m = o.metric(r.m ?? 0);
    const s = steps.get(t) ?? { total: 0, groups: [] };
    steps.set(t, s);
    s.total += m;
    if (q.by.length === 0) continue;
    const g = Number(r.g);
    if (g < 0) s.other = (s.other ?? 0) + m;
    else s.groups[g] = (s.groups[g] ?? 0) + m;
  }
  const nulls = Object.fromEntries(q.by.map((f) => [f, null]));
  const rows: Row[] = [];
  for (const [t, s] of [...steps].sort((a, b) => a[0] - b[0])) {
    rows.push({ t, ...nulls, [q.metric]: s.total, series: 'total' });
    s.groups.forEach((m, g) => {
      if (m === undefined) return;
      const key = Object.fromEntries(q.by.map((f) => [f, top[g][f]]));
      rows.push({ t, ...key, [q.metric]: m, series: 'group' });
    });
    if (s.other !== undefined) rows.push({ t, ...nulls, [q.metric]: s.other, series: 'other' });
  }
  return {
    tier: p.parts[0]?.tier ?? q.tier ?? 'raw',
    parts: p.parts,
    gaps: p.gaps,
    complete: p.complete,
    step,
    columns: ['t', ...q.by, q.metric, 'series'],
    rows,
  };
}
