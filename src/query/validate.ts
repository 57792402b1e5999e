/**
 * The query AST as it arrives from outside (HTTP bodies): validated into a `Query` before any backend sees
 * it, so a malformed request is the caller's error (a 400 with the reason), never a SQL error.
 */
import { z } from 'zod';
import { EQ_FIELDS, NUMERIC_FIELDS } from '../core/columns.js';
import { DAY_MS, MINUTE_MS } from '../core/rules.js';
import type { Filter, Query } from './ast.js';
import { EXT_KEY_PATTERN, type ExtGroupKey, GROUP_FIELDS, type GroupField } from './ast.js';
import { MAX_STEPS, stepCount } from './steps.js';

const enumOf = (xs: readonly string[]) => z.enum(xs as unknown as [string, ...string[]]);
/** A group key: a field, or `ext.` and an extended_fields path (raw tier). API and CLI take the same. */
export const groupBySchema = z.union([
  z.enum(GROUP_FIELDS as unknown as [GroupField, ...GroupField[]]),
  z
    .string()
    .regex(EXT_KEY_PATTERN, 'a field or ext.KEY[.KEY...] (letters, digits, _ and -)')
    .transform((k) => k as ExtGroupKey),
]);
const eqField = enumOf(EQ_FIELDS);
const numericField = enumOf(NUMERIC_FIELDS);
const time = z.number().int().min(0).max(8_640_000_000_000_000);
const num = z.number().finite();
/** extended_fields keys: plain names only, so a path is never more than data (and fits every dialect). */
const extPath = z
  .array(
    z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
  )
  .min(1)
  .max(8);
const pos = z.number().int().min(0).optional();

/** The filter tree; exported for the filter parser's tests (what it builds must validate). */
export const filterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z.object({ op: z.literal('eq'), field: eqField, value: z.union([z.string().max(200), num]) }).strict(),
    z
      .object({
        op: z.literal('in_cidr'),
        field: z.enum(['src_ip', 'dst_ip', 'exporter_ip', 'next_hop']),
        cidr: z.string().max(64),
      })
      .strict(),
    z
      .object({
        op: z.literal('cmp'),
        field: numericField,
        cmp: z.enum(['<', '<=', '=', '!=', '>=', '>']),
        value: num,
      })
      .strict(),
    z.object({ op: z.literal('range'), field: numericField, min: num, max: num }).strict(),
    z.object({ op: z.literal('in'), field: numericField, values: z.array(num).min(1).max(256) }).strict(),
    z.object({ op: z.literal('flags'), mask: z.number().int().min(1).max(0xff) }).strict(),
    // One option per `op` for clear errors ("filter.field: ..."); ext leaves discriminate by `test`.
    z.discriminatedUnion('test', [
      z.object({ op: z.literal('ext'), path: extPath, test: z.literal('exists') }).strict(),
      z
        .object({
          op: z.literal('ext'),
          path: extPath,
          test: z.literal('eq'),
          value: z.union([z.string().max(200), num]),
        })
        .strict(),
      z
        .object({
          op: z.literal('ext'),
          path: extPath,
          test: z.enum(['regex', 'like']),
          value: z.string().max(200),
        })
        .strict(),
    ]),
    z
      .object({ op: z.literal('role'), role: z.enum(['client', 'server']), filter: filterSchema, pos })
      .strict(),
    z
      .object({ op: z.literal('label'), label: z.enum(['group', 'name']), value: z.string().max(200), pos })
      .strict(),
    z.object({ op: z.literal('and'), filters: z.array(filterSchema).max(64) }).strict(),
    z.object({ op: z.literal('or'), filters: z.array(filterSchema).max(64) }).strict(),
    z.object({ op: z.literal('not'), filter: filterSchema }).strict(),
  ]),
) as z.ZodType<Filter>;

const filter = filterSchema;

const range = { from: time, to: time, filter: filter.optional() };

/**
 * Range caps: a series over at most MAX_RANGE_MS (the daily retention's order), a flow search over at most
 * MAX_SEARCH_RANGE_MS (raw flows are kept days, not years). A top-N has none: the plan never reads beyond
 * what the tiers hold, and a range of a century must answer every flow stored (README "Answering across
 * tiers").
 */
export const MAX_RANGE_MS = 3 * 366 * DAY_MS;
export const MAX_SEARCH_RANGE_MS = 31 * DAY_MS;
export const MAX_PAGE_SIZE = 10_000;

