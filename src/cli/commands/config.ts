import type { Command } from 'commander';
import { ENV_KEYS } from '../../config/env.js';
import { dumpConfig } from '../../config/load.js';
import {
  addConfigFlags,
  COMMAND_CONFIG,
  type CommandName,
  type ConfigOpts,
  configOrExit,
} from '../command-config.js';
import type { CliIO } from '../io.js';

interface DumpOpts extends ConfigOpts {
  env?: boolean;
  for?: string;
}

export function registerConfig(program: Command, io: CliIO): void {
  const config = program.command('config').description('check or print the effective configuration');
  addConfigFlags(
    config.command('check').description('validate the configuration; exit 0 when usable'),
    'config',
  ).action((opts: ConfigOpts) => {
    if (configOrExit('config', opts, io, { label: 'config check' })) io.stdout.write('configuration OK\n');
  });
  addConfigFlags(
    config
      .command('dump')
      .description('print the effective configuration (defaults < file < FLOWLENS_* env < flags) as YAML')
      .option('--env', 'print the FLOWLENS_* environment variables and the keys they set instead')
      .option(
        '--for <command>',
        `as this command sees it, with what it fixes (${Object.keys(COMMAND_CONFIG).join(', ')})`,
      ),
    'config',
  ).action((opts: DumpOpts) => {
    if (opts.env) {
      for (const [name, key] of Object.entries(ENV_KEYS)) io.stdout.write(`${name.padEnd(36)} ${key}\n`);
      return;
    }
    const command = (opts.for ?? 'config') as CommandName;
    if (!(command in COMMAND_CONFIG)) {
      io.stderr.write(`flowlens config dump: --for: unknown command ${JSON.stringify(opts.for)}\n`);
      io.setExitCode(2);
      return;
    }
    // Every flag given applies (dump takes them all), plus what the named command sets itself.
    const c = configOrExit('config', opts, io, { label: 'config dump', as: command });
    if (c) io.stdout.write(dumpConfig(c));
  });
}
