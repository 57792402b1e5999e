/**
 * `flowlens deps diff --period A --against B` (or `--from T --to T --base-from T --base-to T`) `[--view V]
 * [--filter F] [--factor X]` and
 * `flowlens deps history --client A --server B --port N [--protocol tcp|udp|N] [--from T --to T]`: what
 * changed in the map against a base period, and one edge's days with its direction corrections
 * (src/deps/history.ts). Through a running serve when it holds the embedded store, as `deps` does.
 */
import type { Command } from 'commander';
import { cliToken, requestVia } from '../../app/query-via.js';
import { configLabels } from '../../config/load.js';
import { choosePeriods, PeriodError, type Periods } from '../../core/period.js';
import { parseEdgeFilter } from '../../deps/filter.js';
import {
  DIFF_COLUMNS,
  type DiffOptions,
  type DiffRow,
  depsDiff,
  depsHistory,
  type EdgeHistory,
  type HistoryOptions,
} from '../../deps/history.js';
import type { MapView } from '../../deps/view.js';
import { FilterError, formatFilterError } from '../../query/filter/index.js';
import { parseProtocol } from '../../query/filter/terms.js';
import type { HostLabel } from '../../storage/port.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, serveToAsk, UsageError, withStore } from '../store.js';
import { formatTable, parseTime } from './query.js';

export interface DiffFlags extends ConfigOpts {
  period?: string;
  against?: string;
  from?: string;
  to?: string;
  baseFrom?: string;
  baseTo?: string;
  view?: string;
  filter?: string;
  factor?: string;
  p95Factor?: string;
  history?: boolean;
  format?: string;
  token?: string;
}

export interface HistoryFlags extends ConfigOpts {
  client?: string;
  server?: string;
  port?: string;
  protocol?: string;
  from?: string;
  to?: string;
  json?: boolean;
  token?: string;
}

const DIFF_NAMES = {
  period: '--period',
  against: '--against',
  from: '--from',
  to: '--to',
  baseFrom: '--base-from',
  baseTo: '--base-to',
} as const;

/** The two periods: --period/--against or the four times (core/period.ts, as the API reads them). */
function diffPeriods(f: DiffFlags, now: number): Periods {
  const time = (v: string | undefined, key: keyof typeof DIFF_NAMES) =>
    v === undefined ? undefined : parseTime(v, DIFF_NAMES[key], now);
  const periodForm = f.period !== undefined || f.against !== undefined;
  try {
    return choosePeriods(
      {
        period: f.period,
        against: f.against,
        from: time(f.from, 'from'),
        // --to defaults to now with the four times; with --period it is a mix of both forms.
        to: time(f.to ?? (periodForm ? undefined : 'now'), 'to'),
        baseFrom: time(f.baseFrom, 'baseFrom'),
        baseTo: time(f.baseTo, 'baseTo'),
      },
      { now, names: DIFF_NAMES },
    );
  } catch (err) {
    if (err instanceof PeriodError) throw new UsageError(err.message);
    throw err;
  }
}

export function parseDiffFlags(f: DiffFlags, now: number): DiffOptions {
  const o: DiffOptions = { ...diffPeriods(f, now), filter: f.filter };
  if (f.history) o.history = true;
  if (f.view !== undefined) {
    if (!['host', 'group', 'service'].includes(f.view))
      throw new UsageError(`--view: expected host | group | service, got ${f.view}`);
    o.view = f.view as MapView;
  }
  const share = (v: string, flag: string, what: string) => {
    const x = v.trim() === '' ? Number.NaN : Number(v);
    if (!(x >= 0))
      throw new UsageError(`${flag}: expected a number >= 0 (0.5 = ${what} moved by 50%), got ${v}`);
    return x;
  };
  if (f.factor !== undefined) o.factor = share(f.factor, '--factor', 'bytes');
  if (f.p95Factor !== undefined) o.p95Factor = share(f.p95Factor, '--p95-factor', 'p95');
  if (f.format !== undefined && !['table', 'json', 'csv'].includes(f.format))
    throw new UsageError(`--format: expected table | json | csv, got ${f.format}`);
  return o;
}

