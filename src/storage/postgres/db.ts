/**
 * Connection pool set-up: every session runs in UTC (partition bounds and date_bin windows are read and
 * written as UTC), optionally in a dedicated schema, and numeric results come back as JS numbers while
 * exact (bigint counters beyond 2^53 and sums as decimal strings, like the JSON-lines form).
 */
import pg from 'pg';

const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const TIMESTAMPTZ = 1184;

function exactNumber(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) || (!Number.isInteger(n) && Number.isFinite(n)) ? n : text;
}

const PARSERS: Record<number, (text: string) => unknown> = {
  [INT8]: exactNumber,
  [NUMERIC]: exactNumber,
  [DATE]: (text) => Date.parse(`${text}T00:00:00Z`),
  [TIMESTAMPTZ]: (text) => Date.parse(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')),
};

const types = {
  getTypeParser(oid: number, format?: string) {
    if (format !== 'binary' && PARSERS[oid]) return PARSERS[oid];
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not accept a union format.
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function createPool(url: string, options: { schema?: string; max?: number } = {}): pg.Pool {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`postgres schema name must match ${SCHEMA_NAME}: ${JSON.stringify(options.schema)}`);
  }
  const settings = ['-c TimeZone=UTC'];
  if (options.schema) settings.push(`-c search_path=${options.schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 4,
    options: settings.join(' '),
    types,
  });
  // An idle client's connection dying (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/** Run `fn` in a transaction on one pooled client. */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (c: pg.PoolClient) => Promise<T>,
  o: { readOnly?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(o.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
