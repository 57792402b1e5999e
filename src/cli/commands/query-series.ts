/**
 * `flowlens query series [--by FIELD[,FIELD...]] [--metric bytes|packets|flows] [--from T --to T]
 * [--limit N] [--step 5m] [--filter EXPR] [--tier T] [--json|--csv]`: the metric per time step, the top
 * N groups each as their own series, the rest as `other`, and the total per step (query/ast.ts
 * SeriesQuery). Validated by the same schema as the API (query/validate.ts), errors naming the flag.
 */
import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { GROUP_FIELDS, type QueryResult, type SeriesQuery } from '../../query/ast.js';
import { addConfigFlags } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, UsageError } from '../store.js';
import {
  addQueryOptions,
  describeParts,
  parseByFlag,
  parseFilterFlag,
  parseRange,
  type QueryFlags,
  runQuery,
  validated,
} from './query-common.js';

export interface SeriesFlags extends QueryFlags {
  by?: string;
  metric?: string;
  from?: string;
  to?: string;
  limit?: string;
  step?: string;
  tier?: string;
}

export function parseSeriesFlags(flags: SeriesFlags, now: number): SeriesQuery {
  const by = parseByFlag(flags.by);
  const num = (v: string | undefined, flag: string, dflt: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new UsageError(`${flag}: expected an integer, got ${JSON.stringify(v)}`);
    return n;
  };
  return validated({
    kind: 'series',
    by,
    metric: flags.metric ?? 'bytes',
    limit: num(flags.limit, '--limit', 5),
    ...parseRange(flags, now),
    ...(flags.step ? { step: parseDuration(flags.step, '--step') } : {}),
    ...(flags.tier ? { tier: flags.tier } : {}),
    ...parseFilterFlag(flags.filter),
  }) as SeriesQuery;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/** One line per step and series: time, the group (or total/other), the metric. */
export function formatSeries(res: QueryResult): string {
  const metric = res.columns[res.columns.length - 2];
  const by = res.columns.slice(1, -2);
  const lines = res.rows.map((r) => {
    const who =
      r.series === 'group' ? by.map((f) => (r[f] === null ? '-' : String(r[f]))).join(' ') : `(${r.series})`;
    return [iso(Number(r.t)), who, String(r[metric])];
  });
  const head = ['t', by.length ? by.join(' ') : 'series', metric];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (l: string[]) =>
    `${l[0].padEnd(widths[0])}  ${l[1].padEnd(widths[1])}  ${l[2].padStart(widths[2])}`.trimEnd();
  const step = res.step ? `step ${res.step / 60_000} min; ` : '';
  return `${[head, ...lines].map(line).join('\n')}\n(${res.rows.length} rows; ${step}${describeParts(res)})\n`;
}

export async function runSeries(flags: SeriesFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  await runQuery({ label: 'query series', flags, io, ctx, parse: parseSeriesFlags, table: formatSeries });
}

export function registerSeries(query: Command, io: CliIO): void {
  addConfigFlags(
    addQueryOptions(
      query
        .command('series')
        .description('the metric per time step (automatic step), the top N groups split out, plus totals')
        .option(
          '--by <fields>',
          `comma-separated group fields (none: totals only): ${GROUP_FIELDS.join(', ')}`,
        )
        .option('--metric <metric>', 'bytes | packets | flows (bytes/packets are sampling-scaled)', 'bytes')
        .option('--limit <n>', 'groups with their own series (the rest is "other")', '5')
        .option('--step <duration>', 'step, e.g. 1m, 5m, 1h, 1d (default: from the range and the tiers)')
        .option('--tier <tier>', 'force one tier: raw | aggregates | daily'),
      {
        json: 'print {tier, parts, gaps, complete, step, columns, rows} as JSON',
        csv: 'print the columns (t, by fields, metric, series) as CSV',
      },
    ),
    'query',
  ).action(async (flags: SeriesFlags) => {
    await runSeries(flags, io);
  });
}
