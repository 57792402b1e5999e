/**
 * The flow search's page cursor: the sort key of the last row handed out and how many rows with exactly
 * that key were handed out (rows equal in every key column are told apart by count, since the raw tier
 * has no row id). Opaque to callers: base64url JSON.
 */
import { QueryError } from './errors.js';

export interface Cursor {
  /** The key values as the store read them back (storage/sql/search.ts). */
  key: (string | number)[];
  /** Rows with exactly this key already handed out. */
  seen: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify({ k: c.key, n: c.seen })).toString('base64url');
}

export function decodeCursor(text: string, keyLength: number): Cursor {
  const bad = () => new QueryError('cursor: not a cursor of a flow search (pass next_cursor unchanged)');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const o = v as { k?: unknown; n?: unknown };
  if (
    !o ||
    typeof o !== 'object' ||
    !Array.isArray(o.k) ||
    o.k.length !== keyLength ||
    !o.k.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))) ||
    typeof o.n !== 'number' ||
    !Number.isSafeInteger(o.n) ||
    o.n < 1
  )
    throw bad();
  return { key: o.k as (string | number)[], seen: o.n };
}
