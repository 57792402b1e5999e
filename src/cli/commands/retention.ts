/**
 * `flowlens retention [--dry-run] [--retention-raw 7d --retention-aggregates 90d --retention-daily 2y]`:
 * removes (or with --dry-run lists) what each tier holds beyond its retention.
 */
import type { Command } from 'commander';
import type { RetentionReport } from '../../storage/port.js';
import type { CliIO } from '../io.js';
import { addStoreFlags, retentionFrom, type StoreFlags, withStore } from './migrate.js';

export interface RetentionFlags extends StoreFlags {
  dryRun?: boolean;
}

export function formatRetention(rep: RetentionReport): string {
  const lines = [rep.dryRun ? 'dry run: nothing removed' : 'removed:'];
  for (const t of rep.tiers) {
    const parts = t.partitions.length
      ? `${t.partitions.length} partition(s): ${t.partitions.join(', ')}`
      : 'no whole partition';
    lines.push(`  ${t.tier}: before ${new Date(t.cutoff).toISOString()}: ${t.rows} rows; ${parts}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runRetention(flags: RetentionFlags, io: CliIO): Promise<void> {
  await withStore('retention', flags, io, async (store) => {
    await store.migrate();
    const rep = await store.applyRetention(retentionFrom(flags), { dryRun: flags.dryRun === true });
    io.stdout.write(flags.json ? `${JSON.stringify(rep)}\n` : formatRetention(rep));
  });
}

export function registerRetention(program: Command, io: CliIO): void {
  addStoreFlags(
    program
      .command('retention')
      .description("remove data older than each tier's retention (raw 7d, aggregates 90d, daily 2y)"),
  )
    .option('--dry-run', 'only report what would be removed')
    .option('--json', 'print the report as JSON')
    .action(async (flags: RetentionFlags) => {
      await runRetention(flags, io);
    });
}
