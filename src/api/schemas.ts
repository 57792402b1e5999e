/**
 * The zod schemas of the HTTP API: the same objects validate requests (fastify-type-provider-zod) and
 * become the OpenAPI document (@fastify/swagger), so the document cannot drift from what is enforced.
 * Shared pieces (times, filters, limits, the query result) live here; each route adds its own fields.
 */
import { z } from 'zod';
import { parseTimeSpec } from '../core/time.js';
import { filterSchema } from '../query/validate.js';
import { problemSchema } from './problems.js';

/** The API's caps, one place (README "HTTP API"). */
export const LIMITS = {
  /** Request bodies (a filter AST of 64 x 64 leaves fits with room). */
  bodyBytes: 256 * 1024,
  /** Rows of a top-N answer. */
  topRows: 10_000,
  /** Rows of any answer of POST /api/v1/query (the CLI's largest --limit). */
  queryRows: 100_000,
  /** Filter text. */
  filterChars: 4000,
  /** Default per-request query time limit (HttpServerOptions.queryTimeoutMs overrides). */
  queryTimeoutMs: 30_000,
} as const;

/**
 * Schemas that become named components of the OpenAPI document (so the recursive filter is one $ref,
 * not an endless expansion). A registry of our own, not zod's global one: nothing else ends up in it.
 */
export const apiRegistry = z.registry<{ id?: string; description?: string }>();
apiRegistry.add(filterSchema, { id: 'Filter', description: 'The filter as a query AST (src/query/ast.ts)' });
apiRegistry.add(problemSchema, { id: 'Problem' });

/** A time parameter: validated (and resolved against the request's now) by the schema itself. */
export const timeSpec = z
  .union([z.number().int().min(0), z.string().max(64)])
  .describe('Epoch ms, ISO-8601 (UTC unless an offset is given), `now`, or relative: -90m, -1h, -7d')
  .transform((v, ctx) => {
    const t = parseTimeSpec(v, Date.now());
    if (t === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected epoch ms, an ISO-8601 time, now, or -1h/-7d; got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return t;
  });

/** Filter text in the filter language (README "Filter language"). */
export const filterText = z
  .string()
  .max(LIMITS.filterChars)
  .describe('Filter language text, e.g. `src net 10.1.0.0/16 and dst port 443`');

/** In bodies a filter is text or the AST; in query strings only text. */
export const filterParam = z.union([filterText, filterSchema]);

/**
 * A list: an array (body, or `by=a&by=b` in a query string) or comma-separated text (`by=src_ip,dst_port`),
 * trimmed; the items are checked by `item` either way.
 */
export function listParam<T extends z.ZodType>(item: T, max: number) {
  // The cast only tells the type checker that the items take strings (they are enums of strings).
  const list = z.array(item).max(max) as unknown as z.ZodType<z.output<T>[], string[]>;
  return z
    .union([list, z.string().max(2000)])
    .transform((v) =>
      (Array.isArray(v) ? (v as string[]) : v.split(',')).map((x) => x.trim()).filter((x) => x.length > 0),
    )
    .pipe(list);
}

/** A limit, from a JSON number or query-string digits. */
/** A yes/no flag: true/false in a JSON body, "true"/"false"/"1"/"0" in a query string. */
export const flagParam = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')])
  .optional();

export const limitParam = (max: number, dflt: number) =>
  z.coerce.number().int().min(1).max(max).default(dflt).describe(`Rows, at most ${max}`);

/** A per-request time limit; the server's limit (api.query_timeout) caps it. */
export const timeoutParam = z.coerce
  .number()
  .int()
  .min(1)
  .max(3_600_000)
  .optional()
  .describe('Time limit of this query in ms (at most the server limit); the engine cancels it after');

const cell = z.union([z.string(), z.number(), z.null()]);

const planPart = z.object({
  tier: z.enum(['raw', 'aggregates', 'daily']),
  from: z.number(),
  to: z.number(),
  approx: z.array(z.string()).optional(),
});

const planGap = z.object({
  from: z.number(),
  to: z.number(),
  reason: z.string(),
  fields: z.array(z.string()).optional(),
  message: z.string(),
});

/**
 * A query's answer (QueryResult of src/query/ast.ts). Loose: query kinds add members (a series' step, a
 * flow search's next cursor) without this schema changing first.
 */
export const queryResultSchema = z.looseObject({
  tier: z.enum(['raw', 'aggregates', 'daily']),
  parts: z.array(planPart).optional(),
  gaps: z.array(planGap).optional(),
  complete: z.boolean().optional(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), cell)),
});

/**
 * The problem responses of a route for the OpenAPI document: `statuses` of its own, plus what any request
 * may meet (400 for its parameters, 500), and for a body 413 and 415.
 */
export function problemResponses(o: { body?: boolean; statuses?: number[] } = {}) {
  const all = new Set([400, 500, ...(o.body ? [413, 415] : []), ...(o.statuses ?? [])]);
  const out: Record<
    number,
    { description: string; content: Record<string, { schema: typeof problemSchema }> }
  > = {};
  for (const s of [...all].sort())
    out[s] = {
      description: 'Problem document (RFC 9457)',
      content: { 'application/problem+json': { schema: problemSchema } },
    };
  return out;
}
