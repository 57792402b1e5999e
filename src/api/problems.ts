/**
 * Every error the HTTP API returns, once: an RFC 9457 problem document (application/problem+json) with a
 * stable `type` per entry. Handlers throw ApiProblem; the server's error handler turns anything else
 * (FilterError, QueryError, store errors, fastify's own errors) into one of these through toProblem, so no
 * route invents its own error shape.
 */
import { z } from 'zod';
import { QueryError, QueryTimeoutError } from '../query/errors.js';
import { FilterError } from '../query/filter/index.js';
import { type FlowStore, StoreInputError, StoreSchemaError } from '../storage/port.js';

interface ProblemSpec {
  status: number;
  title: string;
  /** Served at the type's address (GET /api/problems/CODE) and listed in the README. */
  description: string;
}

export const PROBLEMS = {
  not_found: {
    status: 404,
    title: 'Not found',
    description: 'No route, or no such resource, at this address and method.',
  },
  invalid_parameter: {
    status: 400,
    title: 'Invalid parameter',
    description:
      'A query-string or body parameter is missing or wrong; `parameter` names it (a dotted path).',
  },
  invalid_filter: {
    status: 400,
    title: 'Invalid filter',
    description:
      'The filter text does not parse, or uses a term the query does not take; `position` (0-based offset) and `length` mark the offending text, `parameter` names the parameter.',
  },
  invalid_query: {
    status: 400,
    title: 'Invalid query',
    description:
      'The query is well-formed but cannot be answered as asked (e.g. a field the forced tier does not keep).',
  },
  invalid_body: {
    status: 400,
    title: 'Invalid request body',
    description: 'The body is not valid JSON.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description:
      'No valid credential: send `Authorization: Bearer <token>` with an API token (flowlens token create) or a JWT of the configured identity provider. The detail says why the credential was refused (never the credential).',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description:
      'The credential is valid but its role does not allow this route (viewer < operator < admin), or its tenant does not (a tenant-bound admin does not manage tenants; a token of a deleted tenant reads nothing).',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The resource already exists (e.g. a tenant of that name); delete it first to replace it.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description:
      'More requests for this token than the configured rate (auth.rate_limit); Retry-After says when to retry.',
  },
  headers_too_large: {
    status: 431,
    title: 'Request headers too large',
    description: 'The request headers are larger than the server reads.',
  },
  body_too_large: {
    status: 413,
    title: 'Request body too large',
    description: 'The body is larger than the server accepts (see the README "HTTP API", limits).',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description: 'Bodies are application/json.',
  },
  result_too_large: {
    status: 422,
    title: 'Result too large',
    description:
      'The answer has more rows than one response carries; narrow the range or the filter, or lower the limit.',
  },
  store_unavailable: {
    status: 503,
    title: 'Store unavailable',
    description:
      'No store is attached to this server, or its schema is not this version (run flowlens migrate).',
  },
  collector_unavailable: {
    status: 503,
    title: 'Collector unavailable',
    description:
      'No collector runs in this server process (exporter health lives in the running `flowlens serve`, not in the store).',
  },
  query_timeout: {
    status: 504,
    title: 'Query timed out',
    description: 'The query ran longer than the per-request time limit; narrow the range or the filter.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description: 'Something failed on the server side; the detail says what.',
  },
} as const satisfies Record<string, ProblemSpec>;

export type ProblemCode = keyof typeof PROBLEMS;
export const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

/** The `type` of a problem: a relative URI that resolves to the catalog entry (GET /api/problems/CODE). */
export const problemType = (code: ProblemCode) => `/api/problems/${code}`;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Optional members beside RFC 9457's: what a client needs to point at the mistake. */
export interface ProblemExtras {
  /** The offending parameter, as a dotted path (`limit`, `filter.field`, `by.1`). */
  parameter?: string;
  /** Filter errors: 0-based offset into the filter text, and how many characters to mark. */
  position?: number;
  length?: number;
}

export const problemSchema = z
  .object({
    type: z.string().describe('Relative URI of the problem type (GET it for the description)'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    parameter: z.string().optional(),
    position: z.number().int().min(0).optional(),
    length: z.number().int().min(1).optional(),
  })
  .describe('RFC 9457 problem document');

export type Problem = z.infer<typeof problemSchema>;

/** Thrown by handlers; the error handler sends it as is. */
export class ApiProblem extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail ?? PROBLEMS[code].title);
    this.name = 'ApiProblem';
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }

  toJSON(): Problem {
    const p = PROBLEMS[this.code];
    return {
      type: problemType(this.code),
      title: p.title,
      status: p.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...this.extras,
    };
  }
}

/** The server's store, or the store_unavailable problem (a server built without one, as some tests are). */
export function attachedStore(store: FlowStore | undefined): FlowStore {
  if (!store) throw new ApiProblem('store_unavailable', 'no store is attached to this server');
  return store;
}

/** A filter error of `parameter`, with the offending text's position. */
export function filterProblem(err: FilterError, parameter: string): ApiProblem {
  return new ApiProblem('invalid_filter', err.message, {
    parameter,
    position: err.position,
    length: err.length,
  });
}

interface ZodIssueLike {
  code?: string;
  path?: PropertyKey[];
  message?: string;
  errors?: ZodIssueLike[][];
}

interface ValidationEntry {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: { errors?: ZodIssueLike[][] };
}

/**
 * The parameter and message of a validation failure. A union (`by` as text or a list, `filter` as text or
 * an AST) fails as a whole with "Invalid input"; the branch whose type matched says what is wrong.
 */
function explain(v: ValidationEntry): { parameter: string; message: string } {
  const base = (v.instancePath ?? '')
    .replace(/^\//, '')
    .split('/')
    .filter((x) => x !== '');
  let path = base;
  let message = v.message ?? 'invalid';
  let errors = v.keyword === 'invalid_union' ? v.params?.errors : undefined;
  while (errors) {
    const issue = errors.flat().find((i) => i.code !== 'invalid_type');
    if (!issue) break;
    path = [...path, ...(issue.path ?? []).map(String)];
    message = issue.message ?? message;
    errors = issue.code === 'invalid_union' ? issue.errors : undefined;
  }
  return { parameter: path.join('.'), message };
}

interface FastifyishError {
  code?: string;
  statusCode?: number;
  validation?: ValidationEntry[];
  validationContext?: string;
  message?: string;
}

/** Any error a request can end in -> its problem. Unknown errors are `internal` (the message kept). */
export function toProblem(err: unknown): ApiProblem {
  if (err instanceof ApiProblem) return err;
  if (err instanceof FilterError) return filterProblem(err, 'filter');
  if (err instanceof QueryError || err instanceof StoreInputError)
    return new ApiProblem('invalid_query', err.message);
  if (err instanceof StoreSchemaError) return new ApiProblem('store_unavailable', err.message);
  if (err instanceof QueryTimeoutError) return new ApiProblem('query_timeout', err.message);
  const e = (err ?? {}) as FastifyishError;
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    // Schema validation (zod through the type provider): name the first offending parameter.
    const { parameter, message } = explain(e.validation[0]);
    return new ApiProblem(
      'invalid_parameter',
      `${parameter || e.validationContext || 'request'}: ${message}`,
      parameter ? { parameter } : {},
    );
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiProblem('body_too_large', e.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiProblem('unsupported_media_type', e.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiProblem('invalid_body', e.message);
  }
  // fastify's JSON body parser reports a syntax error as a 400 with the parser's message.
  if (err instanceof SyntaxError && e.statusCode === 400) return new ApiProblem('invalid_body', err.message);
  return new ApiProblem('internal', err instanceof Error ? err.message : String(err));
}
