/**
 * Exporter health, scan detection and the design's six example queries (README "Exporters, scans and
 * example queries"). Scans is a QueryKind (GET and POST /api/v1/scans, with the shared range, filter and
 * time limit); the examples run through the same runQuery, so they share the limits and query_timeout.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ExporterHealth } from '../core/exporter-health.js';
import { EXAMPLES, exampleQuery } from '../query/examples.js';
import { MAX_SEARCH_RANGE_MS } from '../query/validate.js';
import type { FlowStore } from '../storage/port.js';
import { ApiProblem } from './problems.js';
import {
  defineQueryKind,
  type QueryContext,
  registerQueryKind,
  requestScope,
  runQuery,
} from './query-route.js';
import {
  LIMITS,
  limitParam,
  problemResponses,
  queryResultSchema,
  timeoutParam,
  timeSpec,
} from './schemas.js';

export interface ScanThresholds {
  minTargets: number;
  minSampledTargets: number;
}

export const DEFAULT_SCAN_THRESHOLDS: ScanThresholds = { minTargets: 100, minSampledTargets: 5 };

export interface MoreRouteOptions extends QueryContext {
  store?: FlowStore;
  exporters?: () => Promise<ExporterHealth[]>;
  scans?: ScanThresholds;
}

const exporterSchema = z.object({
  exporter: z.string(),
  observationDomain: z
    .number()
    .describe('IPFIX domain, v9 source id, v5 engine type << 8 | id, sFlow sub-agent'),
  protocol: z.string(),
  flowsPerSecond: z.number().describe('Over the last minute'),
  flows: z.number(),
  lastSeen: z.string().nullable().describe('ISO-8601 time of the last flow; null: none yet'),
  sequence: z.object({ received: z.number(), lost: z.number(), resets: z.number() }),
  decodeErrors: z.number(),
  templates: z.array(
    z.object({
      id: z.number(),
      kind: z.enum(['data', 'options']),
      fields: z.number(),
      ageSeconds: z
        .number()
        .nullable()
        .describe('Since the exporter last sent it; null: restored from state'),
    }),
  ),
  sampling: z.array(
    z.object({
      rate: z.number(),
      source: z.string().describe('Where the rate came from: none, header, options, sflow, ...'),
      flows: z.number(),
    }),
  ),
});

export function registerMoreRoutes(app: FastifyInstance, opts: MoreRouteOptions): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const thresholds = opts.scans ?? DEFAULT_SCAN_THRESHOLDS;

  zapp.get(
    '/api/v1/exporters',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Exporter health: per exporter and observation domain, as the running collector sees it',
        tags: ['collector'],
        response: {
          200: z.object({ exporters: z.array(exporterSchema) }),
          ...problemResponses({ statuses: [503] }),
        },
      },
    },
    async (req) => {
      if (!opts.exporters)
        throw new ApiProblem('collector_unavailable', 'no collector runs in this server process');
      // A tenant sees the health of its own exporters only (a networks-only tenant sees none).
      const scope = await requestScope(opts, req);
      const list = (await opts.exporters()).filter((e) => !scope || scope.exporters.includes(e.exporter));
      const exporters = list
        .map((e) => ({ ...e, lastSeen: e.lastSeen === null ? null : new Date(e.lastSeen).toISOString() }))
        .sort((a, b) =>
          a.exporter === b.exporter
            ? a.observationDomain - b.observationDomain
            : a.exporter < b.exporter
              ? -1
              : 1,
        );
      return { exporters };
    },
  );

  registerQueryKind(
    app,
    defineQueryKind({
      name: 'scans',
      summary: 'Scan and fan-out detection (estimated distinct targets, sampling accounted for)',
      params: {
        minTargets: z.coerce
          .number()
          .int()
          .min(1)
          .default(thresholds.minTargets)
          .describe('Estimated distinct (dst_ip, dst_port) targets to report a source'),
        minSampledTargets: z.coerce
          .number()
          .int()
          .min(1)
          .default(thresholds.minSampledTargets)
          .describe('Distinct targets actually seen (an estimate from fewer is not reported)'),
        limit: limitParam(LIMITS.topRows, 100),
      },
      toQuery: (p) => ({ kind: 'scans', ...p }),
      maxRows: LIMITS.topRows,
      maxRangeMs: MAX_SEARCH_RANGE_MS,
    }),
    opts,
  );

  const exampleSchema = z.object({
    n: z.number(),
    title: z.string(),
    description: z.string(),
    filter: z.string(),
    kind: z.string(),
  });
  zapp.get(
    '/api/v1/examples',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "The design's six example queries",
        tags: ['queries'],
        response: { 200: z.object({ examples: z.array(exampleSchema) }), ...problemResponses() },
      },
    },
    async () => ({
      examples: EXAMPLES.map(({ n, title, description, filter, kind }) => ({
        n,
        title,
        description,
        filter,
        kind,
      })),
    }),
  );
  zapp.get(
    '/api/v1/examples/:n',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Run example query N (1-6) over its default range ending now, or from/to',
        tags: ['queries'],
        params: z.object({ n: z.coerce.number().int().min(1).max(EXAMPLES.length) }),
        querystring: z.object({
          from: timeSpec.optional(),
          to: timeSpec.optional(),
          timeout_ms: timeoutParam,
        }),
        response: { 200: queryResultSchema, ...problemResponses({ statuses: [404, 503, 504] }) },
      },
    },
    async (req) => {
      const ex = exampleQuery(req.params.n);
      if (!ex) throw new ApiProblem('not_found', `no example ${req.params.n}`);
      const to = req.query.to ?? Date.now();
      const from = req.query.from ?? to - ex.rangeMs;
      if (!(to > from))
        throw new ApiProblem('invalid_parameter', 'to: must be after from', { parameter: 'to' });
      const q = ex.build({ from, to, filter: ex.filter });
      return runQuery(opts, q, {
        maxRows: LIMITS.topRows,
        timeoutMs: req.query.timeout_ms,
        scope: await requestScope(opts, req),
      });
    },
  );
}
