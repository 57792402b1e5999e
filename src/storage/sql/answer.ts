/**
 * A top-N answered across tiers: plan (query/plan.ts) from the store's tier state, compile to one
 * statement (compile.ts), run, name the columns. Shared by every SQL store; the store passes how to run a
 * statement and how to read a value back.
 */
import type { GroupField } from '../../core/columns.js';
import type { QueryResult, TopQuery } from '../../query/ast.js';
import { filterFields, planQuery } from '../../query/plan.js';
import type { TierState } from '../port.js';
import { compileTop } from './compile.js';
import type { Dialect } from './dialect.js';

export type Cell = string | number | null;

export interface AnswerTopOptions {
  query: TopQuery;
  state: TierState;
  now: number;
  dialect: Dialect;
  run(sql: string, params: unknown): Promise<Record<string, unknown>[]>;
  /** A grouped value as the result shows it (addresses as text, numbers as numbers). */
  cell(field: GroupField, value: unknown): Cell;
  /** A metric value (exact below 2^53). */
  metric(value: unknown): number;
}

export async function answerTop(o: AnswerTopOptions): Promise<QueryResult> {
  const q = o.query;
  const fields = [...new Set([...q.by, ...filterFields(q.filter)])];
  const plan = planQuery({ from: q.from, to: q.to, fields, tier: q.tier }, { now: o.now, ...o.state });
  const compiled = compileTop(q, plan.parts, o.dialect);
  const raw = compiled ? await o.run(compiled.sql, compiled.params) : [];
  const rows = raw.map((r) => {
    const out: Record<string, Cell> = {};
    q.by.forEach((f, i) => {
      out[f] = o.cell(f, r[`k${i}`]);
    });
    out[q.metric] = o.metric(r.m ?? 0);
    return out;
  });
  // A total over answered parts is one row even when nothing matched (0); with no part answered there is
  // no total to give (the gaps say why).
  return {
    tier: plan.parts[0]?.tier ?? q.tier ?? 'raw',
    parts: plan.parts,
    gaps: plan.gaps,
    complete: plan.complete,
    columns: [...q.by, q.metric],
    rows,
  };
}
