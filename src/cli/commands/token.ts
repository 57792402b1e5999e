/**
 * `flowlens token create --role viewer|operator|admin [--tenant NAME] [--expires 90d|never] [--name TEXT]`,
 * `token list`, `token revoke ID`. While serve holds the embedded store (or with --via) they go through
 * its API with an admin token (--token / FLOWLENS_TOKEN); otherwise they open the store directly, which is
 * how the first admin token is made (whoever can open the store is its administrator anyway).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { cliToken, requestVia } from '../../app/query-via.js';
import { type CreateTokenInput, TokenAdmin, type TokenInfo } from '../../auth/admin.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, serveToAsk, withStore } from '../store.js';
import { formatTable } from './query.js';

export interface TokenFlags extends ConfigOpts {
  role?: string;
  tenant?: string;
  expires?: string;
  name?: string;
  via?: string;
  token?: string;
  json?: boolean;
}

type Action = { kind: 'create' } | { kind: 'list' } | { kind: 'revoke'; id: string };

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function formatTokens(tokens: readonly TokenInfo[]): string {
  const columns = ['id', 'name', 'role', 'tenant', 'created', 'expires', 'revoked', 'last_used'];
  const rows = tokens.map((t) => ({
    id: t.id,
    name: t.name || '-',
    role: t.role,
    tenant: t.tenant ?? '-',
    created: iso(t.created_at),
    expires: t.expires_at === null ? 'never' : iso(t.expires_at),
    revoked: iso(t.revoked_at),
    last_used: iso(t.last_used_at),
  }));
  return formatTable({ tier: 'raw', columns, rows }).replace(/; .*\)\n$/, ')\n');
}

export async function runToken(action: Action, flags: TokenFlags, io: CliIO, ctx: CommandContext = {}) {
  const label = `token ${action.kind}`;
  const config = configOrExit('token', flags, io, { env: ctx.env, label });
  if (!config) return;
  const input: CreateTokenInput = {
    role: flags.role ?? '',
    tenant: flags.tenant ?? null,
    expires: flags.expires,
    name: flags.name,
  };
  const done = (r: { token?: string; info?: TokenInfo; tokens?: TokenInfo[]; revoked?: string }) => {
    if (flags.json)
      io.stdout.write(`${JSON.stringify(r.tokens ?? r.info ?? { id: r.revoked, revoked: true })}\n`);
    if (r.token) {
      // The one time the token is shown: stdout alone, so `$(flowlens token create ...)` captures it.
      if (!flags.json) io.stdout.write(`${r.token}\n`);
      io.stderr.write(
        `token ${r.info!.id} (${r.info!.role}${r.info!.tenant ? `, tenant ${r.info!.tenant}` : ''}, expires ${r.info!.expires_at === null ? 'never' : iso(r.info!.expires_at)}): shown this once, store it now\n`,
      );
    } else if (r.tokens && !flags.json) io.stdout.write(formatTokens(r.tokens));
    else if (r.revoked && !flags.json) io.stderr.write(`token ${r.revoked} revoked\n`);
  };
  const fail = (message: string, code = 1) => {
    io.stderr.write(`flowlens ${label}: ${message}\n`);
    io.setExitCode(code);
  };

  const via = serveToAsk(config, flags.via);
  if (via) {
    const token = cliToken(flags.token, ctx.env);
    try {
      if (action.kind === 'create') {
        const r = await requestVia<TokenInfo & { token: string }>({
          base: via,
          method: 'POST',
          path: '/api/v1/tokens',
          body: input,
          token,
        });
        const { token: secret, ...info } = r;
        done({ token: secret, info });
      } else if (action.kind === 'list')
        done({
          tokens: (
            await requestVia<{ tokens: TokenInfo[] }>({
              base: via,
              method: 'GET',
              path: '/api/v1/tokens',
              token,
            })
          ).tokens,
        });
      else {
        await requestVia({
          base: via,
          method: 'DELETE',
          path: `/api/v1/tokens/${encodeURIComponent(action.id)}`,
          token,
        });
        done({ revoked: action.id });
      }
    } catch (err) {
      fail((err as Error).message);
    }
    return;
  }
  // Directly on the store: a writer (the tables come with the migration).
  await withStore({ command: label, config, io, access: 'write', ctx }, async (store) => {
    const admin = new TokenAdmin(store);
    const actor = `cli:${userInfo().username}`;
    try {
      if (action.kind === 'create') done(await admin.create(input, actor));
      else if (action.kind === 'list') done({ tokens: await admin.list() });
      else if (await admin.revoke(action.id, actor)) done({ revoked: action.id });
      else fail(`no token ${action.id}`);
    } catch (err) {
      if ((err as Error).name === 'TokenInputError') fail(`--${(err as Error).message}`, 2);
      else throw err;
    }
  });
}

export function registerToken(program: Command, io: CliIO): void {
  const token = program
    .command('token')
    .description('API tokens: create (shown once), list, revoke; through a running serve or on the store');
  const common = (cmd: Command) =>
    addConfigFlags(cmd, 'token')
      .option('--via <url>', 'a running flowlens serve (automatic when serve holds --data)')
      .option(
        '--token <token>',
        'admin token for serve (prefer the FLOWLENS_TOKEN variable: flags show in ps)',
      )
      .option('--json', 'JSON output');
  common(
    token
      .command('create')
      .description('create a token and print it once')
      .requiredOption('--role <role>', 'viewer | operator | admin')
      .option('--tenant <name>', 'bind the token to a tenant')
      .option('--expires <duration>', 'lifetime: 90d, 12h, ... or never', '90d')
      .option('--name <text>', 'what the token is for'),
  ).action((flags: TokenFlags) => runToken({ kind: 'create' }, flags, io));
  common(token.command('list').description('every token (never the secrets)')).action((flags: TokenFlags) =>
    runToken({ kind: 'list' }, flags, io),
  );
  common(token.command('revoke').description('revoke a token by id').argument('<id>', 'the token id')).action(
    (id: string, flags: TokenFlags) => runToken({ kind: 'revoke', id }, flags, io),
  );
}
