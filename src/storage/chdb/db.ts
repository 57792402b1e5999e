/**
 * Thin layer over a chdb Session: every value travels as a ClickHouse query parameter (`{name:Type}`,
 * bound server-side by queryBindAsync), never concatenated into SQL. The only text inlined is identifiers
 * and integers produced by the store itself (see schema.ts ttlClauses, retention.ts partition ids, which
 * are checked against /^\d+$/), and the ingest session's literals (sqlString).
 *
 * chdb runs parameterized statements one at a time across the whole process, in call order, and one
 * session (connection) runs one statement at a time. So inserts have a session of their own and no
 * parameters (store.ts insertPayload): a 5-minute window's aggregation, minutes of engine time on a
 * high-cardinality window, or twenty dashboard queries, never hold an insert up.
 */
import { ipv4ToString, ipv6ToString, parseIp } from '../../core/ip.js';

/** The subset of chdb's Session the store uses (typed here so the rest never touches the addon). */
export interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ text(): string }>;
  queryBindAsync(sql: string, params: object, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(p: { table: string; values: Buffer; format: 'JSONEachRow' }): Promise<unknown>;
  close(): void;
}

export type Params = Record<string, unknown>;

/** Answer rows parsed between two turns of the event loop (about 10-50 ms of parsing). */
const PARSE_SLICE = 10_000;

export class Db {
  constructor(readonly session: ChdbSession) {}

  async exec(sql: string, params?: Params): Promise<void> {
    if (params && Object.keys(params).length > 0) await this.session.queryBindAsync(sql, params);
    else await this.session.queryAsync(sql);
  }

  async rows<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    const r =
      params && Object.keys(params).length > 0
        ? await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
        : await this.session.queryAsync(sql, { format: 'JSONEachRow' });
    const lines = r.text().split('\n');
    const out: T[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].length > 0) out.push(JSON.parse(lines[i]) as T);
      // A large answer (discovery reads 200 k conversations at a time) is parsed in slices: a second of
      // parsing held the main thread's writer, API and hand-over of datagrams to the decode workers.
      if (i % PARSE_SLICE === PARSE_SLICE - 1) await new Promise((go) => setImmediate(go));
    }
    return out;
  }

  /** Small inserts (metadata tables): JSONEachRow data, parsed by the engine as data, not SQL. */
  async insertJson(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    const text = `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
    await this.session.insert({ table, values: Buffer.from(text), format: 'JSONEachRow' });
  }
}

/**
 * A ClickHouse string literal of `text` (backslash and quote escaped): only for the ingest session, whose
 * statements carry no parameters so they never wait in chdb's process-wide queue of parameterized ones.
 */
export function sqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ClickHouse prints IPv4-mapped addresses as ::ffff:a.b.c.d; FlowLens prints them as plain IPv4. */
export function ipOut(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  if (s.startsWith('::ffff:') && s.indexOf('.') > 0 && s.indexOf(':', 7) < 0) return s.slice(7);
  if (!s.includes('.')) return s;
  // Any other dotted form (IPv4-compatible ::a.b.c.d): re-render as RFC 5952.
  const b = parseIp(s);
  if (!b) return s;
  return b.length === 4 ? ipv4ToString(b) : ipv6ToString(b);
}

/** Values in JSONEachRow may be quoted 64-bit integers; counters are exact numbers below 2^53. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** ms -> the text form a DateTime64(3) parameter accepts ('YYYY-MM-DD hh:mm:ss.sss', UTC). */
export function dt64(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** ms -> 'YYYY-MM-DD' (UTC) for Date parameters. */
export function dateText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
