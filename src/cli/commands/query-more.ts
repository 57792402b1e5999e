/**
 * `flowlens query scans`, `flowlens query example N` (over the query module, through a running serve
 * when it holds the store, like the other query commands) and `flowlens query exporters` (exporter health
 * lives in the collector, so only a running serve answers it: GET /api/v1/exporters).
 */
import type { Command } from 'commander';
import { readServeLock } from '../../app/lock.js';
import { cliToken, requestVia } from '../../app/query-via.js';
import type { ExporterHealth } from '../../normalize/health.js';
import type { QueryResult, ScanQuery } from '../../query/ast.js';
import { EXAMPLES, exampleQuery } from '../../query/examples.js';
import { parseFilter } from '../../query/filter/index.js';
import { addConfigFlags, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, UsageError } from '../store.js';
import {
  addQueryOptions,
  formatTable,
  parseFilterFlag,
  parseRange,
  parseTime,
  type QueryFlags,
  runQuery,
  validated,
} from './query-common.js';

export interface ScanFlags extends QueryFlags {
  from?: string;
  to?: string;
  minTargets?: string;
  minSampledTargets?: string;
  limit?: string;
}

const int = (v: string | undefined, flag: string, dflt: number) => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${flag}: expected an integer, got ${JSON.stringify(v)}`);
  return n;
};

export function parseScanFlags(
  flags: ScanFlags,
  now: number,
  thresholds: { minTargets: number; minSampledTargets: number },
): ScanQuery {
  return validated({
    kind: 'scans',
    ...parseRange(flags, now),
    minTargets: int(flags.minTargets, '--min-targets', thresholds.minTargets),
    minSampledTargets: int(flags.minSampledTargets, '--min-sampled-targets', thresholds.minSampledTargets),
    limit: int(flags.limit, '--limit', 100),
    ...parseFilterFlag(flags.filter),
  }) as ScanQuery;
}

const iso = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : String(v));

export function formatScans(res: QueryResult): string {
  const rows = res.rows.map((r) => ({ ...r, first_seen: iso(r.first_seen), last_seen: iso(r.last_seen) }));
  return formatTable({ ...res, rows });
}

export async function runScans(flags: ScanFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const config = configOrExit('query', flags, io, { env: ctx.env, label: 'query scans' });
  if (!config) return;
  await runQuery({
    label: 'query scans',
    flags,
    io,
    ctx,
    parse: (f, now) => parseScanFlags(f, now, config.scans),
    table: formatScans,
  });
}

export interface ExampleFlags extends QueryFlags {
  from?: string;
  to?: string;
}

export async function runExample(
  n: string,
  flags: ExampleFlags,
  io: CliIO,
  ctx: CommandContext = {},
): Promise<void> {
  await runQuery({
    label: `query example ${n}`,
    flags,
    io,
    ctx,
    parse: (f, now) => {
      const ex = exampleQuery(Number(n));
      if (!ex || !/^\d+$/.test(n))
        throw new UsageError(`N: expected an example number 1-${EXAMPLES.length}, got ${JSON.stringify(n)}`);
      const to = parseTime(f.to ?? 'now', '--to', now);
      const from = f.from === undefined ? to - ex.rangeMs : parseTime(f.from, '--from', now);
      if (!(to > from)) throw new UsageError('--from/--to: --from must be before --to');
      const filter = f.filter?.trim() ? f.filter : ex.filter;
      parseFilter(filter);
      return ex.build({ from, to, filter });
    },
    table: (res) => (res.columns.includes('first_seen') ? formatScans(res) : formatTable(res)),
  });
}

export interface ExporterFlags extends QueryFlags {}

export function formatExporters(list: ExporterHealth[] | { lastSeen: string | null }[]): string {
  const rows = (list as (Omit<ExporterHealth, 'lastSeen'> & { lastSeen: string | null })[]).map((e) => ({
    exporter: e.exporter,
    protocol: e.protocol,
    domain: e.observationDomain,
    flows_per_s: Math.round(e.flowsPerSecond * 10) / 10,
    flows: e.flows,
    lost: e.sequence.lost,
    errors: e.decodeErrors,
    templates: e.templates.map((t) => `${t.id}(${t.ageSeconds ?? '?'}s)`).join(' ') || '-',
    sampling: e.sampling.map((s) => `1:${s.rate} ${s.source}`).join(', ') || '-',
    last_seen: e.lastSeen,
  }));
  const columns = rows.length ? Object.keys(rows[0]) : ['exporter'];
  return formatTable({ tier: 'raw', columns, rows }).replace(/\n\(.*\)\n$/, `\n(${rows.length} exporters)\n`);
}

export async function runExporters(flags: ExporterFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const config = configOrExit('query', flags, io, { env: ctx.env, label: 'query exporters' });
  if (!config) return;
  const via = flags.via ?? readServeLock(config.data)?.http;
  if (!via) {
    io.stderr.write(
      'flowlens query exporters: Collector unavailable: no running flowlens serve holds --data (give --via URL); exporter health lives in the collector, not the store\n',
    );
    io.setExitCode(1);
    return;
  }
  try {
    const r = await requestVia<{
      exporters: (Omit<ExporterHealth, 'lastSeen'> & { lastSeen: string | null })[];
    }>({ base: via, method: 'GET', path: '/api/v1/exporters', token: cliToken(flags.token, ctx.env) });
    if (flags.json) io.stdout.write(`${JSON.stringify(r)}\n`);
    else io.stdout.write(formatExporters(r.exporters));
  } catch (err) {
    io.stderr.write(`flowlens query exporters: ${(err as Error).message}\n`);
    io.setExitCode(1);
  }
}

export function registerMoreQueries(query: Command, io: CliIO): void {
  addConfigFlags(
    addQueryOptions(
      query
        .command('scans')
        .description(
          'scan and fan-out detection: sources reaching many (dst_ip, dst_port) targets, sampling accounted for',
        )
        .option(
          '--min-targets <n>',
          'estimated distinct targets to report (default: config scans.minTargets)',
        )
        .option(
          '--min-sampled-targets <n>',
          'distinct targets actually seen (default: config scans.minSampledTargets)',
        )
        .option('--limit <n>', 'sources', '100'),
      { json: 'print the result as JSON', csv: 'print the columns and rows as CSV' },
    ),
    'query',
  ).action(async (flags: ScanFlags) => {
    await runScans(flags, io);
  });
  addConfigFlags(
    addQueryOptions(
      query
        .command('example')
        .argument(
          '<n>',
          `example 1-${EXAMPLES.length}: ${EXAMPLES.map((e) => `${e.n} ${e.title}`).join('; ')}`,
        )
        .description("one of the design's six example queries (--filter replaces its filter)"),
      { json: 'print the result as JSON', csv: 'print the columns and rows as CSV' },
    ),
    'query',
  ).action(async (n: string, flags: ExampleFlags, cmd: Command) => {
    // --from defaults to the example's own range, not the last hour.
    const from = cmd.getOptionValueSource('from') === 'default' ? undefined : flags.from;
    await runExample(n, { ...flags, from }, io);
  });
  addConfigFlags(
    query
      .command('exporters')
      .description('exporter health from the running serve: flows/s, sequence loss, templates, sampling')
      .option('--json', 'print {exporters: [...]} as JSON')
      .option('--via <url>', 'the running flowlens serve (automatic when serve holds --data)')
      .option('--token <token>', 'API token (prefer FLOWLENS_TOKEN)'),
    'query',
  ).action(async (flags: ExporterFlags) => {
    await runExporters(flags, io);
  });
}
