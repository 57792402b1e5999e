/**
 * `flowlens query top --by FIELD[,FIELD...] [--metric bytes|packets|flows] [--from T --to T] [--limit N]
 * [--filter EXPR] [--tier raw|aggregates|daily] [--json]`. Every option is validated (zod) into a query
 * AST, the filter parsed by the filter language (query/filter); nothing the user typed reaches SQL except
 * as a bound value.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { GROUP_FIELDS, type TopQuery } from '../../query/ast.js';
import { groupBySchema } from '../../query/validate.js';
import { addConfigFlags } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, UsageError } from '../store.js';
import {
  addQueryOptions,
  formatTable,
  parseByFlag,
  parseFilterFlag,
  parseRange,
  type QueryFlags,
  runQuery,
} from './query-common.js';
import { registerFlows } from './query-flows.js';
import { registerMoreQueries } from './query-more.js';
import { registerSeries } from './query-series.js';

export { describeGaps, describeParts, formatCsv, formatTable, parseTime } from './query-common.js';

/** Read-only: the store flags and --config, no retention (the store keeps the retention in force). */
export interface TopFlags extends QueryFlags {
  by: string;
  metric?: string;
  from?: string;
  to?: string;
  limit?: string;
  tier?: string;
  other?: boolean;
  previous?: boolean;
}

const topSchema = z.object({
  // parseByFlag has checked every entry (naming the unknown one): here only that there is one.
  by: z.array(groupBySchema).min(1, 'at least one field'),
  metric: z.enum(['bytes', 'packets', 'flows']).default('bytes'),
  limit: z.coerce.number().int().min(1).max(100_000).default(10),
  tier: z.enum(['raw', 'aggregates', 'daily']).optional(),
});

/** Flags -> TopQuery; throws UsageError naming the offending flag. */
export function parseTopFlags(flags: TopFlags, now: number): TopQuery {
  const by = parseByFlag(flags.by);
  const r = topSchema.safeParse({ by, metric: flags.metric, limit: flags.limit, tier: flags.tier });
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = `--${String(issue.path[0] ?? 'by')}`;
    const allowed = issue.path[0] === 'by' ? ` (fields: ${GROUP_FIELDS.join(', ')})` : '';
    throw new UsageError(`${flag}: ${issue.message}${allowed}`);
  }
  const { from, to } = parseRange(flags, now);
  // FilterError (with its position) passes through: runQuery shows it with a caret under the text.
  const filter = parseFilterFlag(flags.filter).filter;
  return {
    kind: 'top',
    by: r.data.by,
    metric: r.data.metric,
    limit: r.data.limit,
    from,
    to,
    tier: r.data.tier,
    ...(filter ? { filter } : {}),
    ...(flags.other ? { other: true } : {}),
    ...(flags.previous ? { previous: true } : {}),
  };
}

export async function runTop(flags: TopFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  await runQuery({ label: 'query top', flags, io, ctx, parse: parseTopFlags, table: formatTable });
}

export function registerQuery(program: Command, io: CliIO): void {
  const query = program.command('query').description('query stored flows');
  addConfigFlags(
    addQueryOptions(
      query
        .command('top')
        .description(
          'top-N groups by traffic, answered across the tiers (raw, 5-minute aggregates, daily) by what each holds',
        )
        .requiredOption(
          '--by <fields>',
          `comma-separated group fields: ${GROUP_FIELDS.join(', ')}, or ext.KEY[.KEY...] (a value of extended_fields)`,
        )
        .option('--metric <metric>', 'bytes | packets | flows (bytes/packets are sampling-scaled)', 'bytes')
        .option('--limit <n>', 'number of groups', '10')
        .option(
          '--tier <tier>',
          'force one tier: raw | aggregates | daily (the answer names what it skipped)',
        )
        .option('--other', 'add a row summing every group not in the top N (by fields empty, other = 1)')
        .option('--previous', 'add <metric>_previous: each group over the previous period of equal length'),
      {
        json: 'print {tier, parts, gaps, complete, columns, rows} as JSON',
        csv: 'print the columns and rows as CSV',
      },
    ),
    'query',
  ).action(async (flags: TopFlags) => {
    await runTop(flags, io);
  });
  registerSeries(query, io);
  registerFlows(query, io);
  registerMoreQueries(query, io);
}
