import type { Command } from 'commander';
import { ENV_KEYS } from '../../config/env.js';
import { type Config, ConfigError, dumpConfig, loadConfig } from '../../config/load.js';
import type { CliIO } from '../io.js';

/** Flags every config-reading command takes, and the config key each sets (flags beat env and file). */
const FLAG_KEYS: [flag: string, key: string, help: string][] = [
  ['--data <dir>', 'data', 'data directory of the embedded store, spool and lock (FLOWLENS_DATA)'],
  ['--store <url>', 'store', 'store URL, e.g. postgres://user@host/db (FLOWLENS_STORE)'],
  ['--http <host:port>', 'http.listen', 'health/metrics/query HTTP address, "" to disable (FLOWLENS_HTTP)'],
  ['--listen-netflow <list>', 'listen.netflow', 'UDP host:port list (default [::]:2055)'],
  ['--listen-ipfix <list>', 'listen.ipfix', 'UDP host:port list (default [::]:4739)'],
  ['--listen-ipfix-tcp <list>', 'listen.ipfixTcp', 'TCP host:port list (default [::]:4739)'],
  ['--listen-sflow <list>', 'listen.sflow', 'UDP host:port list (default [::]:6343)'],
  ['--workers <n>', 'ingest.workers', 'decode worker threads (0 = CPUs - 1)'],
  ['--log-level <level>', 'log.level', 'fatal|error|warn|info|debug|trace|silent'],
];

export interface ConfigFlags {
  config?: string;
  [flag: string]: unknown;
}

export function addConfigFlags(cmd: Command): Command {
  cmd.option('--config <file>', 'YAML configuration file');
  for (const [flag, , help] of FLAG_KEYS) cmd.option(flag, help);
  return cmd;
}

function camel(flag: string): string {
  return flag
    .replace(/^--/, '')
    .replace(/ .*$/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The effective configuration: flags > FLOWLENS_* env > --config file > defaults. Throws ConfigError. */
export function configFromFlags(opts: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const flags: Record<string, unknown> = {};
  for (const [flag, key] of FLAG_KEYS) flags[key] = opts[camel(flag)];
  return loadConfig({ file: opts.config, env, flags });
}

/** Loads the config or prints the one error line and sets exit code 2. */
export function configOrExit(opts: ConfigFlags, io: CliIO, command: string): Config | null {
  try {
    return configFromFlags(opts);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`flowlens ${command}: invalid configuration: ${err.message}\n`);
    io.setExitCode(2);
    return null;
  }
}

export function registerConfig(program: Command, io: CliIO): void {
  const config = program.command('config').description('check or print the effective configuration');
  addConfigFlags(
    config.command('check').description('validate the configuration; exit 0 when usable'),
  ).action((opts: ConfigFlags) => {
    if (configOrExit(opts, io, 'config check')) io.stdout.write('configuration OK\n');
  });
  addConfigFlags(
    config
      .command('dump')
      .description('print the effective configuration (defaults < file < FLOWLENS_* env < flags) as YAML')
      .option('--env', 'print the FLOWLENS_* environment variables and the keys they set instead'),
  ).action((opts: ConfigFlags & { env?: boolean }) => {
    if (opts.env) {
      for (const [name, key] of Object.entries(ENV_KEYS)) io.stdout.write(`${name.padEnd(36)} ${key}\n`);
      return;
    }
    const c = configOrExit(opts, io, 'config dump');
    if (c) io.stdout.write(dumpConfig(c));
  });
}
