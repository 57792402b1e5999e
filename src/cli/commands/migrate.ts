/**
 * `flowlens migrate`: creates or upgrades the schema of the configured store (idempotent) and, when the
 * configuration states a retention (file, FLOWLENS_RETENTION_*, --retention-*), records it in the store.
 */
import type { Command } from 'commander';
import { describeRetention, retentionText } from '../../core/duration.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, withStore } from '../store.js';

export interface MigrateOpts extends ConfigOpts {
  json?: boolean;
}

export async function runMigrate(opts: MigrateOpts, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const config = configOrExit('migrate', opts, io, { env: ctx.env });
  if (!config) return;
  await withStore({ command: 'migrate', config, io, access: 'write', ctx }, async (store, prepared) => {
    const { migration: rep, retention } = prepared!;
    const engine = store.capabilities.engine;
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ engine, ...rep, retention: retentionText(retention) })}\n`);
      return;
    }
    io.stdout.write(
      rep.applied.length === 0
        ? `${engine}: schema is up to date (version ${rep.to})\n`
        : `${engine}: migrated from version ${rep.from} to ${rep.to}:\n${rep.applied.map((a) => `  ${a}\n`).join('')}`,
    );
    io.stdout.write(`retention ${config.retention ? 'set' : 'in force'}: ${describeRetention(retention)}\n`);
  });
}

export function registerMigrate(program: Command, io: CliIO): void {
  addConfigFlags(
    program
      .command('migrate')
      .description('create or upgrade the store schema (idempotent), record the retention'),
    'migrate',
  )
    .option('--json', 'print the migration report as JSON')
    .action(async (opts: MigrateOpts) => {
      await runMigrate(opts, io);
    });
}
