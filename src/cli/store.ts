/**
 * How a command opens the configured store: for reading (no migration, no retention change; works with
 * a read-only database role) or for writing (migrate, record the configured retention). Errors become one
 * line on stderr and an exit code.
 */
import { readServeLock, serveLockMessage } from '../app/lock.js';
import { type OpenStoreOptions, openForReading, openStore, prepareForWriting } from '../app/store.js';
import type { Config } from '../config/load.js';
import type { FlowStore, MigrationReport, RetentionPolicy } from '../storage/port.js';
import type { CliIO } from './io.js';

/** A parameter failed validation; the message names it (exit code 2). */
export class UsageError extends Error {}

/**
 * The running serve a command asks over HTTP: the one given (--via), else the serve holding the embedded
 * store's data directory (the engine allows one process per directory). An external store (PostgreSQL) is
 * opened directly.
 */
export function serveToAsk(config: Pick<Config, 'store' | 'data'>, given?: string): string | undefined {
  return given ?? (config.store === undefined ? (readServeLock(config.data)?.http ?? undefined) : undefined);
}

/** What a command runs with besides its flags; tests replace parts of it. */
export interface CommandContext {
  env?: NodeJS.ProcessEnv;
  /** Opens a store (default: app/store.ts openStore); tests wrap it to watch what a command calls. */
  openStore?: (o: OpenStoreOptions) => Promise<FlowStore>;
}

export interface StoreUse {
  /** As the user typed it, for messages: `query top`. */
  command: string;
  config: Config;
  io: CliIO;
  /** read: the schema must be current, nothing is changed; write: migrate and set the configured retention. */
  access: 'read' | 'write';
  ctx?: CommandContext;
}

/** What a writer's store went through before fn: the migration and the retention in force after it. */
export interface Prepared {
  migration: MigrationReport;
  retention: RetentionPolicy;
}

/**
 * Opens the store the configuration names, runs fn, always closes. A writer's fn gets what preparing did
 * (the configured retention recorded, or the one in force); a reader's gets null and reads tierState if
 * it needs the retention.
 */
export async function withStore(
  use: StoreUse,
  fn: (store: FlowStore, prepared: Prepared | null) => Promise<void>,
): Promise<void> {
  const { config, io } = use;
  let store: FlowStore | null = null;
  try {
    // The embedded engine allows one process per data directory: say what to do instead of an engine error.
    const serving = config.store === undefined ? readServeLock(config.data) : null;
    if (serving) throw new Error(serveLockMessage(config.data, serving));
    const opts = { store: config.store, data: config.data, internalNetworks: config.internalNetworks };
    const open = use.ctx?.openStore ?? openStore;
    if (use.access === 'read') {
      store = await openForReading(opts, open);
      await fn(store, null);
    } else {
      store = await open(opts);
      await fn(store, await prepareForWriting(store, config.retention));
    }
  } catch (err) {
    io.stderr.write(`flowlens ${use.command}: ${(err as Error).message}\n`);
    io.setExitCode(err instanceof UsageError ? 2 : 1);
  } finally {
    await store?.close();
  }
}
