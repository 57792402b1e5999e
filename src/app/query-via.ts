import type { DepsMapOptions, DepsMapRow } from '../deps/map.js';
import type { Query, QueryResult } from '../query/ast.js';

/**
 * Runs a query AST through a running serve's HTTP port (POST /api/v1/query): how the CLI asks while serve
 * holds the embedded store (see lock.ts). Errors come back as application/problem+json; their detail is
 * thrown as the message.
 */
export function queryVia(base: string, q: Query): Promise<QueryResult> {
  return postVia<QueryResult>(base, '/api/v1/query', q);
}

/** The dependency map through a running serve (POST /api/v1/deps). */
export function depsVia(
  base: string,
  options: DepsMapOptions,
): Promise<{ columns: string[]; rows: DepsMapRow[] }> {
  return postVia(base, '/api/v1/deps', options);
}

async function postVia<T>(base: string, path: string, payload: unknown): Promise<T> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  } catch (err) {
    throw new Error(`cannot reach flowlens serve at ${base}: ${(err as Error).message}`);
  }
  const body = (await res.json()) as T & { title?: string; detail?: string };
  if (!res.ok)
    throw new Error(`${body.title ?? `HTTP ${res.status}`}${body.detail ? `: ${body.detail}` : ''}`);
  return body;
}
