/**
 * The dependency map over HTTP (POST /api/v1/deps): the same query as `flowlens deps` (src/deps/map.ts), so
 * the CLI asks a running serve through it while serve holds the embedded store, and the UI draws from it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { depsMap, MAP_COLUMNS } from '../deps/map.js';
import { ApiProblem } from './problems.js';
import { type QueryContext, requestScope } from './query-route.js';
import { problemResponses, timeSpec } from './schemas.js';

const body = z.object({
  from: timeSpec.prefault('-7d'),
  to: timeSpec.prefault('now'),
  host: z.string().max(64).optional().describe('Edges around this address'),
  service: z.string().max(64).optional().describe('Edges of this service: a name or a port number'),
  direction: z.enum(['upstream', 'downstream', 'both']).optional(),
  depth: z.number().int().min(1).max(10).optional(),
  minBytes: z.number().int().min(0).optional(),
});

const cell = z.union([z.string(), z.number(), z.null()]);

export function registerDepsRoute(app: FastifyInstance, ctx: QueryContext): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v1/deps',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The dependency map: edges client -> server:port with traffic, rule and confidence',
        tags: ['dependencies'],
        body,
        response: {
          200: z.object({ columns: z.array(z.string()), rows: z.array(z.record(z.string(), cell)) }),
          ...problemResponses({ body: true, statuses: [503] }),
        },
      },
    },
    async (req) => {
      if (!ctx.store) throw new ApiProblem('store_unavailable', 'no store is attached to this server');
      if (!(req.body.to > req.body.from))
        throw new ApiProblem('invalid_parameter', 'to: must be after from', { parameter: 'to' });
      const rows = await depsMap(ctx.store, { ...req.body, scope: await requestScope(ctx, req) });
      return { columns: [...MAP_COLUMNS], rows: rows.map((r) => ({ ...r })) };
    },
  );
}
