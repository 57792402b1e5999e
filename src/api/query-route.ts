/**
 * One query kind = one route. A kind gives its own parameters as a zod object and how they become a query
 * AST; this module adds what every kind shares (from/to, filter as text or AST, the range cap, the time
 * limit, the row cap, the problem responses) and registers GET (query string) and POST (JSON body) on
 * /api/v1/NAME. A new kind (series, flow search) is a QueryKind of a few lines in routes.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type TenantScopes, UnknownTenantError } from '../auth/tenants.js';
import type { Filter, Query } from '../query/ast.js';
import { QueryTimeoutError } from '../query/errors.js';
import { assertFlowFilter, FilterError, parseFilter } from '../query/filter/index.js';
import type { Scope } from '../query/scope.js';
import type { FlowStore, HostLabel } from '../storage/port.js';
import { ApiProblem, attachedStore, filterProblem } from './problems.js';
import {
  filterParam,
  filterText,
  problemResponses,
  queryResultSchema,
  timeoutParam,
  timeSpec,
} from './schemas.js';

/** What the shared parameters become before a kind's toQuery sees them. */
export type ApiQueryResult = z.output<typeof queryResultSchema>;

export interface RangeParams {
  from: number;
  to: number;
  filter?: Filter;
}

export interface QueryKind<S extends z.ZodRawShape> {
  /** The route is /api/v1/NAME. */
  name: string;
  summary: string;
  /** The kind's own parameters (from, to and filter are added). Query-string values arrive as text. */
  params: S;
  /** Validated parameters -> the query the store runs. */
  toQuery(p: z.output<z.ZodObject<S>> & RangeParams): Query;
  /** Rows one answer may carry; a larger answer is refused (result_too_large), never cut silently. */
  maxRows: number;
  /** Filters of flow queries refuse dependency-only terms (client/server, group/name). */
  flowFilter?: boolean;
  /** Longest range (ms); none: the plan bounds the work by what the tiers hold. */
  maxRangeMs?: number;
}

export interface QueryContext {
  store?: FlowStore;
  timeoutMs: number;
  /** Scopes of tenant-bound principals (absent: no store, and a tenant-bound request is refused). */
  scopes?: TenantScopes;
  /** The configuration's host labels (deps.labels, deps.labelsFile), before the store's. */
  configLabels?: readonly HostLabel[];
}

/**
 * The scope every query of this request runs in: none for a principal without a tenant, its tenant's
 * otherwise. Fails closed: a tenant that cannot be resolved is a refusal, never an unscoped answer.
 */
export async function requestScope(ctx: QueryContext, req: FastifyRequest): Promise<Scope | undefined> {
  const tenant = req.principal?.tenant ?? null;
  if (tenant === null) return undefined;
  if (!ctx.scopes) throw new ApiProblem('store_unavailable', 'no store is attached to this server');
  try {
    return await ctx.scopes.of(req.principal);
  } catch (err) {
    if (err instanceof UnknownTenantError) throw new ApiProblem('forbidden', err.message);
    throw err;
  }
}

const range = {
  // prefault: the default is input, resolved against the request's now like a given value.
  from: timeSpec.prefault('-1h'),
  to: timeSpec.prefault('now'),
  timeout_ms: timeoutParam,
};

/** Filter text -> AST (a FilterError becomes invalid_filter at its position), AST as given. */
export function resolveFilter(f: string | Filter | undefined, flowFilter: boolean): Filter | undefined {
  if (f === undefined || (typeof f === 'string' && f.trim() === '')) return undefined;
  try {
    const ast = typeof f === 'string' ? parseFilter(f) : f;
    if (flowFilter) assertFlowFilter(ast);
    return ast;
  } catch (err) {
    if (err instanceof FilterError) throw filterProblem(err, 'filter');
    throw err;
  }
}

function checkRange(from: number, to: number, maxMs: number | undefined): void {
  if (!(to > from)) throw new ApiProblem('invalid_parameter', 'to: must be after from', { parameter: 'to' });
  if (maxMs !== undefined && to - from > maxMs)
    throw new ApiProblem('invalid_parameter', `from: the range is longer than ${maxMs / 86_400_000} days`, {
      parameter: 'from',
    });
}

/**
 * Runs the query with the request's time limit (at most the server's), which the engine enforces
 * (statement_timeout, max_execution_time) and answers with query_timeout. A backstop timer answers for an
 * engine that does not stop in time (it only ever fires well after the limit).
 */
export async function runQuery(
  ctx: QueryContext,
  q: Query,
  limits: { maxRows: number; timeoutMs?: number; scope?: Scope },
): Promise<ApiQueryResult> {
  const store = attachedStore(ctx.store);
  const timeoutMs = Math.min(limits.timeoutMs ?? ctx.timeoutMs, ctx.timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ApiProblem('query_timeout', `the query ran longer than ${timeoutMs} ms`)),
      2 * timeoutMs + 1000,
    );
  });
  try {
    const res = await Promise.race([store.query(q, { timeoutMs, scope: limits.scope }), backstop]);
    if (res.rows.length > limits.maxRows)
      throw new ApiProblem(
        'result_too_large',
        `the answer has ${res.rows.length} rows, more than the ${limits.maxRows} one response carries`,
      );
    // A shallow copy as a plain object type, the type the route's response schema gives.
    return { ...res };
  } catch (err) {
    if (err instanceof QueryTimeoutError) throw new ApiProblem('query_timeout', err.message);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Identity, so a kind's parameter types are inferred from its `params`. */
export const defineQueryKind = <S extends z.ZodRawShape>(kind: QueryKind<S>): QueryKind<S> => kind;

export function registerQueryKind<S extends z.ZodRawShape>(
  app: FastifyInstance,
  kind: QueryKind<S>,
  ctx: QueryContext,
): void {
  const common = { ...kind.params, ...range };
  const querystring = z.object({ ...common, filter: filterText.optional() });
  const body = z.object({ ...common, filter: filterParam.optional() });
  const ok = { 200: queryResultSchema };
  const statuses = [422, 503, 504];
  // The validated query string or body (the schemas above made it so; their types differ only in filter).
  const handle = async (p: unknown, req: FastifyRequest) => {
    const {
      filter: f,
      timeout_ms,
      ...rest
    } = p as { filter?: string | Filter; from: number; to: number; timeout_ms?: number };
    checkRange(rest.from, rest.to, kind.maxRangeMs);
    const filter = resolveFilter(f, kind.flowFilter ?? true);
    const q = kind.toQuery({ ...rest, ...(filter ? { filter } : {}) } as Parameters<typeof kind.toQuery>[0]);
    const scope = await requestScope(ctx, req);
    return runQuery(ctx, q, { maxRows: kind.maxRows, timeoutMs: timeout_ms, scope });
  };
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const url = `/api/v1/${kind.name}`;
  zapp.get(
    url,
    {
      // Reads of traffic: viewer.
      config: { role: 'viewer' },
      schema: {
        summary: kind.summary,
        tags: ['queries'],
        querystring,
        response: { ...ok, ...problemResponses({ statuses }) },
      },
    },
    (req) => handle(req.query, req),
  );
  zapp.post(
    url,
    {
      // Reads of traffic: viewer.
      config: { role: 'viewer' },
      schema: {
        summary: `${kind.summary} (parameters as a JSON body)`,
        tags: ['queries'],
        body,
        response: { ...ok, ...problemResponses({ body: true, statuses }) },
      },
    },
    (req) => handle(req.body, req),
  );
}
