/**
 * What the `query` commands share: times from flags, the filter flag, running a query through a running
 * serve or the store, and the outputs (a table for people with the parts line, --json, --csv).
 */

import type { Command } from 'commander';
import { cliToken, queryVia } from '../../app/query-via.js';
import { parseDuration } from '../../core/duration.js';
import { parseTimeSpec } from '../../core/time.js';
import { type Filter, GROUP_FIELDS, type GroupBy, type Query, type QueryResult } from '../../query/ast.js';
import { assertFlowFilter, FilterError, formatFilterError, parseFilter } from '../../query/filter/index.js';
import { groupBySchema, parseQuery } from '../../query/validate.js';
import { type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, serveToAsk, UsageError, withStore } from '../store.js';

/**
 * Time: ISO-8601 (2026-01-31T10:00:00Z, 2026-01-31), `now`, or relative to now: -90m, -1h, -7d, -2w.
 */
export function parseTime(text: string, flag: string, now: number): number {
  const t = text.trim();
  // A bad relative time gets the duration's own message, naming the flag.
  if (t.startsWith('-')) return now - parseDuration(t.slice(1), flag);
  const ms = parseTimeSpec(t, now);
  if (ms !== null) return ms;
  throw new UsageError(
    `${flag}: expected an ISO-8601 time (UTC unless an offset is given), now, or -1h/-7d, got ${JSON.stringify(text)}`,
  );
}

/** --from/--to (defaults: the last hour); UsageError naming the flag. */
export function parseRange(flags: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const from = parseTime(flags.from ?? '-1h', '--from', now);
  const to = parseTime(flags.to ?? 'now', '--to', now);
  if (!(to > from)) throw new UsageError(`--from/--to: --from must be before --to`);
  return { from, to };
}

/** A query checked by the API's schema; its first problem as the flag it came from. */
export function validated(input: Record<string, unknown>): Query {
  const r = parseQuery(input);
  if (r.ok) return r.query;
  throw new UsageError(`--${r.error.replace(/^([a-z_]+)[.\d]*:/, '$1:')}`);
}

/** --by: comma-separated fields or ext.KEY[.KEY...] paths; UsageError naming the first unknown one. */
export function parseByFlag(text: string | undefined): GroupBy[] {
  const by = (text ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  const bad = by.find((f) => !groupBySchema.safeParse(f).success);
  if (bad !== undefined)
    throw new UsageError(
      `--by: unknown field ${JSON.stringify(bad)} (fields: ${GROUP_FIELDS.join(', ')}, or ext.KEY[.KEY...])`,
    );
  return by as GroupBy[];
}

/** --filter in the filter language; FilterError (with its position) passes through for the caret. */
export function parseFilterFlag(text: string | undefined): { filter?: Filter } {
  const filter = text?.trim() ? parseFilter(text) : undefined;
  if (filter) assertFlowFilter(filter);
  return filter ? { filter } : {};
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

/** RFC 4180 CSV of the result's columns (nulls empty), a header line first. */
export function formatCsv(res: QueryResult): string {
  const cell = (v: string | number | null | undefined) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[res.columns.join(','), ...res.rows.map((r) => res.columns.map((c) => cell(r[c])).join(','))].join('\n')}\n`;
}

export interface QueryFlags extends ConfigOpts {
  filter?: string;
  via?: string;
  /** API token for a running serve (else FLOWLENS_TOKEN). */
  token?: string;
  json?: boolean;
  csv?: boolean;
}

export interface RunQueryOptions<F extends QueryFlags> {
  /** e.g. 'query series', for messages. */
  label: string;
  flags: F;
  io: CliIO;
  ctx?: CommandContext;
  /** Flags -> query; UsageError or FilterError for a flag the user got wrong. */
  parse(flags: F, now: number): Query;
  /** The table for people (stdout); --json/--csv print the result itself. */
  table(res: QueryResult): string;
  /** Extra lines for stderr after the table (e.g. the next page's cursor). */
  notes?(res: QueryResult): string;
}

/** Parse, run through a running serve when it holds the store (or the store itself), print. */
export async function runQuery<F extends QueryFlags>(o: RunQueryOptions<F>): Promise<void> {
  const { flags, io, label } = o;
  const config = configOrExit('query', flags, io, { env: o.ctx?.env, label });
  if (!config) return;
  let q: Query;
  try {
    q = o.parse(flags, Date.now());
  } catch (err) {
    if (err instanceof FilterError)
      io.stderr.write(`flowlens ${label}: --filter:\n${formatFilterError(flags.filter ?? '', err)}`);
    else io.stderr.write(`flowlens ${label}: ${(err as Error).message}\n`);
    io.setExitCode(2);
    return;
  }
  const print = (res: QueryResult) => {
    if (flags.json) io.stdout.write(`${JSON.stringify(res)}\n`);
    else if (flags.csv) io.stdout.write(formatCsv(res));
    else {
      io.stdout.write(o.table(res));
      io.stderr.write(describeGaps(res) + (o.notes?.(res) ?? ''));
    }
  };
  const via = serveToAsk(config, flags.via);
  if (via) {
    try {
      print(await queryVia(via, q, cliToken(flags.token, o.ctx?.env)));
    } catch (err) {
      io.stderr.write(`flowlens ${label}: ${(err as Error).message}\n`);
      io.setExitCode(1);
    }
    return;
  }
  // A read: never migrates nor touches retention, so a role granted only flowlens_reporting can run it.
  await withStore({ command: label, config, io, access: 'read', ctx: o.ctx ?? {} }, async (store) => {
    print(await store.query(q));
  });
}

/**
 * The options every `query` subcommand shares: range, filter, output and --via. The kind's own options
 * are added by its command; `output` says what --json and --csv print for it.
 */
export function addQueryOptions(cmd: Command, output: { json: string; csv: string }): Command {
  return cmd
    .option('--from <time>', 'start: ISO-8601 or relative (-1h, -7d)', '-1h')
    .option('--to <time>', 'end: ISO-8601, relative or now', 'now')
    .option(
      '--filter <expr>',
      'filter language, e.g. "src net 10.1.0.0/16 and dst port 443" (README "Filter language")',
    )
    .option('--json', output.json)
    .option('--csv', output.csv)
    .option('--via <url>', 'ask a running flowlens serve over HTTP (automatic when serve holds --data)')
    .option(
      '--token <token>',
      'API token for a running serve (prefer the FLOWLENS_TOKEN variable: flags show in ps)',
    );
}
