/**
 * Picks and opens the FlowStore backend (the composition root is the only place that knows them).
 *
 * - `store` absent: the embedded ClickHouse engine (chdb) with its files in `<data>/chdb` (data defaults to
 *   ./data); one process at a time may open it.
 * - `store` = postgres://... : PostgreSQL (src/storage/postgres).
 *
 * The store is returned un-migrated; callers run `migrate()` (idempotent) before use.
 */
import { join, resolve } from 'node:path';
import type { FlowStore } from '../storage/port.js';

export interface OpenStoreOptions {
  /** Store URL (postgres://...). Absent: the embedded store in `data`. */
  store?: string;
  /** Data directory of the embedded store (default ./data). */
  data?: string;
  /** Internal networks besides RFC 1918 and fc00::/7 (CIDR). */
  internalNetworks?: string[];
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<FlowStore> {
  const url = opts.store?.trim();
  if (!url) {
    const { openChdbStore } = await import('../storage/chdb/index.js');
    return openChdbStore({
      dir: join(resolve(opts.data ?? './data'), 'chdb'),
      internalNetworks: opts.internalNetworks,
    });
  }
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  if (scheme === 'postgres:' || scheme === 'postgresql:') {
    const { openPostgresStore } = await import('../storage/postgres/index.js');
    return openPostgresStore({ url, internalNetworks: opts.internalNetworks });
  }
  throw new Error(
    `store: unsupported store URL scheme ${JSON.stringify(scheme || url)} (expected postgres://)`,
  );
}
