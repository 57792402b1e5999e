/**
 * The routes under /api/v1 (and the problem catalog under /api/problems). Query kinds are QueryKinds
 * (query-route.ts): the parameters as a zod shape and the query they make.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { retentionText } from '../core/duration.js';
import { GROUP_FIELDS } from '../query/ast.js';
import {
  filterSchema,
  groupBySchema,
  MAX_RANGE_MS,
  MAX_SEARCH_RANGE_MS,
  parseQuery,
} from '../query/validate.js';
import { complete, type RecentValues } from './complete.js';
import { registerDepsRoute } from './deps-route.js';
import { registerLabelsRoute } from './labels-route.js';
import {
  ApiProblem,
  attachedStore,
  PROBLEM_CODES,
  PROBLEMS,
  type ProblemCode,
  problemType,
} from './problems.js';
import {
  defineQueryKind,
  type QueryContext,
  registerQueryKind,
  requestScope,
  resolveFilter,
  runQuery,
} from './query-route.js';
import {
  filterText,
  flagParam,
  LIMITS,
  limitParam,
  listParam,
  problemResponses,
  queryResultSchema,
  timeoutParam,
} from './schemas.js';

const groupField = groupBySchema.describe(
  'a field, or ext.KEY[.KEY...]: a value of extended_fields (raw tier)',
);
const tier = z.enum(['raw', 'aggregates', 'daily']);

/** Top-N groups by a metric, planned across the tiers (README "Answering across tiers"). */
const top = defineQueryKind({
  name: 'top',
  summary: 'Top-N groups by traffic',
  params: {
    by: listParam(groupField, GROUP_FIELDS.length).describe(
      'Group fields, comma-separated in a query string (`src_ip,dst_port`) or an array',
    ),
    metric: z.enum(['bytes', 'packets', 'flows']).default('bytes'),
    limit: limitParam(LIMITS.topRows, 10),
    tier: tier.optional().describe('Force one tier (the answer names the spans it does not hold)'),
    other: flagParam.describe('Append one row summing every group not in the top N'),
    previous: flagParam.describe(
      'Add <metric>_previous: each group over the previous period of equal length',
    ),
  },
  toQuery: (p) => ({ kind: 'top', ...p }),
  maxRows: LIMITS.topRows + 1,
});

/** A time series per step, split by the top groups (README "Query kinds"). */
const series = defineQueryKind({
  name: 'series',
  summary: 'Time series with an automatic step, split by the top groups plus other, with totals',
  params: {
    by: listParam(groupField, GROUP_FIELDS.length).default([]).describe('Split by these fields (top groups)'),
    metric: z.enum(['bytes', 'packets', 'flows']).default('bytes'),
    limit: limitParam(100, 10).describe('Groups with their own series (the rest is `other`)'),
    step: z.coerce
      .number()
      .int()
      .positive()
      .optional()
      .describe('Step in ms (default: from the range and tier)'),
    tier: tier.optional(),
  },
  toQuery: (p) => ({ kind: 'series', ...p }),
  maxRows: LIMITS.queryRows,
  maxRangeMs: MAX_RANGE_MS,
});

/** Raw flows, newest first, keyset pages (README "Query kinds"). */
const flows = defineQueryKind({
  name: 'flows',
  summary: 'Flow search on raw flows, newest first, paged by cursor',
  params: {
    limit: limitParam(LIMITS.topRows, 100),
    cursor: z.string().max(4096).optional().describe('next_cursor of the previous page, unchanged'),
  },
  toQuery: (p) => ({ kind: 'flow_search', ...p }),
  maxRows: LIMITS.topRows,
  maxRangeMs: MAX_SEARCH_RANGE_MS,
});

export interface RouteOptions extends QueryContext {
  recent?: RecentValues;
}