export function parseHistoryFlags(f: HistoryFlags, now: number): HistoryOptions {
  if (!f.client) throw new UsageError('--client: required (the client address)');
  if (!f.server) throw new UsageError('--server: required (the server address)');
  const port = Number(f.port);
  if (f.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: expected 0-65535, got ${f.port ?? 'nothing'}`);
  const protocol = parseProtocol(f.protocol ?? 'tcp');
  if (protocol === null)
    throw new UsageError(`--protocol: expected tcp, udp, sctp or a number, got ${f.protocol}`);
  const from = parseTime(f.from ?? '-30d', '--from', now);
  const to = parseTime(f.to ?? 'now', '--to', now);
  if (!(to > from)) throw new UsageError('--from/--to: --from must be before --to');
  return { client: f.client, server: f.server, port, protocol, from, to };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function formatDiff(rows: readonly DiffRow[], format: string): string {
  const withHistory = rows.some((r) => r.history !== undefined);
  const out = rows.map((r) => ({
    ...Object.fromEntries(
      DIFF_COLUMNS.map((c) => [
        c,
        c === 'first_seen' || c === 'last_seen' || c === 'idle_since' ? iso(r[c] as number | null) : r[c],
      ]),
    ),
    ...(withHistory ? { history: r.history ?? [] } : {}),
  })) as Record<string, string | number | boolean | null | DiffRow['history']>[];
  if (format === 'json') return `${JSON.stringify(out)}\n`;
  // CSV and the table: the history as day:bytes pairs (CSV) or the bytes alone, days named once (table).
  const pairs = (h: unknown) =>
    (h as NonNullable<DiffRow['history']>).map((d) => `${d.day}:${d.bytes}`).join(';');
  const columns = [...DIFF_COLUMNS, ...(withHistory ? ['history'] : [])];
  if (format === 'csv')
    return `${[columns.join(','), ...out.map((r) => columns.map((c) => (r[c] === null ? '' : JSON.stringify(c === 'history' ? pairs(r[c]) : r[c]))).join(','))].join('\n')}\n`;
  const cols = [
    'change',
    'client_ip',
    'server_ip',
    'server_port',
    'ip_protocol',
    'service_name',
    'bytes',
    'bytes_base',
    'p95',
    'p95_base',
    'direction_changed',
    ...(withHistory ? ['history'] : []),
  ];
  const days = rows[0]?.history ?? [];
  const table = formatTable({
    tier: 'daily',
    columns: cols,
    rows: out.map((r) => ({
      ...r,
      direction_changed: r.direction_changed ? 'yes' : '',
      history: withHistory
        ? (r.history as NonNullable<DiffRow['history']>).map((d) => d.bytes).join(' ')
        : '',
    })),
  }).replace(/; daily tier\)\n$/, '; edges, period against base)\n');
  return withHistory && days.length > 0
    ? `${table}history: bytes per day, ${days[0].day} to ${days[days.length - 1].day}\n`
    : table;
}

export function formatHistory(h: EdgeHistory): string {
  if (h.id === null) return 'no such edge (in either direction)\n';
  const days = formatTable({
    tier: 'daily',
    columns: ['day', 'bytes', 'packets', 'flows'],
    rows: h.days,
  }).replace(/; daily tier\)\n$/, '; days)\n');
  const changes = h.changes.map((c) => `${c.at}  ${c.field}: ${c.from}  =>  ${c.to}\n`).join('');
  return `edge ${h.id}\n${days}${changes === '' ? 'no direction corrections recorded\n' : `direction corrections:\n${changes}`}`;
}

async function run<T>(o: {
  command: string;
  flags: ConfigOpts & { token?: string };
  io: CliIO;
  ctx: CommandContext;
  parse: () => T;
  check?: (p: T) => boolean;
  via: (base: string, p: T, token?: string) => Promise<string>;
  /** Reads with the store and the configuration's labels (config/labels.ts). */
  direct: (
    store: Parameters<Parameters<typeof withStore>[1]>[0],
    p: T,
    labels: readonly HostLabel[],
  ) => Promise<string>;
}): Promise<void> {
  const config = configOrExit('deps', o.flags, o.io, { env: o.ctx.env, label: o.command });
  if (!config) return;
  let p: T;
  try {
    p = o.parse();
  } catch (err) {
    o.io.stderr.write(`flowlens ${o.command}: ${(err as Error).message}\n`);
    o.io.setExitCode(2);
    return;
  }
  if (o.check && !o.check(p)) return;
  const via = serveToAsk(config);
  if (via) {
    try {
      o.io.stdout.write(await o.via(via, p, cliToken(o.flags.token, o.ctx.env)));
    } catch (err) {
      o.io.stderr.write(`flowlens ${o.command}: ${(err as Error).message}\n`);
      o.io.setExitCode(1);
    }
    return;
  }
  await withStore({ command: o.command, config, io: o.io, access: 'read', ctx: o.ctx }, async (store) => {
    o.io.stdout.write(await o.direct(store, p, configLabels(config.deps)));
  });
}

export function runDiff(flags: DiffFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const format = flags.format ?? 'table';
  return run({
    command: 'deps diff',
    flags,
    io,
    ctx,
    parse: () => parseDiffFlags(flags, Date.now()),
    check: (p) => filterOk('deps diff', p.filter, io),
    via: async (base, p, token) =>
      formatDiff(
        (
          await requestVia<{ rows: DiffRow[] }>({
            base,
            method: 'POST',
            path: '/api/v1/deps/diff',
            body: p,
            token,
          })
        ).rows,
        format,
      ),
    direct: async (store, p, labels) =>
      formatDiff(await depsDiff(store, { ...p, configLabels: labels }), format),
  });
}

export function runHistory(flags: HistoryFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const show = (h: EdgeHistory) => (flags.json ? `${JSON.stringify(h)}\n` : formatHistory(h));
  return run({
    command: 'deps history',
    flags,
    io,
    ctx,
    parse: () => parseHistoryFlags(flags, Date.now()),
    via: async (base, p, token) => {
      const q = new URLSearchParams({
        ...p,
        port: String(p.port),
        protocol: String(p.protocol),
        from: String(p.from),
        to: String(p.to),
      });
      return show(
        await requestVia<EdgeHistory>({ base, method: 'GET', path: `/api/v1/deps/history?${q}`, token }),
      );
    },
    direct: async (store, p) => show(await depsHistory(store, p)),
  });
}

/** Checks a role filter; prints it with a caret and sets exit code 2 when bad. */
export function filterOk(command: string, filter: string | undefined, io: CliIO): boolean {
  if (filter === undefined) return true;
  try {
    parseEdgeFilter(filter);
    return true;
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    io.stderr.write(`flowlens ${command}: --filter:\n${formatFilterError(filter, err)}`);
    io.setExitCode(2);
    return false;
  }
}

export function registerDepsChange(deps: Command, io: CliIO): void {
  addConfigFlags(
    deps
      .command('diff')
      .description(
        'edges new, vanished, grown or shrunk (bytes, else p95, moved > factor), direction changed, or the same against a base period',
      )
      .option(
        '--period <period>',
        'the period: FROM..TO (e.g. 2026-11-01..2026-11-08, -14d..-7d) or a duration D (the last D)',
      )
      .option('--against <period>', 'the base: FROM..TO or a duration D (the D before the period)')
      .option('--from <time>', 'the period: start (instead of --period)')
      .option('--to <time>', 'the period: end (default now)')
      .option('--base-from <time>', 'the base period: start (instead of --against)')
      .option('--base-to <time>', 'the base period: end')
      .option('--view <view>', 'host | group | service', 'host')
      .option('--filter <filter>', 'the role filter of `flowlens deps`')
      .option('--factor <x>', 'bytes moved by more than this share count as changed', '0.5')
      .option(
        '--p95-factor <x>',
        'p95 of 5-minute bytes moved by more than this share count as changed (default: --factor)',
      )
      .option('--history', "each edge's daily bytes over the days of both periods (daily tier)")
      .option('--format <format>', 'table | json | csv', 'table')
      .option('--token <token>', 'API token for a running serve (prefer FLOWLENS_TOKEN)'),
    'deps',
  ).action((flags: DiffFlags) => runDiff(flags, io));
  addConfigFlags(
    deps
      .command('history')
      .description("one edge's daily traffic (daily tier) and its recorded direction corrections")
      .requiredOption('--client <addr>', 'the client address')
      .requiredOption('--server <addr>', 'the server address')
      .requiredOption('--port <n>', 'the server port')
      .option('--protocol <p>', 'tcp | udp | sctp | a number', 'tcp')
      .option('--from <time>', 'start', '-30d')
      .option('--to <time>', 'end', 'now')
      .option('--json', 'JSON output')
      .option('--token <token>', 'API token for a running serve (prefer FLOWLENS_TOKEN)'),
    'deps',
  ).action((flags: HistoryFlags) => runHistory(flags, io));
}
