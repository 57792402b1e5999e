/**
 * `flowlens retention [--dry-run]`: removes (or with --dry-run lists) what each tier holds beyond its
 * retention. The policy is the configured one when the configuration states it (recorded in the store by
 * the real run), else the one the store keeps in force. --dry-run is read-only: no migration, no change.
 */
import type { Command } from 'commander';
import { describeRetention, retentionText } from '../../core/duration.js';
import type { RetentionPolicy, RetentionReport } from '../../storage/port.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, withStore } from '../store.js';

export interface RetentionOpts extends ConfigOpts {
  dryRun?: boolean;
  json?: boolean;
}

export function formatRetention(rep: RetentionReport, policy: RetentionPolicy): string {
  const lines = [
    `${rep.dryRun ? 'dry run: nothing removed' : 'removed:'} (retention ${describeRetention(policy)})`,
  ];
  for (const t of rep.tiers) {
    const parts = t.partitions.length
      ? `${t.partitions.length} partition(s): ${t.partitions.join(', ')}`
      : 'no whole partition';
    lines.push(`  ${t.tier}: before ${new Date(t.cutoff).toISOString()}: ${t.rows} rows; ${parts}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runRetention(opts: RetentionOpts, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const config = configOrExit('retention', opts, io, { env: ctx.env });
  if (!config) return;
  const dryRun = opts.dryRun === true;
  await withStore(
    { command: 'retention', config, io, access: dryRun ? 'read' : 'write', ctx },
    async (store, prepared) => {
      const policy = prepared?.retention ?? config.retention ?? (await store.tierState()).retention;
      const rep = await store.applyRetention(policy, { dryRun });
      io.stdout.write(
        opts.json
          ? `${JSON.stringify({ ...rep, retention: retentionText(policy) })}\n`
          : formatRetention(rep, policy),
      );
    },
  );
}

export function registerRetention(program: Command, io: CliIO): void {
  addConfigFlags(
    program
      .command('retention')
      .description("remove data older than each tier's retention (configured, else the one the store keeps)"),
    'retention',
  )
    .option('--dry-run', 'only report what would be removed (read-only: no migration, nothing recorded)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: RetentionOpts) => {
      await runRetention(opts, io);
    });
}
