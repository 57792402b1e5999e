/**
 * `flowlens migrate [--store URL | --data DIR]`, plus the store flags and value parsers the other storage
 * commands (import, query, retention) share.
 */

import type { Command } from 'commander';
import { z } from 'zod';
import { readServeLock, serveLockMessage } from '../../app/lock.js';
import { openStore } from '../../app/store.js';
import { DEFAULT_RETENTION, type FlowStore, type RetentionPolicy } from '../../storage/port.js';
import type { CliIO } from '../io.js';

export interface StoreFlags {
  store?: string;
  data?: string;
  retentionRaw?: string;
  retentionAggregates?: string;
  retentionDaily?: string;
  json?: boolean;
}

/** A parameter failed validation; the message names it. */
export class UsageError extends Error {}

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

const durationText = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*[smhdwy]$/, 'expected a duration like 90m, 6h, 7d, 2w or 2y');

/** "7d" -> ms. Throws UsageError naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const r = durationText.safeParse(text);
  if (!r.success) throw new UsageError(`${flag}: ${r.error.issues[0].message}, got ${JSON.stringify(text)}`);
  const v = r.data.replace(/\s+/g, '');
  const ms = Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1)];
  if (!(ms >= 1000)) throw new UsageError(`${flag}: must be at least 1s, got ${JSON.stringify(text)}`);
  return Math.round(ms);
}

/** The retention the flags give, or undefined when none is given (the store keeps what it has). */
export function retentionGiven(flags: StoreFlags): RetentionPolicy | undefined {
  return flags.retentionRaw || flags.retentionAggregates || flags.retentionDaily
    ? retentionFrom(flags)
    : undefined;
}

export function retentionFrom(flags: StoreFlags): RetentionPolicy {
  return {
    raw: flags.retentionRaw ? parseDuration(flags.retentionRaw, '--retention-raw') : DEFAULT_RETENTION.raw,
    aggregates: flags.retentionAggregates
      ? parseDuration(flags.retentionAggregates, '--retention-aggregates')
      : DEFAULT_RETENTION.aggregates,
    daily: flags.retentionDaily
      ? parseDuration(flags.retentionDaily, '--retention-daily')
      : DEFAULT_RETENTION.daily,
  };
}

export function addStoreFlags(cmd: Command, withRetention = true): Command {
  cmd
    .option('--store <url>', 'store URL (postgres://...); default: the embedded store in --data')
    .option('--data <dir>', 'data directory of the embedded store', './data');
  if (withRetention) {
    cmd
      .option('--retention-raw <duration>', 'raw flow retention (default 7d)')
      .option('--retention-aggregates <duration>', '5-minute aggregate retention (default 90d)')
      .option('--retention-daily <duration>', 'daily dependency stats retention (default 2y)');
  }
  return cmd;
}

/** Opens and migrates the store, runs fn, always closes; errors become one line on stderr and exit code. */
export async function withStore(
  command: string,
  flags: StoreFlags,
  io: CliIO,
  fn: (store: FlowStore) => Promise<void>,
): Promise<void> {
  let store: FlowStore | null = null;
  try {
    const retention = retentionGiven(flags);
    if (flags.store !== undefined && flags.data !== undefined && flags.data !== './data') {
      throw new UsageError('--store and --data: give one or the other');
    }
    // The embedded engine allows one process per data directory: say what to do instead of an engine error.
    const serving = flags.store === undefined ? readServeLock(flags.data ?? './data') : null;
    if (serving) throw new Error(serveLockMessage(flags.data ?? './data', serving));
    store = await openStore({ store: flags.store, data: flags.data });
    if (retention) {
      await store.migrate();
      await store.setRetention(retention);
    }
    await fn(store);
  } catch (err) {
    io.stderr.write(`flowlens ${command}: ${(err as Error).message}\n`);
    io.setExitCode(err instanceof UsageError ? 2 : 1);
  } finally {
    await store?.close();
  }
}

export async function runMigrate(flags: StoreFlags, io: CliIO): Promise<void> {
  await withStore('migrate', flags, io, async (store) => {
    const rep = await store.migrate();
    if (flags.json) {
      io.stdout.write(`${JSON.stringify({ engine: store.capabilities.engine, ...rep })}\n`);
      return;
    }
    io.stdout.write(
      rep.applied.length === 0
        ? `${store.capabilities.engine}: schema is up to date (version ${rep.to})\n`
        : `${store.capabilities.engine}: migrated from version ${rep.from} to ${rep.to}:\n${rep.applied.map((a) => `  ${a}\n`).join('')}`,
    );
  });
}

export function registerMigrate(program: Command, io: CliIO): void {
  addStoreFlags(program.command('migrate').description('create or upgrade the store schema (idempotent)'))
    .option('--json', 'print the migration report as JSON')
    .action(async (flags: StoreFlags) => {
      await runMigrate(flags, io);
    });
}
