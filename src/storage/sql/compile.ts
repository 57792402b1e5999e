/**
 * The one SQL compiler for the query AST (every store; dialect.ts holds the spelling differences).
 * Column names come from the column catalog (core/columns.ts) keyed by the AST's enumerated fields, never
 * from query text; every value is a bound parameter.
 *
 * A planned top-N (query/plan.ts) is ONE statement: each part groups its tier's rows by the requested
 * fields, the parts are joined with UNION ALL and grouped once more, so the ranking across parts is exact.
 * A single-part plan skips the outer grouping (same cost as a plain single-tier query).
 */
import {
  type DerivedField,
  FIELD_CATALOG,
  type FieldSpec,
  type FilterField,
  type GroupField,
} from '../../core/columns.js';
import { parseIp } from '../../core/ip.js';
import { cidrToRange } from '../../core/rules.js';
import {
  byField,
  extKeyPath,
  type Filter,
  type GroupBy,
  isExtKey,
  type Metric,
  type Tier,
} from '../../query/ast.js';
import { QueryError } from '../../query/errors.js';
import type { PlanPart } from '../../query/plan.js';
import { type Scope, scopeAnd, scopeFilter } from '../../query/scope.js';
import type { Binder, Dialect, PartSource } from './dialect.js';

export { QueryError };

/** Daily stats are per dependency edge: src = client, dst = server, dst_port = server port. */
const DAILY_COLUMN: Partial<Record<FilterField, string>> = {
  src_ip: 'd.client_ip',
  dst_ip: 'd.server_ip',
  dst_port: 'd.server_port',
  ip_protocol: 'd.ip_protocol',
};

/**
 * The column (or, for a derived measure, the expression) a field reads on a tier; QueryError for a field
 * the tier does not keep.
 */
export function tierColumn(tier: Tier, field: FilterField, d?: Dialect): string {
  const spec = FIELD_CATALOG[field] as FieldSpec | undefined;
  if (!spec) throw new QueryError(`unknown field ${JSON.stringify(field)}`);
  if (tier === 'raw') {
    if (!spec.derived) return field;
    if (!d) throw new QueryError(`field ${field} is derived and needs a dialect`);
    return d.derived(field as DerivedField);
  }
  const col = tier === 'daily' ? DAILY_COLUMN[field] : spec.aggregates !== 'none' ? field : undefined;
  if (!col) throw new QueryError(`field ${field} is not available on the ${tier} tier`);
  return col;
}

const absentOf = (field: FilterField) => (FIELD_CATALOG[field] as FieldSpec).absent;

/**
 * A field's value as grouped. The aggregate tier stores an absent raw value as a sentinel ('::', 0). Parts
 * group by the stored value (a plain column groups fastest: mapping every aggregate row through CASE made a
 * 24-hour top-N 2.5 times slower); when parts are combined, raw parts map NULL to the sentinel so a group
 * is the same whichever tier answered it, and the result maps the sentinel back to NULL once per group.
 */
function keyExpr(tier: Tier, field: GroupBy, o: { d: Dialect; b: Binder; combined: boolean }): string {
  const { d, b } = o;
  if (isExtKey(field)) {
    tierColumn(tier, 'extended_fields'); // raw only: QueryError on another tier
    return d.extValue(extKeyPath(field), b);
  }
  const col = tierColumn(tier, field, d);
  const absent = absentOf(field);
  if (tier !== 'raw' || !o.combined || absent === undefined) return col;
  return `COALESCE(${col}, ${d.sentinel(absent)})`;
}

/** The grouped value as the result shows it: a sentinel the aggregate tier stored reads as NULL. */
function outExpr(field: GroupBy, expr: string, d: Dialect, sentinels: boolean): string {
  const absent = absentOf(byField(field));
  if (!sentinels || absent === undefined) return expr;
  return `(CASE WHEN ${expr} = ${d.sentinel(absent)} THEN NULL ELSE ${expr} END)`;
}

type Leaf = Extract<Filter, { op: 'eq' | 'in_cidr' | 'cmp' | 'range' | 'in' }>;

/**
 * WHERE text of a filter on a tier. SQL's three-valued logic drops a row whose compared value is NULL
 * whether or not the comparison is negated; on the aggregate tier the same value is a sentinel, so a
 * leaf never holds for the sentinel, except under an odd number of NOTs, where it always holds for it
 * (and its negation then excludes it). That keeps the rows that pass identical on both tiers.
 */
