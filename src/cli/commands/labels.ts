/**
 * `flowlens labels import FILE` (CSV or YAML, replaces every label) and `labels list [--json]`: host names,
 * groups and services with validity (src/deps/labels.ts). While serve holds the embedded store they go
 * through its API (PUT needs an operator token); otherwise they open the store.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { cliToken, requestVia } from '../../app/query-via.js';
import { configLabels } from '../../config/load.js';
import { type LabelEntry, parseLabelFile, readLabels, toLabelEntry } from '../../core/label-file.js';
import type { HostLabel } from '../../storage/port.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, serveToAsk, withStore } from '../store.js';
import { formatTable } from './query.js';

export interface LabelsFlags extends ConfigOpts {
  via?: string;
  token?: string;
  json?: boolean;
}

type Action = { kind: 'import'; file: string } | { kind: 'list' };

type Listed = ReturnType<typeof toLabelEntry> & { source?: 'config' | 'store' };

export function formatLabels(labels: readonly Listed[]): string {
  const columns = ['source', 'cidr', 'name', 'group', 'service', 'port', 'valid_from', 'valid_to'];
  const rows = labels.map((l) => ({
    source: l.source ?? 'store',
    cidr: l.cidr,
    name: l.name || '-',
    group: l.group || '-',
    service: l.service ?? '-',
    port: l.port ?? '-',
    valid_from: l.validFrom ?? '-',
    valid_to: l.validTo ?? '-',
  }));
  return formatTable({ tier: 'raw', columns, rows }).replace(/; .*\)\n$/, ')\n');
}

export async function runLabels(action: Action, flags: LabelsFlags, io: CliIO, ctx: CommandContext = {}) {
  const label = `labels ${action.kind}`;
  const config = configOrExit('deps', flags, io, { env: ctx.env, label });
  if (!config) return;
  const fail = (message: string, code = 1) => {
    io.stderr.write(`flowlens ${label}: ${message}\n`);
    io.setExitCode(code);
  };
  let parsed: HostLabel[] = [];
  if (action.kind === 'import') {
    try {
      parsed = parseLabelFile(action.file, readFileSync(action.file, 'utf8'));
    } catch (err) {
      return fail(`${action.file}: ${(err as Error).message.replace(/^[^:]*ENOENT[^,]*, /, '')}`, 2);
    }
  }
  const show = (list: Listed[]) =>
    io.stdout.write(flags.json ? `${JSON.stringify(list)}\n` : formatLabels(list));
  const imported = (n: number) =>
    io.stderr.write(
      `${n} label(s) imported (every earlier stored label replaced; the configuration's stay)\n`,
    );

  const via = serveToAsk(config, flags.via);
  if (via) {
    const token = cliToken(flags.token, ctx.env);
    try {
      if (action.kind === 'import') {
        const labels: LabelEntry[] = parsed.map(toLabelEntry);
        const r = await requestVia<{ count: number }>({
          base: via,
          method: 'PUT',
          path: '/api/v1/labels',
          body: { labels },
          token,
        });
        imported(r.count);
      } else
        show(
          (
            await requestVia<{ labels: Listed[] }>({
              base: via,
              method: 'GET',
              path: '/api/v1/labels',
              token,
            })
          ).labels,
        );
    } catch (err) {
      fail((err as Error).message);
    }
    return;
  }
  await withStore(
    { command: label, config, io, access: action.kind === 'import' ? 'write' : 'read', ctx },
    async (store) => {
      if (action.kind === 'import') {
        await store.replaceLabels(parsed);
        imported(parsed.length);
      } else
        show(
          (await readLabels(store, configLabels(config.deps))).map((l) => ({
            ...toLabelEntry(l),
            source: l.source,
          })),
        );
    },
  );
}

export function registerLabels(program: Command, io: CliIO): void {
  const labels = program
    .command('labels')
    .description('host names, groups and services for addresses/prefixes, with validity windows');
  const common = (cmd: Command) =>
    addConfigFlags(cmd, 'deps')
      .option('--via <url>', 'a running flowlens serve (automatic when serve holds --data)')
      .option('--token <token>', 'API token for serve (prefer the FLOWLENS_TOKEN variable)');
  common(
    labels
      .command('import')
      .description(
        'replace every label with a CSV (header: cidr,name,group,service,port,valid_from,valid_to) or YAML file',
      )
      .argument('<file>', 'a .csv, .yaml or .yml file'),
  ).action((file: string, flags: LabelsFlags) => runLabels({ kind: 'import', file }, flags, io));
  common(
    labels
      .command('list')
      .description("every label: the configuration's (deps.labels, deps.labelsFile), then the store's")
      .option('--json', 'JSON output'),
  ).action((flags: LabelsFlags) => runLabels({ kind: 'list' }, flags, io));
}
