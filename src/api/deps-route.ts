/**
 * The dependency map over HTTP: POST /api/v1/deps (the same query as `flowlens deps`, src/deps/view.ts, so
 * the CLI asks a running serve through it while serve holds the embedded store, and the UI draws from
 * it), POST /api/v1/deps/diff (a period against a base period) and GET /api/v1/deps/history (one edge's
 * days and direction corrections).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { choosePeriods, PeriodError, type PeriodInput, type Periods } from '../core/period.js';
import { DIFF_COLUMNS, depsDiff, depsHistory } from '../deps/history.js';
import { depsView, VIEW_COLUMNS } from '../deps/view.js';
import type { FlowStore } from '../storage/port.js';
import { ApiProblem, attachedStore } from './problems.js';
import { type QueryContext, requestScope } from './query-route.js';
import { problemResponses, timeSpec } from './schemas.js';

const view = z
  .enum(['host', 'group', 'service'])
  .optional()
  .describe('Nodes: hosts (default), groups, services');
const filter = z
  .string()
  .max(2000)
  .optional()
  .describe('[client|server] host ADDR | net CIDR | group NAME | name NAME, [server] port N; and/or/not/()');

const body = z.object({
  from: timeSpec.prefault('-7d'),
  to: timeSpec.prefault('now'),
  host: z.string().max(64).optional().describe('Edges around this address'),
  service: z.string().max(64).optional().describe('Edges of this service: a name or a port number'),
  group: z.string().max(128).optional().describe('Edges with a side in this host group'),
  direction: z.enum(['upstream', 'downstream', 'both']).optional(),
  depth: z.number().int().min(1).max(10).optional(),
  minBytes: z.number().int().min(0).optional(),
  view,
  filter,
});

const periodText = z.string().min(1).max(100);

const diffBody = z.object({
  period: periodText
    .optional()
    .describe(
      'The period: FROM..TO (each side a time as from/to take it) or a duration D (the last D); with against, instead of from/to/baseFrom/baseTo',
    ),
  against: periodText
    .optional()
    .describe('The base: FROM..TO or a duration D (the D ending where the period starts)'),
  from: timeSpec.optional(),
  to: timeSpec.optional(),
  baseFrom: timeSpec.optional(),
  baseTo: timeSpec.optional(),
  view,
  filter,
  factor: z
    .number()
    .min(0)
    .max(1000)
    .optional()
    .describe('Bytes moved by more than this share: grown or shrunk (0.5)'),
  p95Factor: z
    .number()
    .min(0)
    .max(1000)
    .optional()
    .describe('The p95 of 5-minute bytes moved by more than this share: grown or shrunk (default: factor)'),
  history: z
    .boolean()
    .optional()
    .describe(
      "Each row's daily bytes over the days of both periods (a `history` column), from the daily tier",
    ),
});

const historyQuery = z.object({
  client: z.string().max(64),
  server: z.string().max(64),
  port: z.coerce.number().int().min(0).max(65535),
  protocol: z.coerce.number().int().min(0).max(255).default(6),
  from: timeSpec.prefault('-30d'),
  to: timeSpec.prefault('now'),
});

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const table = z.object({ columns: z.array(z.string()), rows: z.array(z.record(z.string(), cell)) });
const dailyBytes = z.array(z.object({ day: z.string().describe('YYYY-MM-DD (UTC)'), bytes: z.number() }));
const diffTable = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.union([cell, dailyBytes]))),
});

function range(from: number, to: number, parameter: string): void {
  if (!(to > from))
    throw new ApiProblem('invalid_parameter', `${parameter}: must be after its start`, { parameter });
}

const DIFF_NAMES = {
  period: 'period',
  against: 'against',
  from: 'from',
  to: 'to',
  baseFrom: 'baseFrom',
  baseTo: 'baseTo',
} as const;

/** period/against or the four times (core/period.ts, as the CLI reads them); a 400 naming the parameter. */
function diffPeriods(b: PeriodInput): Periods {
  try {
    return choosePeriods(b, { now: Date.now(), names: DIFF_NAMES });
  } catch (err) {
    if (err instanceof PeriodError)
      throw new ApiProblem('invalid_parameter', err.message, { parameter: err.key });
    throw err;
  }
}

export function registerDepsRoute(app: FastifyInstance, ctx: QueryContext): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const store = (): FlowStore => attachedStore(ctx.store);
  zapp.post(
    '/api/v1/deps',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The dependency map: edges client -> server:port with traffic, rule, confidence and labels',
        tags: ['dependencies'],
        body,
        response: { 200: table, ...problemResponses({ body: true, statuses: [503] }) },
      },
    },
    async (req) => {
      const s = store();
      range(req.body.from, req.body.to, 'to');
      const { rows } = await depsView(s, {
        ...req.body,
        configLabels: ctx.configLabels,
        scope: await requestScope(ctx, req),
      });
      return { columns: [...VIEW_COLUMNS], rows: rows.map((r) => ({ ...r })) };
    },
  );
  zapp.post(
    '/api/v1/deps/diff',
    {
      config: { role: 'viewer' },
      schema: {
        summary:
          'What changed against a base period: edges new, vanished, grown or shrunk (bytes, else p95, moved by more than the factor), direction changed, or the same',
        tags: ['dependencies'],
        body: diffBody,
        response: { 200: diffTable, ...problemResponses({ body: true, statuses: [503] }) },
      },
    },
    async (req) => {
      const s = store();
      const { period, against, from, to, baseFrom, baseTo, ...rest } = req.body;
      const periods = diffPeriods({ period, against, from, to, baseFrom, baseTo });
      const rows = await depsDiff(s, {
        ...rest,
        ...periods,
        configLabels: ctx.configLabels,
        scope: await requestScope(ctx, req),
      });
      const columns: string[] = [...DIFF_COLUMNS, ...(rest.history ? ['history'] : [])];
      return { columns, rows: rows.map((r) => ({ ...r })) };
    },
  );
  zapp.get(
    '/api/v1/deps/history',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "One edge's daily traffic and its recorded direction corrections",
        tags: ['dependencies'],
        querystring: historyQuery,
        response: {
          200: z.object({
            id: z.string().nullable(),
            days: z.array(
              z.object({ day: z.string(), bytes: z.number(), packets: z.number(), flows: z.number() }),
            ),
            changes: z.array(
              z.object({ at: z.string(), field: z.string(), from: z.string(), to: z.string() }),
            ),
          }),
          ...problemResponses({ statuses: [503] }),
        },
      },
    },
    async (req) => {
      const s = store();
      range(req.query.from, req.query.to, 'to');
      return depsHistory(s, { ...req.query, scope: await requestScope(ctx, req) });
    },
  );
}
