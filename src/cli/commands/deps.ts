/**
 * `flowlens deps [--host ADDR | --service NAME] [--upstream | --downstream] [--depth N] [--from T --to T]
 * [--min-bytes N] [--format table|json|csv|dot]`: the dependency map from the stored edges and their daily
 * stats (src/deps/map.ts, the same function the HTTP API will call). A read: never migrates.
 */
import type { Command } from 'commander';
import { cliToken, depsVia } from '../../app/query-via.js';
import { configLabels } from '../../config/load.js';
import { type DepsMapRow, toDot } from '../../deps/map.js';
import {
  type DepsViewOptions,
  depsView,
  type LabelledRow,
  type MapView,
  VIEW_COLUMNS,
} from '../../deps/view.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, serveToAsk, UsageError, withStore } from '../store.js';
import { filterOk, registerDepsChange } from './deps-change.js';
import { formatTable, parseTime } from './query.js';

export interface DepsFlags extends ConfigOpts {
  host?: string;
  group?: string;
  service?: string;
  upstream?: boolean;
  downstream?: boolean;
  depth?: string;
  from?: string;
  to?: string;
  minBytes?: string;
  format?: string;
  token?: string;
  view?: string;
  filter?: string;
}

const FORMATS = ['table', 'json', 'csv', 'dot'] as const;
type Format = (typeof FORMATS)[number];

const VIEWS: readonly MapView[] = ['host', 'group', 'service'];

export function parseDepsFlags(
  f: DepsFlags,
  now: number,
): { options: Omit<DepsViewOptions, 'labels' | 'stored'>; format: Format } {
  if ([f.host, f.service, f.group].filter((v) => v !== undefined).length > 1)
    throw new UsageError('--host/--service/--group: give one of them');
  const view = (f.view ?? 'host') as MapView;
  if (!VIEWS.includes(view)) throw new UsageError(`--view: expected ${VIEWS.join(' | ')}, got ${f.view}`);
  if (f.upstream && f.downstream)
    throw new UsageError('--upstream/--downstream: give one of them (neither: both ways)');
  const format = (f.format ?? 'table') as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(`--format: expected ${FORMATS.join(' | ')}, got ${f.format}`);
  const int = (v: string | undefined, flag: string, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min)
      throw new UsageError(`${flag}: expected an integer >= ${min}, got ${v}`);
    return n;
  };
  const from = parseTime(f.from ?? '-7d', '--from', now);
  const to = parseTime(f.to ?? 'now', '--to', now);
  if (!(to > from)) throw new UsageError('--from/--to: --from must be before --to');
  return {
    format,
    options: {
      from,
      to,
      host: f.host,
      service: f.service,
      group: f.group,
      view,
      filter: f.filter,
      direction: f.upstream ? 'upstream' : f.downstream ? 'downstream' : 'both',
      depth: int(f.depth, '--depth', 1, 1),
      minBytes: int(f.minBytes, '--min-bytes', 0, 0),
    },
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cells = (r: DepsMapRow | LabelledRow) =>
  Object.fromEntries(
    VIEW_COLUMNS.map((c) => [
      c,
      c === 'first_seen' || c === 'last_seen' || c === 'idle_since'
        ? iso(r[c])
        : ((r as Partial<LabelledRow>)[c] ?? null),
    ]),
  ) as Record<string, string | number | null>;

function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of the host view (labels null when absent: rows of a plain depsMap print too). */
export function formatDeps(rows: readonly (DepsMapRow | LabelledRow)[], format: Format): string {
  if (format === 'dot') return toDot(rows);
  const out = rows.map(cells);
  if (format === 'json') return `${JSON.stringify(out)}\n`;
  if (format === 'csv')
    return `${[VIEW_COLUMNS.join(','), ...out.map((r) => VIEW_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n')}\n`;
  return formatTable({ tier: 'daily', columns: [...VIEW_COLUMNS], rows: out }).replace(
    /; daily tier\)\n$/,
    '; edges with daily stats)\n',
  );
}

export async function runDeps(flags: DepsFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  const config = configOrExit('deps', flags, io, { env: ctx.env });
  if (!config) return;
  let parsed: ReturnType<typeof parseDepsFlags>;
  try {
    parsed = parseDepsFlags(flags, Date.now());
  } catch (err) {
    io.stderr.write(`flowlens deps: ${(err as Error).message}\n`);
    io.setExitCode(2);
    return;
  }
  // A bad filter is the user's input: shown with a caret, before any store is opened.
  if (!filterOk('deps', parsed.options.filter, io)) return;
  // While serve holds the embedded store, ask it over HTTP (as `query` does).
  const via = serveToAsk(config);
  if (via) {
    try {
      io.stdout.write(
        formatDeps((await depsVia(via, parsed.options, cliToken(flags.token, ctx.env))).rows, parsed.format),
      );
    } catch (err) {
      io.stderr.write(`flowlens deps: ${(err as Error).message}\n`);
      io.setExitCode(1);
    }
    return;
  }
  await withStore({ command: 'deps', config, io, access: 'read', ctx }, async (store) => {
    io.stdout.write(
      formatDeps(
        (await depsView(store, { ...parsed.options, configLabels: configLabels(config.deps) })).rows,
        parsed.format,
      ),
    );
  });
}

export function registerDeps(program: Command, io: CliIO): void {
  const deps = addConfigFlags(
    program
      .command('deps')
      .description(
        'the service dependency map: edges client -> server:port with traffic, rule and confidence',
      )
      .option('--host <addr>', 'edges around this address')
      .option('--group <name>', 'edges of a host group (labels)')
      .option('--view <view>', 'host | group | service', 'host')
      .option('--filter <filter>', '[client|server] host/net/group/name X, [server] port N; and/or/not')
      .option('--service <name>', 'edges of this service (IANA or configured name, or a port number)')
      .option('--upstream', 'what the host/service depends on')
      .option('--downstream', 'who depends on the host/service')
      .option('--depth <n>', 'hops from the host/service', '1')
      .option('--from <time>', 'start: ISO-8601 or relative (-7d)', '-7d')
      .option('--to <time>', 'end: ISO-8601, relative or now', 'now')
      .option('--min-bytes <n>', 'leave out edges with fewer bytes over the range', '0')
      .option('--format <format>', 'table | json | csv | dot (Graphviz)', 'table')
      .option('--token <token>', 'API token for a running serve (prefer the FLOWLENS_TOKEN variable)'),
    'deps',
  ).action(async (flags: DepsFlags) => {
    await runDeps(flags, io);
  });
  // deps' own --from/--to must not swallow the subcommands' (diff and history have their own): options
  // are read per command level, which commander allows only when every level above does the same (the
  // root has no options of its own besides --help, so nothing else changes).
  program.enablePositionalOptions();
  deps.enablePositionalOptions();
  registerDepsChange(deps, io);
}
