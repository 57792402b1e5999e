/**
 * Host labels over HTTP: GET /api/v1/labels (viewer: the configuration's, then the store's, each with its
 * source, in resolution order), PUT /api/v1/labels (operator, replaces every stored label, never the
 * configuration's; the same checks as `flowlens labels import`, the first bad entry named).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readLabels, toHostLabel, toLabelEntry } from '../core/label-file.js';
import { ApiProblem, attachedStore } from './problems.js';
import type { QueryContext } from './query-route.js';
import { problemResponses } from './schemas.js';

const label = z.object({
  cidr: z.string().max(64),
  name: z.string().max(256).default(''),
  group: z.string().max(256).default(''),
  service: z.string().max(128).nullable().optional(),
  port: z.number().int().min(0).max(65535).nullable().optional().describe('With service: that port only'),
  validFrom: z.string().max(64).nullable().optional(),
  validTo: z.string().max(64).nullable().optional(),
});

export function registerLabelsRoute(app: FastifyInstance, ctx: QueryContext): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const store = () => attachedStore(ctx.store);
  const out = z.object({
    labels: z.array(
      label.extend({
        name: z.string(),
        group: z.string(),
        service: z.string().nullable(),
        source: z
          .enum(['config', 'store'])
          .describe('config: deps.labels or deps.labelsFile (read-only here); store: imported or PUT'),
      }),
    ),
  });
  zapp.get(
    '/api/v1/labels',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Host labels: names, groups and services of addresses and prefixes, with validity',
        tags: ['dependencies'],
        response: { 200: out, ...problemResponses({ statuses: [503] }) },
      },
    },
    async () => ({
      labels: (await readLabels(store(), ctx.configLabels)).map((l) => ({
        ...toLabelEntry(l),
        source: l.source,
      })),
    }),
  );
  zapp.put(
    '/api/v1/labels',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Replace every stored host label (the configuration's stay)",
        tags: ['dependencies'],
        body: z.object({ labels: z.array(label).max(100_000) }),
        response: {
          200: z.object({ count: z.number() }),
          ...problemResponses({ body: true, statuses: [503] }),
        },
      },
    },
    async (req) => {
      const s = store();
      const list = req.body.labels.map((l, i) => {
        try {
          return toHostLabel(l, `labels[${i}]`);
        } catch (err) {
          throw new ApiProblem('invalid_parameter', (err as Error).message, { parameter: `labels[${i}]` });
        }
      });
      await s.replaceLabels(list);
      return { count: list.length };
    },
  );
}
