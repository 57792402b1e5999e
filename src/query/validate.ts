/**
 * The query AST as it arrives from outside (HTTP bodies): validated into a `Query` before any backend sees
 * it, so a malformed request is the caller's error (a 400 with the reason), never a SQL error.
 */
import { z } from 'zod';
import type { Filter, Query } from './ast.js';
import { GROUP_FIELDS } from './ast.js';

const field = z.enum(GROUP_FIELDS as unknown as [string, ...string[]]);
const time = z.number().int().min(0).max(8_640_000_000_000_000);

const filter: z.ZodType<Filter> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z.object({ op: z.literal('eq'), field, value: z.union([z.string().max(200), z.number()]) }),
    z.object({
      op: z.literal('in_cidr'),
      field: z.enum(['src_ip', 'dst_ip', 'exporter_ip', 'next_hop']),
      cidr: z.string().max(64),
    }),
    z.object({ op: z.literal('and'), filters: z.array(filter).max(64) }),
    z.object({ op: z.literal('or'), filters: z.array(filter).max(64) }),
    z.object({ op: z.literal('not'), filter }),
  ]),
) as z.ZodType<Filter>;

const range = { from: time, to: time, filter: filter.optional() };

const query = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('top'),
      by: z.array(field).max(GROUP_FIELDS.length),
      metric: z.enum(['bytes', 'packets', 'flows']),
      limit: z.number().int().min(1).max(100_000),
      tier: z.enum(['raw', 'aggregates', 'daily']).optional(),
      ...range,
    }),
    z.object({
      kind: z.literal('aggregate_rows'),
      limit: z.number().int().min(1).max(1_000_000).optional(),
      ...range,
    }),
    z.object({ kind: z.literal('flows'), limit: z.number().int().min(1).max(100_000), ...range }),
  ])
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] });

/** The query, or the first problem as "path: reason". */
export function parseQuery(input: unknown): { ok: true; query: Query } | { ok: false; error: string } {
  const r = query.safeParse(input);
  if (r.success) return { ok: true, query: r.data as Query };
  const issue = r.error.issues[0];
  const path = issue.path.length ? issue.path.join('.') : 'query';
  return { ok: false, error: `${path}: ${issue.message}` };
}