const metric = z.enum(['bytes', 'packets', 'flows']);
const tier = z.enum(['raw', 'aggregates', 'daily']);
const rangeCap = (max: number) => (q: { from: number; to: number }, ctx: z.RefinementCtx) => {
  if (!(q.to > q.from)) ctx.addIssue({ code: 'custom', message: 'to must be after from', path: ['to'] });
  else if (q.to - q.from > max)
    ctx.addIssue({
      code: 'custom',
      message: `the range is at most ${max / DAY_MS} days`,
      path: ['to'],
    });
};

export const topQuerySchema = z
  .object({
    kind: z.literal('top'),
    by: z.array(groupBySchema).max(GROUP_FIELDS.length),
    metric,
    limit: z.number().int().min(1).max(100_000),
    tier: tier.optional(),
    other: z.boolean().optional(),
    previous: z.boolean().optional(),
    ...range,
  })
  .superRefine(rangeCap(Number.POSITIVE_INFINITY));

export const seriesQuerySchema = z
  .object({
    kind: z.literal('series'),
    by: z.array(groupBySchema).max(GROUP_FIELDS.length),
    metric,
    limit: z.number().int().min(1).max(100),
    step: z.number().int().min(MINUTE_MS).multipleOf(MINUTE_MS).optional(),
    tier: tier.optional(),
    ...range,
  })
  .strict()
  .superRefine(rangeCap(MAX_RANGE_MS))
  .superRefine((q, ctx) => {
    if (q.step !== undefined && q.to > q.from && stepCount(q.from, q.to, q.step) > MAX_STEPS)
      ctx.addIssue({
        code: 'custom',
        message: `more than ${MAX_STEPS} steps over the range: choose a larger step`,
        path: ['step'],
      });
  });

export const flowSearchQuerySchema = z
  .object({
    kind: z.literal('flow_search'),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE),
    cursor: z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor (pass next_cursor unchanged)')
      .optional(),
    ...range,
  })
  .strict()
  .superRefine(rangeCap(MAX_SEARCH_RANGE_MS));

const aggregateRowsSchema = z
  .object({
    kind: z.literal('aggregate_rows'),
    limit: z.number().int().min(1).max(1_000_000).optional(),
    ...range,
  })
  .superRefine(rangeCap(Number.POSITIVE_INFINITY));

const flowsSchema = z
  .object({ kind: z.literal('flows'), limit: z.number().int().min(1).max(100_000), ...range })
  .superRefine(rangeCap(Number.POSITIVE_INFINITY));

const scansSchema = z
  .object({
    kind: z.literal('scans'),
    minTargets: z.number().int().min(1),
    minSampledTargets: z.number().int().min(1),
    limit: z.number().int().min(1).max(100_000),
    ...range,
  })
  .strict()
  .superRefine(rangeCap(MAX_SEARCH_RANGE_MS));

const SCHEMAS = {
  top: topQuerySchema,
  series: seriesQuerySchema,
  flow_search: flowSearchQuerySchema,
  aggregate_rows: aggregateRowsSchema,
  flows: flowsSchema,
  scans: scansSchema,
} as const;

/** Every query kind (for the API's OpenAPI document: one schema per kind, discriminated by `kind`). */
export const querySchemas = SCHEMAS;

/** The query, or the first problem as "path: reason". */
export function parseQuery(input: unknown): { ok: true; query: Query } | { ok: false; error: string } {
  // The kind picks the schema, so errors name the parameter of that kind (not "invalid union").
  const kind = (input as { kind?: unknown } | null)?.kind;
  const schema =
    typeof kind === 'string' && Object.hasOwn(SCHEMAS, kind)
      ? SCHEMAS[kind as keyof typeof SCHEMAS]
      : undefined;
  if (typeof input !== 'object' || input === null) return { ok: false, error: 'query: expected an object' };
  if (!schema) return { ok: false, error: `kind: expected one of ${Object.keys(SCHEMAS).join(', ')}` };
  const r = (schema as z.ZodType).safeParse(input);
  if (r.success) return { ok: true, query: r.data as Query };
  const issue = r.error.issues[0];
  const path = issue.path.length ? issue.path.join('.') : 'query';
  return { ok: false, error: `${path}: ${issue.message}` };
}
