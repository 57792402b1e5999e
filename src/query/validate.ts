/**
 * The query AST as it arrives from outside (HTTP bodies): validated into a `Query` before any backend sees
 * it, so a malformed request is the caller's error (a 400 with the reason), never a SQL error.
 */
import { z } from 'zod';
import { EQ_FIELDS, NUMERIC_FIELDS } from '../core/columns.js';
import type { Filter, Query } from './ast.js';
import { GROUP_FIELDS } from './ast.js';

const enumOf = (xs: readonly string[]) => z.enum(xs as unknown as [string, ...string[]]);
const field = enumOf(GROUP_FIELDS);
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
