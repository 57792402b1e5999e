/**
 * FlowStore.query on the embedded store: row queries read one tier as asked, planned ones (top-N, series,
 * flow search) go through the shared answer functions (storage/sql) with this engine's dialect, its
 * hourly rollup (hourly.ts) and its per-group tenant scopes (scope-share.ts).
 */
import type { PlanPart, Query, QueryResult } from '../../query/ast.js';
import { QueryTimeoutError } from '../../query/errors.js';
import { type Scope, scopeQuery } from '../../query/scope.js';
import type { QueryOptions, TierState } from '../port.js';
import { answerSeries, answerTop } from '../sql/answer.js';
import { scopeByGroup } from '../sql/compile.js';
import { compileScans, SCAN_RESULT_COLUMNS } from '../sql/scans.js';
import { answerFlowSearch } from '../sql/search.js';
import { NICE } from './aggregate.js';
import { type Db, ipOut, num, type Params } from './db.js';
import { withHourly } from './hourly.js';
import { chdbDialect, compileAggregateRows, compileFlows, FLOW_SELECT } from './query.js';
import { AGG_OUT, FLOW_OUT, mapRow, outValue } from './result-rows.js';

/** What a query needs of the store. */
export interface QueryContext {
  db: Db;
  now: number;
  /** The tier state and which hours may be read from the hourly rollup (withHourly's options), one read. */
  settings(): Promise<{ state: TierState; hourly: Parameters<typeof withHourly>[1] }>;
  /** Whether this scope is cheaper tested once per group (scope-share.ts). */
  perGroupScope(scope: Scope, aggregatedUntil: number | null): Promise<boolean>;
}

export async function answerQuery(
  ctx: QueryContext,
  query: Query,
  options: QueryOptions,
): Promise<QueryResult> {
  const { timeoutMs } = options;
  // The scope is ANDed outside the query's filter before planning and compiling (query/scope.ts).
  const q = scopeQuery(query, options.scope);
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new RangeError(`timeoutMs: a positive number of milliseconds, got ${timeoutMs}`);
  // A per-statement SETTINGS clause, not a session SET: the session is shared with ingestion, whose
  // statements must never inherit a query's limit. The engine stops at the limit (TIMEOUT_EXCEEDED).
  // Reads run on niced engine threads: while ingestion needs the cores, it gets them.
  const limit = `\nSETTINGS ${NICE}${
    timeoutMs === undefined ? '' : `, max_execution_time = ${Math.max(0.001, timeoutMs / 1000)}`
  }`;
  const run = async (sql: string, params: unknown, settings = '') => {
    try {
      return await ctx.db.rows<Record<string, unknown>>(
        `${sql.trimEnd()}${limit}${settings}`,
        params as Params,
      );
    } catch (err) {
      if (timeoutMs !== undefined && /TIMEOUT_EXCEEDED/.test(String((err as Error)?.message)))
        throw new QueryTimeoutError(timeoutMs);
      throw err;
    }
  };
  // Row queries read one tier as asked; only planned queries need the tier state (one read).
  if (q.kind === 'aggregate_rows') {
    const c = compileAggregateRows(q);
    // 64-bit counters as JSON text: a sum beyond 2^53 (bytes scaled by the rate, reverse counters) is
    // returned exact, as decimal text like PostgreSQL's, instead of rounded by JSON.parse.
    const rows = await run(c.sql, c.params, ', output_format_json_quote_64bit_integers = 1');
    return {
      tier: 'aggregates',
      columns: AGG_OUT.map(([n]) => n),
      rows: rows.map((r) => mapRow(r, AGG_OUT)),
    };
  }
  if (q.kind === 'flows') {
    const c = compileFlows(q);
    const rows = await run(c.sql, c.params);
    return { tier: 'raw', columns: FLOW_OUT.map(([n]) => n), rows: rows.map((r) => mapRow(r, FLOW_OUT)) };
  }
  const { state, hourly } = await ctx.settings();
  const common = {
    state,
    now: ctx.now,
    dialect: chdbDialect,
    run,
    rollup: (parts: readonly PlanPart[]) => withHourly(parts, hourly),
  };
  // A top-N takes the scope apart: compileTop may test its networks once per group instead of per row.
  if (q.kind === 'top') {
    // A scope holding most rows is cheaper tested once per group (compile.ts groupScope): answerTop then
    // takes the caller's query and the scope apart (scope-share.ts says why and when).
    const s = options.scope;
    if (s && scopeByGroup(q.by, s) && (await ctx.perGroupScope(s, state.aggregatedUntil))) {
      const top = query as typeof q; // the caller's query: scopeQuery keeps the kind
      return answerTop({ ...common, query: top, scope: s, cell: outValue, metric: num });
    }
    return answerTop({ ...common, query: q, cell: outValue, metric: num });
  }
  if (q.kind === 'series') return answerSeries({ ...common, query: q, cell: outValue, metric: num });
  if (q.kind === 'scans') {
    const c = compileScans(q, chdbDialect);
    const rows = await run(c.sql, c.params);
    const out = (r: Record<string, unknown>) =>
      Object.fromEntries(SCAN_RESULT_COLUMNS.map((k) => [k, k === 'src_ip' ? ipOut(r[k]) : num(r[k])]));
    return { tier: 'raw', columns: SCAN_RESULT_COLUMNS, rows: rows.map(out) };
  }
  // flow_search
  return answerFlowSearch({
    ...common,
    query: q,
    select: FLOW_SELECT,
    row: (r) => mapRow(r, FLOW_OUT),
    columns: FLOW_OUT.map(([n]) => n),
  });
}
