/**
 * How every command reaches the one configuration tree: each declares which configuration flags it takes
 * (and, for demo, what it fixes), and all of them load file (--config) < FLOWLENS_* < flags the same way
 * (config/load.ts). Flags have no commander defaults: a default there would beat the environment and the
 * file; the schema's defaults apply instead.
 */
import type { Command } from 'commander';
import { ENV_OF_KEY } from '../config/env.js';
import { type Config, ConfigError, loadConfig } from '../config/load.js';
import type { CliIO } from './io.js';

interface ConfigFlag {
  /** Commander spelling, e.g. `--retention-raw <duration>`. */
  flag: string;
  /** The config key it sets. */
  key: string;
  help: string;
}

const CONFIG_FLAGS = {
  data: {
    flag: '--data <dir>',
    key: 'data',
    help: 'data directory of the embedded store, spool and lock (default ./data)',
  },
  store: {
    flag: '--store <url>',
    key: 'store',
    help: 'store URL, e.g. postgres://user@host/db (default: the embedded store in --data)',
  },
  http: {
    flag: '--http <host:port>',
    key: 'http.listen',
    help: 'health/metrics/query HTTP address, "" to disable (default 127.0.0.1:8080)',
  },
  listenNetflow: {
    flag: '--listen-netflow <list>',
    key: 'listen.netflow',
    help: 'UDP host:port list (default [::]:2055)',
  },
  listenIpfix: {
    flag: '--listen-ipfix <list>',
    key: 'listen.ipfix',
    help: 'UDP host:port list (default [::]:4739)',
  },
  listenIpfixTcp: {
    flag: '--listen-ipfix-tcp <list>',
    key: 'listen.ipfixTcp',
    help: 'TCP host:port list (default [::]:4739)',
  },
  listenSflow: {
    flag: '--listen-sflow <list>',
    key: 'listen.sflow',
    help: 'UDP host:port list (default [::]:6343)',
  },
  workers: { flag: '--workers <n>', key: 'ingest.workers', help: 'decode worker threads (0 = CPUs - 1)' },
  logLevel: {
    flag: '--log-level <level>',
    key: 'log.level',
    help: 'fatal|error|warn|info|debug|trace|silent',
  },
  internalNetworks: {
    flag: '--internal-networks <list>',
    key: 'internalNetworks',
    help: 'networks counted as internal besides RFC 1918 and fc00::/7 (CIDR list)',
  },
  retentionRaw: {
    flag: '--retention-raw <duration>',
    key: 'retention.raw',
    help: 'raw flow retention, e.g. 7d, 2y, forever (unset: the store keeps its own; 7d on a new store)',
  },
  retentionAggregates: {
    flag: '--retention-aggregates <duration>',
    key: 'retention.aggregates',
    help: '5-minute aggregate retention (90d on a new store)',
  },
  retentionDaily: {
    flag: '--retention-daily <duration>',
    key: 'retention.daily',
    help: 'daily dependency statistics retention (2y on a new store)',
  },
} satisfies Record<string, ConfigFlag>;

export type ConfigFlagName = keyof typeof CONFIG_FLAGS;

export interface CommandConfig {
  /** The configuration flags the command takes. */
  flags: readonly ConfigFlagName[];
  /** The command's own defaults, below the file and the environment (dotted keys). */
  defaults?: Record<string, unknown>;
  /** Values the command sets whatever the sources say (dotted keys). */
  fixed?: Record<string, unknown>;
}

const RETENTION: ConfigFlagName[] = ['retentionRaw', 'retentionAggregates', 'retentionDaily'];
const STORE: ConfigFlagName[] = ['data', 'store'];
const ALL = Object.keys(CONFIG_FLAGS) as ConfigFlagName[];

/** Every command that reads the configuration, and how. `config dump --for NAME` shows one's view. */
export const COMMAND_CONFIG = {
  serve: { flags: ALL },
  demo: {
    flags: ['data', 'http', 'logLevel', 'internalNetworks', ...RETENTION],
    defaults: {
      data: './demo-data',
      'log.level': 'warn',
      // Jobs run often so the demo's aggregates appear within a minute.
      'jobs.aggregateGrace': '30s',
      'jobs.aggregateEvery': '30s',
    },
    // Loopback on free ports: the demo never takes the real collector ports; always the embedded store.
    fixed: {
      store: undefined,
      'listen.netflow': '127.0.0.1:0',
      'listen.ipfix': '127.0.0.1:0',
      'listen.ipfixTcp': '127.0.0.1:0',
      'listen.sflow': '127.0.0.1:0',
      // The demo is a local trial on loopback: no authentication (serve warns at start, /readyz says so).
      'auth.mode': 'none',
    },
  },
  import: { flags: [...STORE, 'internalNetworks', ...RETENTION] },
  migrate: { flags: [...STORE, ...RETENTION] },
  retention: { flags: [...STORE, ...RETENTION] },
  query: { flags: STORE },
  deps: { flags: STORE },
  token: { flags: STORE },
  tenant: { flags: STORE },
  config: { flags: ALL },
} satisfies Record<string, CommandConfig>;

export type CommandName = keyof typeof COMMAND_CONFIG;

/** What a command's action receives: commander's camelCased options plus --config. */
export interface ConfigOpts {
  config?: string;
  [option: string]: unknown;
}

/** Adds --config and the command's configuration flags. */
export function addConfigFlags(cmd: Command, command: CommandName): Command {
  cmd.option('--config <file>', 'YAML configuration file (flags > FLOWLENS_* environment > file > defaults)');
  for (const name of COMMAND_CONFIG[command].flags) {
    const { flag, key } = CONFIG_FLAGS[name];
    const own = (COMMAND_CONFIG[command] as CommandConfig).defaults?.[key];
    const help =
      own === undefined
        ? CONFIG_FLAGS[name].help
        : CONFIG_FLAGS[name].help.replace(/\(default [^)]*\)/, `(default ${own})`);
    cmd.option(flag, ENV_OF_KEY[key] ? `${help}; env ${ENV_OF_KEY[key]}` : help);
  }
  return cmd;
}

export interface ConfigForOptions {
  env?: NodeJS.ProcessEnv;
  /** Apply this command's own defaults and fixed values instead (`config dump --for demo`). */
  as?: CommandName;
}

/** The command's effective configuration. Throws ConfigError naming the key and the source of its value. */
export function configFor(command: CommandName, opts: ConfigOpts, options: ConfigForOptions = {}): Config {
  const spec: CommandConfig = COMMAND_CONFIG[options.as ?? command];
  const flags: Record<string, unknown> = {};
  const flagNames: Record<string, string> = {};
  for (const name of COMMAND_CONFIG[command].flags) {
    const { flag, key } = CONFIG_FLAGS[name];
    flags[key] = opts[name];
    flagNames[key] = flag.replace(/ .*$/, '');
  }
  return loadConfig({
    file: opts.config,
    env: options.env ?? process.env,
    flags,
    flagNames,
    defaults: spec.defaults,
    fixed: spec.fixed,
  });
}

/** Loads the configuration, or prints the one error line and sets exit code 2. */
export function configOrExit(
  command: CommandName,
  opts: ConfigOpts,
  io: CliIO,
  options: ConfigForOptions & { label?: string } = {},
): Config | null {
  try {
    return configFor(command, opts, options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`flowlens ${options.label ?? command}: invalid configuration: ${err.message}\n`);
    io.setExitCode(2);
    return null;
  }
}
