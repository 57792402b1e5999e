/**
 * `flowlens query top --by FIELD[,FIELD...] [--metric bytes|packets|flows] [--from T --to T] [--limit N]
 * [--filter EXPR] [--tier raw|aggregates|daily] [--json]`. Every option is validated (zod) into a query
 * AST, the filter parsed by the filter language (query/filter); nothing the user typed reaches SQL except
 * as a bound value.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { readServeLock } from '../../app/lock.js';
import { queryVia } from '../../app/query-via.js';
import { parseDuration } from '../../core/duration.js';
import { GROUP_FIELDS, type GroupField, type QueryResult, type TopQuery } from '../../query/ast.js';
import { assertFlowFilter, FilterError, formatFilterError, parseFilter } from '../../query/filter/index.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, UsageError, withStore } from '../store.js';

/** Read-only: the store flags and --config, no retention (the store keeps the retention in force). */
export interface TopFlags extends ConfigOpts {
  by: string;
  metric?: string;
  from?: string;
  to?: string;
  limit?: string;
  tier?: string;
  filter?: string;
  via?: string;
  json?: boolean;
}

/**
 * Time: ISO-8601 (2026-01-31T10:00:00Z, 2026-01-31), `now`, or relative to now: -90m, -1h, -7d, -2w.
 */
export function parseTime(text: string, flag: string, now: number): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (t.startsWith('-')) return now - parseDuration(t.slice(1), flag);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(/[T ]\d{2}:\d{2}/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t}Z` : t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `${flag}: expected an ISO-8601 time (UTC unless an offset is given), now, or -1h/-7d, got ${JSON.stringify(text)}`,
  );
}

const fieldSchema = z.enum(GROUP_FIELDS as [GroupField, ...GroupField[]]);

const topSchema = z.object({
  by: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    )
    .pipe(z.array(fieldSchema).min(1, 'at least one field')),
  metric: z.enum(['bytes', 'packets', 'flows']).default('bytes'),
  limit: z.coerce.number().int().min(1).max(100_000).default(10),
  tier: z.enum(['raw', 'aggregates', 'daily']).optional(),
});

/** Flags -> TopQuery; throws UsageError naming the offending flag. */
export function parseTopFlags(flags: TopFlags, now: number): TopQuery {
  const unknown = String(flags.by ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0 && !(GROUP_FIELDS as readonly string[]).includes(x));
  if (unknown.length > 0) {
    throw new UsageError(
      `--by: unknown field ${JSON.stringify(unknown[0])} (fields: ${GROUP_FIELDS.join(', ')})`,
    );
  }
  const r = topSchema.safeParse({ by: flags.by, metric: flags.metric, limit: flags.limit, tier: flags.tier });
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = `--${String(issue.path[0] ?? 'by')}`;
    const allowed = issue.path[0] === 'by' ? ` (fields: ${GROUP_FIELDS.join(', ')})` : '';
    throw new UsageError(`${flag}: ${issue.message}${allowed}`);
  }
  const from = parseTime(flags.from ?? '-1h', '--from', now);
  const to = parseTime(flags.to ?? 'now', '--to', now);
  if (!(to > from)) throw new UsageError(`--from/--to: --from must be before --to`);
  // FilterError (with its position) passes through: runTop shows it with a caret under the text.
  const filter = flags.filter?.trim() ? parseFilter(flags.filter) : undefined;
  if (filter) assertFlowFilter(filter);
  return {
    kind: 'top',
    by: r.data.by,
    metric: r.data.metric,
    limit: r.data.limit,
    from,
    to,
    tier: r.data.tier,
    ...(filter ? { filter } : {}),
  };
}

export function formatTable(res: QueryResult): string {
  const cells = [
    res.columns,
    ...res.rows.map((r) => res.columns.map((c) => (r[c] === null ? '-' : String(r[c])))),
  ];
  const widths = res.columns.map((_c, i) => Math.max(...cells.map((row) => row[i].length)));
  const numeric = res.columns.map((c) => res.rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const line = (row: string[]) =>
    row
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${cells.map(line).join('\n')}\n(${res.rows.length} rows; ${describeParts(res)})\n`;
}

