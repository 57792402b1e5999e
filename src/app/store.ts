/**
 * Picks and opens the FlowStore backend (the composition root is the only place that knows them).
 *
 * - `store` absent: the embedded ClickHouse engine (chdb) with its files in `<data>/chdb` (data defaults to
 *   ./data); one process at a time may open it.
 * - `store` = postgres://... : PostgreSQL (src/storage/postgres).
 *
 * The store is returned un-migrated: writers go through prepareForWriting, readers through
 * openForReading (which never migrates: a read-only database role cannot).
 */
import { join, resolve } from 'node:path';
import type { FlowStore, MigrationReport, RetentionPolicy } from '../storage/port.js';

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

/**
 * Opens the store for a read-only command: no migration and no retention change, only a check that the
 * schema is this version's (StoreSchemaError "... run flowlens migrate" otherwise). Works with a
 * PostgreSQL login role granted only flowlens_reporting.
 */
export async function openForReading(
  opts: OpenStoreOptions,
  open: (o: OpenStoreOptions) => Promise<FlowStore> = openStore,
): Promise<FlowStore> {
  const store = await open(opts);
  try {
    await store.checkSchema();
    // Loads the retention in force, so a tier is picked by what the store keeps, not by the defaults.
    await store.tierState();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * What a writing command (serve, demo, migrate, import, retention) does to an opened store before use:
 * migrate (idempotent), then record the configured retention when the configuration states one. Without
 * one the store keeps the retention in force, so a command run without the collector's configuration
 * never shortens it. Returns what migrate did and the retention in force afterwards.
 */
export async function prepareForWriting(
  store: FlowStore,
  retention: RetentionPolicy | undefined,
): Promise<{ migration: MigrationReport; retention: RetentionPolicy }> {
  const migration = await store.migrate();
  if (!retention) return { migration, retention: (await store.tierState()).retention };
  await store.setRetention(retention);
  return { migration, retention };
}
