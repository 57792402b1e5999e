/**
 * The embedded ClickHouse backend. Only src/app (the composition root) imports this.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
// Before chdb: it sets the engine allocator's options, read when the addon loads.
import './allocator.js';
import { drainPending, Session } from 'chdb';
import type { ChdbSession } from './db.js';
import { ChdbStore, type ChdbStoreOptions, setDrain } from './store.js';

export { ChdbStore, type ChdbStoreOptions } from './store.js';

setDrain(drainPending);

/**
 * Opens (creating if needed) the data directory. One process at a time may open a directory, and a process
 * holds one chdb directory at a time: close() the store (it waits for the engine) before opening another.
 */
export async function openChdbStore(opts: ChdbStoreOptions): Promise<ChdbStore> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  await drainPending();
  // Connections to the one engine: inserts and metric reads never queue behind another statement (db.ts).
  const main = new Session(dir) as unknown as ChdbSession;
  const ingest = new Session(dir) as unknown as ChdbSession;
  const stats = new Session(dir) as unknown as ChdbSession;
  return new ChdbStore({ main, ingest, stats }, { ...opts, dir });
}
