/**
 * `flowlens tenant create NAME [--exporters IP,...] [--networks CIDR,...] [--groups NAME,...]`,
 * `tenant list`, `tenant delete NAME`. Like `flowlens token`: while serve holds the embedded store (or with
 * --via) they go through its API with an admin token (--token / FLOWLENS_TOKEN); otherwise they open the
 * store directly.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { cliToken, requestVia } from '../../app/query-via.js';
import { type CreateTenantInput, TenantAdmin, TenantInputError } from '../../auth/tenants.js';
import type { TenantRecord } from '../../storage/port.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, serveToAsk, withStore } from '../store.js';
import { formatTable } from './query.js';

export interface TenantFlags extends ConfigOpts {
  exporters?: string;
  networks?: string;
  groups?: string;
  via?: string;
  token?: string;
  json?: boolean;
}

type Action = { kind: 'create'; name: string } | { kind: 'list' } | { kind: 'delete'; name: string };

/** What the API answers for a tenant. */
interface TenantOut {
  name: string;
  exporters: string[];
  networks: string[];
  groups: string[];
  createdAt: string;
}

const asOut = (t: TenantRecord): TenantOut => ({
  name: t.name,
  exporters: t.exporters,
  networks: t.networks,
  groups: t.groups,
  createdAt: new Date(t.created_at).toISOString(),
});

export function formatTenants(tenants: readonly TenantOut[]): string {
  const join = (xs: string[]) => (xs.length === 0 ? '-' : xs.join(','));
  const rows = tenants.map((t) => ({
    name: t.name,
    exporters: join(t.exporters),
    networks: join(t.networks),
    groups: join(t.groups),
    created: t.createdAt.replace(/\.\d{3}Z$/, 'Z'),
  }));
  const columns = ['name', 'exporters', 'networks', 'groups', 'created'];
  return formatTable({ tier: 'raw', columns, rows }).replace(/; .*\)\n$/, ')\n');
}

const list = (s: string | undefined) =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

export async function runTenant(action: Action, flags: TenantFlags, io: CliIO, ctx: CommandContext = {}) {
  const label = `tenant ${action.kind}`;
  const config = configOrExit('tenant', flags, io, { env: ctx.env, label });
  if (!config) return;
  const done = (r: { tenant?: TenantOut; tenants?: TenantOut[]; deleted?: string }) => {
    if (flags.json)
      io.stdout.write(`${JSON.stringify(r.tenants ?? r.tenant ?? { name: r.deleted, deleted: true })}\n`);
    else if (r.tenants) io.stdout.write(formatTenants(r.tenants));
    else if (r.tenant) io.stdout.write(formatTenants([r.tenant]));
    else io.stderr.write(`tenant ${r.deleted} deleted\n`);
  };
  const fail = (message: string, code = 1) => {
    io.stderr.write(`flowlens ${label}: ${message}\n`);
    io.setExitCode(code);
  };
  const input = (name: string): CreateTenantInput => ({
    name,
    exporters: list(flags.exporters),
    networks: list(flags.networks),
    groups: list(flags.groups),
  });

  const via = serveToAsk(config, flags.via);
  if (via) {
    const token = cliToken(flags.token, ctx.env);
    const path = '/api/v1/tenants';
    try {
      if (action.kind === 'create')
        done({
          tenant: await requestVia<TenantOut>({
            base: via,
            method: 'POST',
            path,
            body: input(action.name),
            token,
          }),
        });
      else if (action.kind === 'list')
        done({
          tenants: (await requestVia<{ tenants: TenantOut[] }>({ base: via, method: 'GET', path, token }))
            .tenants,
        });
      else {
        const p = `${path}/${encodeURIComponent(action.name)}`;
        await requestVia({ base: via, method: 'DELETE', path: p, token });
        done({ deleted: action.name });
      }
    } catch (err) {
      fail((err as Error).message);
    }
    return;
  }
  // Directly on the store: a writer (the table comes with the migration).
  await withStore({ command: label, config, io, access: 'write', ctx }, async (store) => {
    const admin = new TenantAdmin(store);
    const actor = `cli:${userInfo().username}`;
    try {
      if (action.kind === 'create') {
        const t = await admin.create(input(action.name), actor);
        if (t) done({ tenant: asOut(t) });
        else fail(`tenant ${action.name} already exists`);
      } else if (action.kind === 'list') done({ tenants: (await admin.list()).map(asOut) });
      else if (await admin.delete(action.name, actor)) done({ deleted: action.name });
      else fail(`no tenant ${action.name}`);
    } catch (err) {
      if (!(err instanceof TenantInputError)) throw err;
      // The name is an argument; the lists are flags.
      fail(err.parameter === 'name' ? err.message : `--${err.message}`, 2);
    }
  });
}

export function registerTenant(program: Command, io: CliIO): void {
  const tenant = program
    .command('tenant')
    .description(
      'tenants (what a tenant-bound token sees): create, list, delete; through serve or on the store',
    );
  const common = (cmd: Command) =>
    addConfigFlags(cmd, 'tenant')
      .option('--via <url>', 'a running flowlens serve (automatic when serve holds --data)')
      .option(
        '--token <token>',
        'admin token for serve (prefer the FLOWLENS_TOKEN variable: flags show in ps)',
      )
      .option('--json', 'JSON output');
  common(
    tenant
      .command('create')
      .description('create a tenant: flows of these exporters, or from/to these networks')
      .argument('<name>', 'letters, digits, _ . - (at most 64)')
      .option('--exporters <ips>', 'exporter addresses, comma-separated')
      .option('--networks <cidrs>', 'CIDRs, comma-separated (a flow whose source or destination is inside)')
      .option(
        '--groups <names>',
        'group names, comma-separated (the prefixes labelled with them join the networks)',
      ),
  ).action((name: string, flags: TenantFlags) => runTenant({ kind: 'create', name }, flags, io));
  common(tenant.command('list').description('every tenant and its scope')).action((flags: TenantFlags) =>
    runTenant({ kind: 'list' }, flags, io),
  );
  common(tenant.command('delete').description('delete a tenant').argument('<name>', 'the tenant')).action(
    (name: string, flags: TenantFlags) => runTenant({ kind: 'delete', name }, flags, io),
  );
}