export function compileFilter(f: Filter, tier: Tier, d: Dialect, b: Binder, negated = false): string {
  switch (f.op) {
    case 'eq':
    case 'in_cidr':
    case 'cmp':
    case 'range':
    case 'in': {
      const leaf = compileLeaf(f, tier, d, b);
      const absent = absentOf(f.field);
      if (tier !== 'aggregates' || absent === undefined) return leaf;
      const col = tierColumn(tier, f.field);
      if (negated) return `(${leaf} OR ${col} = ${d.sentinel(absent)})`;
      // A leaf that cannot hold for the sentinel needs no test for it (tenant scopes are such leaves, on
      // every row of every scoped query: one comparison fewer per network and side).
      return excludesSentinel(f) ? leaf : `(${leaf} AND ${col} <> ${d.sentinel(absent)})`;
    }
    case 'flags':
      return `${d.bitAnd(tierColumn(tier, 'tcp_flags'), b.bind(f.mask, 'int'))} = ${b.bind(f.mask, 'int')}`;
    case 'ext':
      tierColumn(tier, 'extended_fields');
      return d.ext(f, b);
    case 'role':
      throw new QueryError(`${at(f.pos)}client/server applies to dependency queries only`);
    case 'label':
      throw new QueryError(`${at(f.pos)}group/name applies to dependency queries only`);
    case 'and':
    case 'or': {
      if (f.filters.length === 0) return f.op === 'and' ? '(1 = 1)' : '(1 = 0)';
      const parts = f.filters.map((x) => compileFilter(x, tier, d, b, negated));
      return `(${parts.join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `NOT (${compileFilter(f.filter, tier, d, b, !negated)})`;
  }
}

/** Whether an address leaf is false for the address sentinel `::` whatever the row (so it needs no check). */
function excludesSentinel(f: Leaf): boolean {
  if (FIELD_CATALOG[f.field].kind !== 'ip') return false;
  const zero = (b: Uint8Array | null | undefined) => !!b && b.every((x) => x === 0);
  if (f.op === 'in_cidr') {
    const r = typeof f.cidr === 'string' ? cidrToRange(f.cidr) : null;
    return !!r && !zero(r.lo);
  }
  if (f.op === 'eq') {
    const ip = typeof f.value === 'string' ? parseIp(f.value) : null;
    return !!ip && !zero(ip);
  }
  return false;
}

const at = (pos: number | undefined) => (pos === undefined ? '' : `at ${pos}: `);

const SQL_CMP = { '<': '<', '<=': '<=', '=': '=', '!=': '<>', '>=': '>=', '>': '>' } as const;

/** A numeric value bound as the field compares: integers for integer columns, any number for measures. */
function bindNumber(field: FilterField, v: unknown, b: Binder): string {
  const n = typeof v === 'number' ? v : Number(v);
  if (FIELD_CATALOG[field].kind === 'number') {
    if (!Number.isFinite(n)) throw new QueryError(`filter ${field}: not a number: ${JSON.stringify(v)}`);
    return b.bind(n, 'num');
  }
  if (!Number.isSafeInteger(n)) throw new QueryError(`filter ${field}: not an integer: ${JSON.stringify(v)}`);
  return b.bind(n, 'int');
}

function compileLeaf(f: Leaf, tier: Tier, d: Dialect, b: Binder): string {
  const col = tierColumn(tier, f.field, d);
  const kind = FIELD_CATALOG[f.field].kind;
  if (f.op === 'in_cidr') {
    if (kind !== 'ip') throw new QueryError(`filter ${f.field}: not an address field`);
    const sql = typeof f.cidr === 'string' ? d.inCidr(col, f.cidr, b) : null;
    if (!sql) throw new QueryError(`filter ${f.field}: not a CIDR: ${JSON.stringify(f.cidr)}`);
    return sql;
  }
  if (f.op !== 'eq' && (kind === 'ip' || kind === 'text' || kind === 'json'))
    throw new QueryError(`filter ${f.field}: not a numeric field`);
  if (f.op === 'cmp') {
    const op = SQL_CMP[f.cmp];
    if (!op) throw new QueryError(`filter ${f.field}: unknown comparison ${JSON.stringify(f.cmp)}`);
    return `${col} ${op} ${bindNumber(f.field, f.value, b)}`;
  }
  if (f.op === 'range')
    return `(${col} >= ${bindNumber(f.field, f.min, b)} AND ${col} <= ${bindNumber(f.field, f.max, b)})`;
  if (f.op === 'in') {
    if (f.values.length === 0) return '(1 = 0)';
    return `${col} IN (${f.values.map((v) => bindNumber(f.field, v, b)).join(', ')})`;
  }
  if (kind === 'json') throw new QueryError(`filter ${f.field}: compare extended fields with ext leaves`);
  if (kind === 'ip') {
    const sql = typeof f.value === 'string' ? d.ipEquals(col, f.value, b) : null;
    if (!sql) throw new QueryError(`filter ${f.field}: not an IP address: ${JSON.stringify(f.value)}`);
    return sql;
  }
  if (kind === 'text') return `${d.textColumn(col)} = ${b.bind(String(f.value), 'text')}`;
  return `${col} = ${bindNumber(f.field, f.value, b)}`;
}

/**
 * A metric over a tier's rows, estimated real traffic on every tier: raw counters scaled by each row's
 * sampling rate, the aggregate and daily tiers' already scaled sums; flows = number of flow records.
 */
function metricExpr(tier: Tier, metric: Metric, d: Dialect): string {
  if (tier === 'raw') {
    if (metric === 'flows') return 'count(*)';
    return d.scaledSum(metric === 'bytes' ? 'bytes_total' : 'packets_total');
  }
  const prefix = tier === 'daily' ? 's.' : '';
  return `sum(${prefix}${metric === 'bytes' ? 'bytes_total' : metric === 'packets' ? 'packets_total' : 'flow_count'})`;
}

export interface TopSpec {
  by: readonly GroupBy[];
  metric: Metric;
  filter?: Filter;
  limit: number;
  /**
   * A tenant scope the answer is restricted to, on top of `filter` (query/scope.ts): ANDed row by row
   * (scopeAnd), or its networks tested once per group where groupScope allows.
   */
  scope?: Scope;
}

/**
 * Whether a part tests the scope's networks once per group: a group of a top-N keyed by both addresses
 * has one source and one destination, so "source or destination inside a network" is the same for all
 * its rows. Tested per row (as `exporter in list OR src in network OR dst in network ...` on every row
 * of the span), a scope covering most of the traffic made a 24-hour top-N 1.6 times dearer than the
 * unscoped one on 10 M flows; tested on the ~90 k groups it costs a few per cent, plus ~10 % for each of
 * the two conditional aggregates a scope naming exporters needs (README "Tenants").
 * Not for a network holding `::`: raw parts group an absent address as `::` and the aggregate tier
 * stores it so, while an absent address is inside no network (the per-row test then). Not on the daily
 * tier (the scope's exporters force the others; the daily keys are edge columns).
 */
function groupScope(spec: TopSpec, part: PlanPart, d: Dialect): Scope | null {
  const s = spec.scope;
  if (!s || !d.aggregateIf || part.tier === 'daily') return null;
  return scopeByGroup(spec.by, s) ? s : null;
}

/** Whether a top-N by these fields can test this scope per group (groupScope, whatever the tier). */
export function scopeByGroup(by: readonly GroupBy[], s: Scope): boolean {
  if (s.networks.length === 0 || !by.includes('src_ip') || !by.includes('dst_ip')) return false;
  const holdsZero = (n: string) => cidrToRange(n)?.lo.every((x) => x === 0) ?? true;
  return !s.networks.some(holdsZero);
}

/** The table a part reads and its time condition: its tier's, or the rollup the store put it on. */
function sourceOf(part: PlanPart, d: Dialect, b: Binder): PartSource {
  if (!part.rollup)
    return {
      table: d.table(part.tier),
      where: d.timeWhere(part.tier, part.from, part.to, b),
      bucket: (step) => d.bucket(part.tier, step, b),
    };
  if (!d.rollup || part.tier !== 'aggregates')
    throw new Error(`no ${part.rollup} rollup of the ${part.tier} tier here`);
  return d.rollup(part.rollup, part.from, part.to, b);
}

/**
 * `SELECT k0.., m` of one part: its tier's rows in the part's span, grouped by the requested fields.
 *
 * With a per-group scope (groupScope), a group whose addresses are in a network counts all its rows,
 * any other group only its rows from the scope's exporters, and a group with neither is dropped:
 * `m = CASE WHEN N THEN all ELSE from exporters END`, HAVING "N or some row from the exporters". N reads
 * the group's keys inside an aggregate-bearing HAVING so the engine cannot push it back down to every row
 * (ClickHouse moves a key-only HAVING into WHERE).
 */
function partSql(spec: TopSpec, part: PlanPart, o: { d: Dialect; b: Binder; combined: boolean }): string {
  const { d, b } = o;
  const keys = spec.by.map((f, i) => `${keyExpr(part.tier, f, { d, b, combined: o.combined })} AS k${i}`);
  const names = spec.by.map((_f, i) => `k${i}`);
  const source = sourceOf(part, d, b);
  const where = [source.where];
  const scope = groupScope(spec, part, d);
  const filter = scope ? spec.filter : scopeAnd(spec.filter, spec.scope);
  if (filter) where.push(compileFilter(filter, part.tier, d, b));
  let metric = metricExpr(part.tier, spec.metric, d);
  let having = '';
  if (scope && d.aggregateIf) {
    const key = (f: GroupField) => `k${spec.by.indexOf(f)}`;
    const inNets = scope.networks.flatMap((c) => {
      const tests = [d.inCidr(key('src_ip'), c, b), d.inCidr(key('dst_ip'), c, b)];
      if (tests.includes(null)) throw new QueryError(`scope: not a CIDR: ${JSON.stringify(c)}`);
      return tests;
    });
    const n = `(${inNets.join(' OR ')})`;
    if (scope.exporters.length > 0) {
      const ex = compileFilter(scopeFilter({ ...scope, networks: [] }), part.tier, d, b);
      // Named once, read again in HAVING.
      metric = `(CASE WHEN (${n} AS in_networks) THEN ${metric} ELSE ${d.aggregateIf(metric, ex)} END)`;
      having = ` HAVING (CASE WHEN in_networks THEN 1 WHEN ${d.aggregateIf('count(*)', ex)} > 0 THEN 1 ELSE 0 END) = 1`;
    } else having = ` HAVING (CASE WHEN ${n} THEN count(*) ELSE 0 END) > 0`;
  }
  let sql = `SELECT ${[...keys, `${metric} AS m`].join(', ')} FROM ${source.table} WHERE ${where.join(' AND ')}`;
  if (names.length > 0) sql += ` GROUP BY ${names.join(', ')}${having}`;
  return sql;
}

/**
 * Top-N over a plan's parts as one statement. Result columns: k0..k(n-1) (the `by` fields in order, as
 * the dialect outputs them) and m (the metric). No part: an empty result (the caller does not run it).
 */
export function compileTop(
  spec: TopSpec,
  parts: readonly PlanPart[],
  d: Dialect,
): { sql: string; params: unknown } | null {
  if (parts.length === 0) return null;
  const b = d.binder();
  const kinds = spec.by.map(
    (f) => (FIELD_CATALOG[byField(f)].kind === 'ip' ? 'ip' : 'other') as 'ip' | 'other',
  );
  const combined = parts.length > 1;
  // Sentinels appear in the grouped values when an aggregate part is present (raw parts map to them).
  const sentinels = parts.some((p) => p.tier === 'aggregates');
  const outKeys = kinds.map(
    (k, i) => `${d.output(outExpr(spec.by[i], `u.k${i}`, d, sentinels), k)} AS k${i}`,
  );
  const inner = parts.map((p) => partSql(spec, p, { d, b, combined: combined && sentinels }));
  const from =
    inner.length === 1 ? `(${inner[0]}) AS u` : `(${inner.map((s) => `(${s})`).join(' UNION ALL ')}) AS u`;
  let sql: string;
  if (spec.by.length === 0) {
    sql = `SELECT ${inner.length === 1 ? 'u.m' : 'sum(u.m)'} AS m FROM ${from}`;
  } else {
    const metric = inner.length === 1 ? 'u.m' : 'sum(u.m)';
    sql = `SELECT ${[...outKeys, `${metric} AS m`].join(', ')} FROM ${from}`;
    if (inner.length > 1) sql += ` GROUP BY ${spec.by.map((_f, i) => `u.k${i}`).join(', ')}`;
    sql += ` ORDER BY m DESC, ${kinds.map((k, i) => d.orderKey(`u.k${i}`, k)).join(', ')}`;
    sql += ` LIMIT ${b.bind(Math.max(0, Math.floor(spec.limit)), 'uint')}`;
  }
  return { sql, params: b.params() };
}

/** A top group's key as the result shows it: the `by` values in order, null for an absent value. */
export type GroupKey = readonly (string | number | null)[];

export interface SeriesSpec extends Omit<TopSpec, 'limit'> {
  /** The top groups (best first, from compileTop over the same plan); each row is labelled g = its rank. */
  top: readonly GroupKey[];
}

/**
 * Whether a part's row belongs to a top group, testing the value the row is grouped by (keyExpr), so a
 * row matches exactly the group compileTop put it in. A null key is the sentinel when an aggregate part
 * is present (raw parts map NULL to it) and NULL otherwise; a non-null key is never the sentinel then
 * (outExpr reads it as NULL), so the plain column compares equal to it.
 */
function groupMatch(
  spec: SeriesSpec,
  key: GroupKey,
  part: PlanPart,
  o: { d: Dialect; b: Binder; combined: boolean; sentinels: boolean },
): string {
  const { d, b } = o;
  const tests = spec.by.map((field, i) => {
    const v = key[i];
    if (isExtKey(field)) {
      const expr = keyExpr(part.tier, field, { d, b, combined: o.combined });
      return v === null ? `${expr} IS NULL` : `${expr} = ${b.bind(String(v), 'text')}`;
    }
    if (v !== null) return compileLeaf({ op: 'eq', field, value: v }, part.tier, d, b);
    const absent = absentOf(field);
    const expr = keyExpr(part.tier, field, { d, b, combined: o.combined });
    return o.sentinels && absent !== undefined ? `${expr} = ${d.sentinel(absent)}` : `${expr} IS NULL`;
  });
  return tests.length === 1 ? tests[0] : `(${tests.join(' AND ')})`;
}

/**
 * The dialect's fast form of a row's group rank (Dialect.rankOf): one field, no null key (a null key
 * needs the sentinel-or-NULL test), a field compared as an address or an integer. Otherwise null (CASE).
 */
function rankSql(spec: SeriesSpec, part: PlanPart, d: Dialect, b: Binder): string | null {
  if (!d.rankOf || spec.by.length !== 1 || spec.top.length === 0) return null;
  const field = spec.by[0];
  if (isExtKey(field)) return null;
  const kind = FIELD_CATALOG[field].kind;
  if (kind !== 'ip' && kind !== 'port' && kind !== 'int') return null;
  const values = spec.top.map((k) => k[0]);
  if (values.some((v) => v === null)) return null;
  const nums = kind === 'ip' ? values : values.map(Number);
  // The plain column: a top key is never the sentinel when sentinels are in play (outExpr reads it as NULL).
  return d.rankOf(
    tierColumn(part.tier, field, d),
    kind === 'ip' ? 'ip' : 'int',
    nums as (string | number)[],
    b,
  );
}

/**
 * The metric per step for each top group, `other` and nothing else, as one statement: each part groups
 * its rows by step and g (the rank of the top group a row belongs to, -1 for every other group), the
 * parts are joined with UNION ALL and grouped once more, so a step two parts share sums both. Grouping
 * by g instead of by the fields keeps the statement's result at (top + 1) rows per step however many
 * groups the range holds (a 24-hour series over 10M flows grouped by fields returned millions of rows to
 * fold in TypeScript). Columns t (epoch ms), g, m; ordered by t, g. Without `by`: t, m.
 */
export function compileSeries(
  spec: SeriesSpec,
  parts: readonly PlanPart[],
  d: Dialect,
  step: number,
): { sql: string; params: unknown } | null {
  if (parts.length === 0) return null;
  const b = d.binder();
  const sentinels = parts.some((p) => p.tier === 'aggregates');
  const combined = parts.length > 1 && sentinels;
  const split = spec.by.length > 0;
  const inner = parts.map((p) => {
    const source = sourceOf(p, d, b);
    const cols = [`${source.bucket(step)} AS t`];
    const fast = split ? rankSql(spec, p, d, b) : null;
    if (fast) cols.push(`${fast} AS g`);
    else if (split) {
      const whens = spec.top.map(
        (key, i) => `WHEN ${groupMatch(spec, key, p, { d, b, combined, sentinels })} THEN ${i}`,
      );
      cols.push(whens.length > 0 ? `(CASE ${whens.join(' ')} ELSE -1 END) AS g` : '-1 AS g');
    }
    const where = [source.where];
    if (spec.filter) where.push(compileFilter(spec.filter, p.tier, d, b));
    return `(SELECT ${[...cols, `${metricExpr(p.tier, spec.metric, d)} AS m`].join(', ')} FROM ${source.table} WHERE ${where.join(' AND ')} GROUP BY t${split ? ', g' : ''})`;
  });
  const groups = split ? ['u.t', 'u.g'] : ['u.t'];
  const sql = `SELECT ${['u.t AS t', ...(split ? ['u.g AS g'] : []), 'sum(u.m) AS m'].join(', ')} FROM (${inner.join(' UNION ALL ')}) AS u GROUP BY ${groups.join(', ')} ORDER BY ${groups.join(', ')}`;
  return { sql, params: b.params() };
}