export function registerRoutes(app: FastifyInstance, opts: RouteOptions): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  registerQueryKind(app, top, opts);
  registerQueryKind(app, series, opts);
  registerQueryKind(app, flows, opts);

  // The query AST as is: the CLI's --via path while serve holds the store (src/app/query-via.ts).
  zapp.post(
    '/api/v1/query',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Run a query AST (src/query/ast.ts Query), validated by the query module',
        tags: ['queries'],
        body: z.looseObject({ kind: z.string() }).describe('A Query of src/query/ast.ts'),
        querystring: z.object({ timeout_ms: timeoutParam }),
        response: { 200: queryResultSchema, ...problemResponses({ body: true, statuses: [422, 503, 504] }) },
      },
    },
    async (req) => {
      const parsed = parseQuery(req.body);
      if (!parsed.ok) {
        const parameter = parsed.error.slice(0, parsed.error.indexOf(':'));
        throw new ApiProblem('invalid_parameter', parsed.error, { parameter });
      }
      const limit = (parsed.query as { limit?: number }).limit;
      if (limit !== undefined && limit > LIMITS.queryRows)
        throw new ApiProblem('invalid_parameter', `limit: at most ${LIMITS.queryRows} over HTTP`, {
          parameter: 'limit',
        });
      return runQuery(opts, parsed.query, {
        maxRows: LIMITS.queryRows,
        timeoutMs: req.query.timeout_ms,
        scope: await requestScope(opts, req),
      });
    },
  );

  const retentionEntry = z.object({
    ms: z.number().nullable().describe('Milliseconds; null: kept forever'),
    text: z.string().describe('As configured: 7d, 2y, forever'),
  });
  zapp.get(
    '/api/v1/tier-state',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'What each tier holds: the aggregation watermark and the retention in force',
        tags: ['store'],
        response: {
          200: z.object({
            aggregated_until: z
              .number()
              .nullable()
              .describe('Every 5-minute window starting before this (epoch ms) is aggregated'),
            retention: z.object({ raw: retentionEntry, aggregates: retentionEntry, daily: retentionEntry }),
          }),
          ...problemResponses({ statuses: [503] }),
        },
      },
    },
    async () => {
      const s = await attachedStore(opts.store).tierState();
      const text = retentionText(s.retention);
      const entry = (k: 'raw' | 'aggregates' | 'daily') => ({
        ms: Number.isFinite(s.retention[k]) ? s.retention[k] : null,
        text: text[k],
      });
      return {
        aggregated_until: s.aggregatedUntil,
        retention: { raw: entry('raw'), aggregates: entry('aggregates'), daily: entry('daily') },
      };
    },
  );

  registerFilterRoutes(app, opts);
  registerDepsRoute(app, opts);
  registerLabelsRoute(app, opts);

  zapp.get(
    '/api/problems/:code',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'A problem type of the catalog (the `type` of every problem document points here)',
        tags: ['meta'],
        params: z.object({ code: z.string().max(64) }),
        response: {
          200: z.object({
            type: z.string(),
            title: z.string(),
            status: z.number().int(),
            description: z.string(),
          }),
          ...problemResponses({ statuses: [404] }),
        },
      },
    },
    async (req) => {
      const code = req.params.code as ProblemCode;
      if (!PROBLEM_CODES.includes(code)) throw new ApiProblem('not_found', `no problem type ${code}`);
      return { type: problemType(code), ...PROBLEMS[code] };
    },
  );
}

const VIEWER = { role: 'viewer' as const };

function registerFilterRoutes(app: FastifyInstance, opts: RouteOptions): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const validateParams = z.object({
    filter: filterText,
    kind: z
      .enum(['flow', 'dependency'])
      .default('flow')
      .describe('flow: refuse dependency-only terms (client/server, group/name)'),
  });
  const validateSchema = (body: boolean) => ({
    summary: 'Parse filter text: the AST, or a problem with the position',
    tags: ['filter'],
    response: { 200: z.object({ filter: filterSchema }), ...problemResponses({ body }) },
  });
  const validate = async (p: z.output<typeof validateParams>) => {
    const filter = resolveFilter(p.filter, p.kind === 'flow');
    if (!filter)
      throw new ApiProblem('invalid_filter', 'the filter is empty', {
        parameter: 'filter',
        position: 0,
        length: 1,
      });
    return { filter };
  };
  zapp.get(
    '/api/v1/filter/validate',
    { config: VIEWER, schema: { ...validateSchema(false), querystring: validateParams } },
    (req) => validate(req.query),
  );
  zapp.post(
    '/api/v1/filter/validate',
    { config: VIEWER, schema: { ...validateSchema(true), body: validateParams } },
    (req) => validate(req.body),
  );

  const completeParams = z.object({
    text: z.string().max(LIMITS.filterChars).default(''),
    cursor: z.coerce.number().int().min(0).optional().describe('Offset of the cursor (default: the end)'),
    kind: z.enum(['flow', 'dependency']).default('flow'),
  });
  const completeSchema = (body: boolean) => ({
    summary: 'What may come at the cursor: keywords, operators, values seen recently',
    tags: ['filter'],
    response: {
      200: z.object({
        replace: z.object({ from: z.number().int(), to: z.number().int() }),
        items: z.array(
          z.object({
            text: z.string(),
            kind: z.enum(['keyword', 'operator', 'value', 'punctuation']),
            detail: z.string().optional(),
          }),
        ),
        error: z
          .object({ position: z.number().int(), length: z.number().int(), message: z.string() })
          .optional(),
      }),
      ...problemResponses({ body }),
    },
  });
  const run = (p: z.output<typeof completeParams>, req: FastifyRequest) =>
    complete({
      text: p.text,
      cursor: p.cursor ?? p.text.length,
      dependency: p.kind === 'dependency',
      // Values seen recently are read unscoped (one cache for the server): none for a tenant's request.
      recent: req.principal?.tenant ? undefined : opts.recent,
    });
  zapp.get(
    '/api/v1/filter/complete',
    { config: VIEWER, schema: { ...completeSchema(false), querystring: completeParams } },
    (req) => run(req.query, req),
  );
  zapp.post(
    '/api/v1/filter/complete',
    { config: VIEWER, schema: { ...completeSchema(true), body: completeParams } },
    (req) => run(req.body, req),
  );
}
