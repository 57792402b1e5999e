import type { Query, QueryResult } from '../query/ast.js';

/**
 * Runs a query AST through a running serve's HTTP port (POST /api/v1/query): how the CLI asks while serve
 * holds the embedded store (see lock.ts). Errors come back as application/problem+json; their detail is
 * thrown as the message.
 */
export async function queryVia(base: string, q: Query): Promise<QueryResult> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(q),
    });
  } catch (err) {
    throw new Error(`cannot reach flowlens serve at ${base}: ${(err as Error).message}`);
  }
  const body = (await res.json()) as QueryResult & { title?: string; detail?: string };
  if (!res.ok)
    throw new Error(`${body.title ?? `HTTP ${res.status}`}${body.detail ? `: ${body.detail}` : ''}`);
  return body;
}
