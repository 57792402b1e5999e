/**
 * Flow search: raw flows newest first, a page at a time, with keyset pagination (query/cursor.ts).
 *
 * The raw tier has no row id, so the order is flow_start DESC and then a tie-breaker over the columns
 * below (every one DESC, NULL as its own value): two flows equal in all of them are the same flow
 * exported twice or indistinguishable for a reader. The cursor carries the last row's key and how many
 * rows with exactly that key were handed out; the next page reads rows with key <= it and skips those,
 * so equal keys that straddle a page boundary are neither repeated nor lost. (Rows equal in every key
 * column but different elsewhere, e.g. tcp_flags only, may swap places between two reads: not seen in
 * exported data, where received_at and the counters differ.)
 */
import type { FlowSearchQuery, PlanGap, PlanPart, QueryResult } from '../../query/ast.js';
import { decodeCursor, encodeCursor } from '../../query/cursor.js';
import { filterFields, planQuery } from '../../query/plan.js';
import type { TierState } from '../port.js';
import { compileFilter } from './compile.js';
import type { Binder, Dialect } from './dialect.js';

type Kind = 'time' | 'ip' | 'ip?' | 'int' | 'int?';

/** The sort key: flow_start first (the page's order), then enough columns to tell exported flows apart. */
const KEY: [string, Kind][] = [
  ['flow_start', 'time'],
  ['received_at', 'time'],
  ['flow_end', 'time'],
  ['exporter_ip', 'ip'],
  ['src_ip', 'ip?'],
  ['dst_ip', 'ip?'],
  ['src_port', 'int?'],
  ['dst_port', 'int?'],
  ['ip_protocol', 'int?'],
  ['bytes_total', 'int'],
  ['packets_total', 'int'],
];

interface KeyExpr {
  /** The expression sorted by (and read back as key_N). */
  sort: string;
  /** How a cursor value is bound to compare with the expression. */
  bind(v: string | number, b: Binder): string;
}

/** Non-null sort expressions: a nullable column becomes (is null, value or a stand-in). */
function keyExprs(d: Dialect): KeyExpr[] {
  const out: KeyExpr[] = [];
  const int = (v: string | number, b: Binder) => b.bind(Number(v), 'int');
  for (const [col, kind] of KEY) {
    if (kind === 'time') out.push({ sort: d.epochMs(col), bind: int });
    else if (kind === 'int') out.push({ sort: col, bind: int });
    else if (kind === 'int?') out.push({ sort: `COALESCE(${col}, -1)`, bind: int });
    else {
      const ip = (v: string | number, b: Binder) => d.orderKey(b.bind(String(v), 'ip'), 'ip');
      if (kind === 'ip?') {
        out.push({ sort: `(CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END)`, bind: int });
        out.push({
          sort: `COALESCE(${d.orderKey(col, 'ip')}, ${d.orderKey(d.sentinel('::'), 'ip')})`,
          bind: ip,
        });
      } else out.push({ sort: d.orderKey(col, 'ip'), bind: ip });
    }
  }
  return out;
}

export interface FlowSearchOptions {
  query: FlowSearchQuery;
  state: TierState;
  now: number;
  dialect: Dialect;
  /** The canonical columns as the store selects them from flow_records (its `flows` query's list). */
  select: string;
  run(sql: string, params: unknown): Promise<Record<string, unknown>[]>;
  /** A selected row as the result shows it (the key_N columns already removed). */
  row(r: Record<string, unknown>): Record<string, string | number | null>;
  columns: readonly string[];
}

export async function answerFlowSearch(o: FlowSearchOptions): Promise<QueryResult> {
  const q = o.query;
  const d = o.dialect;
  const keys = keyExprs(d);
  const cursor = q.cursor ? decodeCursor(q.cursor, keys.length) : null;
  // Raw flows only: the planner names the spans raw is not expected to hold (retention).
  const fields = [...filterFields(q.filter)];
  const plan = planQuery({ from: q.from, to: q.to, fields, tier: 'raw' }, { now: o.now, ...o.state });
  const b = d.binder();
  const where = [d.timeWhere('raw', q.from, q.to, b)];
  if (q.filter) where.push(compileFilter(q.filter, 'raw', d, b));
  if (cursor) {
    // flow_start alone first: the engines prune by it; the row comparison then finds the exact place.
    where.push(`flow_start <= ${d.timestamp(Number(cursor.key[0]), b)}`);
    const lhs = keys.map((k) => k.sort).join(', ');
    const rhs = keys.map((k, i) => k.bind(cursor.key[i], b)).join(', ');
    where.push(`(${lhs}) <= (${rhs})`);
  }
  const skip = cursor?.seen ?? 0;
  const sql = `SELECT ${o.select}, ${keys.map((k, i) => `${k.sort} AS key_${i}`).join(', ')}
FROM flow_records WHERE ${where.join(' AND ')}
ORDER BY ${keys.map((_k, i) => `key_${i} DESC`).join(', ')}
LIMIT ${b.bind(q.limit + skip + 1, 'uint')}`;
  const raw = plan.parts.length > 0 ? await o.run(sql, b.params()) : [];
  const keyOfRow = (r: Record<string, unknown>) =>
    keys.map((_k, i) => {
      const v = r[`key_${i}`];
      return typeof v === 'number' ? v : String(v);
    });
  const same = (a: (string | number)[], b2: (string | number)[]) =>
    a.every((x, i) => String(x) === String(b2[i]));
  const page = raw.slice(skip, skip + q.limit);
  let next: string | null = null;
  if (raw.length > skip + q.limit && page.length > 0) {
    const last = keyOfRow(page[page.length - 1]);
    let seen = page.filter((r) => same(keyOfRow(r), last)).length;
    if (cursor && same(last, cursor.key)) seen += skip;
    next = encodeCursor({ key: last, seen });
  }
  const rows = page.map((r) => {
    const copy = { ...r };
    keys.forEach((_k, i) => {
      delete copy[`key_${i}`];
    });
    return o.row(copy);
  });
  const parts: PlanPart[] = plan.parts;
  const gaps: PlanGap[] = plan.gaps;
  return {
    tier: 'raw',
    parts,
    gaps,
    complete: plan.complete,
    columns: [...o.columns],
    rows,
    next_cursor: next,
  };
}