const when = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().replace(':00.000Z', 'Z') : '…');

/** One line: which tier answered which span, newest first. */
export function describeParts(res: QueryResult): string {
  const parts = res.parts ?? [{ tier: res.tier, from: Number.NaN, to: Number.NaN }];
  if (parts.length === 0) return 'no tier holds this range';
  return parts
    .map((p) => (Number.isNaN(p.from) ? `${p.tier} tier` : `${p.tier} ${when(p.from)}..${when(p.to)}`))
    .join(', ');
}

/** Spans not answered (or answered approximately), one warning line each, for stderr. */
export function describeGaps(res: QueryResult): string {
  return (res.gaps ?? [])
    .map((g) => `${g.reason === 'approx' ? 'note' : 'warning: not in this answer'}: ${g.message}\n`)
    .join('');
}

export async function runTop(flags: TopFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const config = configOrExit('query', flags, io, { env: ctx.env, label: 'query top' });
  if (!config) return;
  let q: TopQuery;
  try {
    q = parseTopFlags(flags, Date.now());
  } catch (err) {
    if (err instanceof FilterError)
      io.stderr.write(`flowlens query top: --filter:\n${formatFilterError(flags.filter ?? '', err)}`);
    else io.stderr.write(`flowlens query top: ${(err as Error).message}\n`);
    io.setExitCode(2);
    return;
  }
  // While serve holds the embedded store, ask it over HTTP (explicit --via, or found through its lock file).
  const via = flags.via ?? (config.store === undefined ? readServeLock(config.data)?.http : undefined);
  if (via) {
    try {
      const res = await queryVia(via, q);
      io.stdout.write(flags.json ? `${JSON.stringify(res)}\n` : formatTable(res));
      if (!flags.json) io.stderr.write(describeGaps(res));
    } catch (err) {
      io.stderr.write(`flowlens query top: ${(err as Error).message}\n`);
      io.setExitCode(1);
    }
    return;
  }
  // A read: never migrates nor touches retention, so a role granted only flowlens_reporting can run it.
  await withStore({ command: 'query top', config, io, access: 'read', ctx }, async (store) => {
    const res = await store.query(q);
    io.stdout.write(flags.json ? `${JSON.stringify(res)}\n` : formatTable(res));
    if (!flags.json) io.stderr.write(describeGaps(res));
  });
}

export function registerQuery(program: Command, io: CliIO): void {
  const query = program.command('query').description('query stored flows');
  addConfigFlags(
    query
      .command('top')
      .description(
        'top-N groups by traffic, answered across the tiers (raw, 5-minute aggregates, daily) by what each holds',
      )
      .requiredOption('--by <fields>', `comma-separated group fields: ${GROUP_FIELDS.join(', ')}`)
      .option('--metric <metric>', 'bytes | packets | flows (bytes/packets are sampling-scaled)', 'bytes')
      .option('--from <time>', 'start: ISO-8601 or relative (-1h, -7d)', '-1h')
      .option('--to <time>', 'end: ISO-8601, relative or now', 'now')
      .option('--limit <n>', 'number of groups', '10')
      .option(
        '--filter <expr>',
        'filter language, e.g. "src net 10.1.0.0/16 and dst port 443 and not flags A" (README "Filter language")',
      )
      .option('--tier <tier>', 'force one tier: raw | aggregates | daily (the answer names what it skipped)')
      .option('--json', 'print {tier, parts, gaps, complete, columns, rows} as JSON')
      .option('--via <url>', 'ask a running flowlens serve over HTTP (automatic when serve holds --data)'),
    'query',
  ).action(async (flags: TopFlags) => {
    await runTop(flags, io);
  });
}
