import type { DepsViewOptions, LabelledRow } from '../deps/view.js';
import type { Query, QueryResult } from '../query/ast.js';

/**
 * Runs a query AST through a running serve's HTTP port (POST /api/v1/query): how the CLI asks while serve
 * holds the embedded store (see lock.ts). `token` (--token / FLOWLENS_TOKEN) goes only into the
 * Authorization header, never into a message. Errors come back as application/problem+json; their detail
 * is thrown as the message.
 */
export function queryVia(base: string, q: Query, token?: string): Promise<QueryResult> {
  return requestVia<QueryResult>({ base, method: 'POST', path: '/api/v1/query', body: q, token });
}

/** The dependency map through a running serve (POST /api/v1/deps). */
export function depsVia(
  base: string,
  options: Omit<DepsViewOptions, 'labels' | 'stored'>,
  token?: string,
): Promise<{ columns: string[]; rows: LabelledRow[] }> {
  return requestVia({ base, method: 'POST', path: '/api/v1/deps', body: options, token });
}

export interface ViaRequest {
  base: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  token?: string;
}

/** The token from --token, else FLOWLENS_TOKEN; undefined when neither is set. */
export function cliToken(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag || env.FLOWLENS_TOKEN || undefined;
}

export async function requestVia<T>(r: ViaRequest): Promise<T> {
  const url = `${r.base.replace(/\/+$/, '')}${r.path}`;
  const headers: Record<string, string> = {};
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: r.method,
      headers,
      ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
    });
  } catch (err) {
    // undici names a header value it refuses; the message must not carry the token.
    const msg = r.token ? (err as Error).message.replaceAll(r.token, '***') : (err as Error).message;
    throw new Error(`cannot reach flowlens serve at ${r.base}: ${msg}`);
  }
  // 204 (a deletion) has no body.
  const body = (res.status === 204 ? {} : await res.json()) as T & { title?: string; detail?: string };
  if (!res.ok) {
    const hint =
      res.status === 401 && !r.token
        ? ' (give a token: --token or FLOWLENS_TOKEN; see flowlens token create)'
        : '';
    throw new Error(`${body.title ?? `HTTP ${res.status}`}${body.detail ? `: ${body.detail}` : ''}${hint}`);
  }
  return body;
}
