import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { configFromEnv } from './env.js';
import { type Config, configSchema } from './schema.js';

export type { Config };

/** A configuration that cannot be used: one message naming the key, e.g. `listen.netflow: expected ...`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  /** YAML file (`--config`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values as dotted paths, e.g. { 'http.listen': '0.0.0.0:8080' }; undefined values are ignored. */
  flags?: Record<string, unknown>;
}

/** Precedence: flags > env > file > defaults (objects merge key by key, lists and scalars replace). */
export function loadConfig(sources: ConfigSources = {}): Config {
  const layers: Record<string, unknown>[] = [];
  if (sources.file) layers.push(readConfigFile(sources.file));
  layers.push(configFromEnv(sources.env ?? {}));
  const flags: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(sources.flags ?? {})) if (v !== undefined) setDotted(flags, path, v);
  layers.push(flags);
  const merged = layers.reduce((acc, l) => deepMerge(acc, l), {} as Record<string, unknown>);
  return validateConfig(merged);
}

export function validateConfig(raw: unknown): Config {
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const iss = r.error.issues[0];
  // List indices are left out: the value quoted in the message says which element it was.
  const key =
    iss.path
      .filter((p) => typeof p !== 'number')
      .map(String)
      .join('.') || '(root)';
  let msg = iss.message;
  if (iss.code === 'unrecognized_keys') {
    const keys = (iss as { keys: string[] }).keys;
    return fail(`${[...iss.path.map(String), keys[0]].join('.')}: unknown key`);
  }
  if (iss.code === 'invalid_type' && msg.startsWith('Invalid input'))
    msg = msg.replace('Invalid input: ', '');
  return fail(`${key}: ${msg}`);
}

function fail(msg: string): never {
  throw new ConfigError(msg);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${file}: expected a mapping at the top`);
  return doc as Record<string, unknown>;
}

function setDotted(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isPlain(out[k]) && isPlain(v) ? deepMerge(out[k], v) : v;
  return out;
}

/** The effective configuration as YAML (`flowlens config dump`). */
export function dumpConfig(config: Config): string {
  return toYaml(config);
}

/** Derived values used by serve: where the spool lives, how many workers. */
export function spoolDir(config: Config): string {
  return config.spool.dir ?? `${config.data.replace(/\/+$/, '')}/spool`;
}
