import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { formatDuration } from '../core/duration.js';
import { DEFAULT_RETENTION } from '../core/retention.js';
import { configFromEnv, ENV_OF_KEY, setPath } from './env.js';
import { ConfigError } from './error.js';
import { configLabels } from './labels.js';
import { type Config, configSchema, DURATION_KEYS } from './schema.js';

export type { Config };
export { ConfigError, configLabels };

export interface ConfigSources {
  /** YAML file (`--config`). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag values as dotted paths, e.g. { 'http.listen': '0.0.0.0:8080' }; undefined values are ignored. */
  flags?: Record<string, unknown>;
  /** How each key in `flags` is spelled on the command line, e.g. { 'http.listen': '--http' }. */
  flagNames?: Record<string, string>;
  /** A command's own defaults, below the file (demo: ./demo-data); dotted paths like `flags`. */
  defaults?: Record<string, unknown>;
  /** Values a command fixes whatever the sources say (demo: loopback listeners); dotted paths. */
  fixed?: Record<string, unknown>;
}

/** One source of the tree; `origin` says where it set a key, for error messages. */
interface Layer {
  tree: Record<string, unknown>;
  origin: (key: string) => string | null;
}

/**
 * The one validated tree. Precedence: flags > FLOWLENS_* env > file > defaults (objects merge key by key,
 * lists and scalars replace); a command's fixed values above all, its own defaults just above the built-in
 * ones. Throws ConfigError naming the key and where its value came from.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const layers: Layer[] = [{ tree: dotted(sources.defaults), origin: () => null }];
  if (sources.file) layers.push({ tree: readConfigFile(sources.file), origin: () => `in ${sources.file}` });
  layers.push({
    tree: configFromEnv(sources.env ?? {}),
    origin: (key) => (ENV_OF_KEY[key] ? `from ${ENV_OF_KEY[key]}` : null),
  });
  layers.push({
    tree: dotted(sources.flags),
    origin: (key) => (sources.flagNames?.[key] ? `from ${sources.flagNames[key]}` : null),
  });
  layers.push({ tree: dotted(sources.fixed, true), origin: () => null });
  const merged = layers.reduce((acc, l) => deepMerge(acc, l.tree), {} as Record<string, unknown>);
  return validateConfig(merged, (key) => {
    const top = layers.findLast((l) => has(l.tree, key));
    return top?.origin(key) ?? null;
  });
}

/** Validates a merged tree; `originOf` names the source of a key (added to the message when known). */
export function validateConfig(raw: unknown, originOf: (key: string) => string | null = () => null): Config {
  const r = configSchema.safeParse(raw);
  if (r.success) {
    try {
      // The label file is read here, so a bad one fails loading like a bad key.
      configLabels(r.data.deps);
    } catch (err) {
      const origin = originOf('deps.labelsFile');
      throw new ConfigError(`${(err as Error).message}${origin ? ` (${origin})` : ''}`);
    }
    return r.data;
  }
  const iss = r.error.issues[0];
  // List indices are left out: the value quoted in the message says which element it was.
  const path = iss.path.filter((p) => typeof p !== 'number').map(String);
  let msg = iss.message;
  if (iss.code === 'unrecognized_keys') {
    path.push((iss as { keys: string[] }).keys[0]);
    const instead = REPLACED_KEYS[path.join('.')];
    msg = instead ? `unknown key (replaced by ${instead})` : 'unknown key';
  } else if (iss.code === 'invalid_type' && msg.startsWith('Invalid input')) {
    msg = msg.replace('Invalid input: ', '');
  }
  const key = path.join('.') || '(root)';
  const origin = originOf(key);
  throw new ConfigError(`${key}: ${msg}${origin ? ` (${origin})` : ''}`);
}

/** Keys earlier versions read: named with their replacement instead of a bare "unknown key". */
const REPLACED_KEYS: Readonly<Record<string, string>> = {
  'jobs.retentionDays': 'retention, durations: retention: { raw: 7d, aggregates: 90d, daily: 2y }',
  'jobs.aggregateGraceMs': 'jobs.aggregateGrace, a duration such as 2m',
  'jobs.aggregateEveryMs': 'jobs.aggregateEvery, a duration such as 1m',
  'jobs.retentionEveryMs': 'jobs.retentionEvery, a duration such as 1h',
  'jobs.rollupEveryMs': 'jobs.rollupEvery, a duration such as 1h',
};

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

/**
 * { 'a.b': v } -> { a: { b: v } }. Undefined values are left out (a flag not given sets nothing) unless
 * `keepUndefined` (a command fixing a key as unset, e.g. demo's store).
 */
function dotted(flat: Record<string, unknown> | undefined, keepUndefined = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(flat ?? {}))
    if (v !== undefined || keepUndefined) setPath(out, path, v);
  return out;
}

function has(tree: Record<string, unknown>, key: string): boolean {
  let cur: unknown = tree;
  for (const p of key.split('.')) {
    if (!isPlain(cur) || !(p in cur)) return false;
    cur = cur[p];
  }
  return true;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isPlain(out[k]) && isPlain(v) ? deepMerge(out[k], v) : v;
  return out;
}

/**
 * The effective configuration as YAML (`flowlens config dump`), durations in the duration syntax so the
 * output can be used as a config file again.
 */
export function dumpConfig(config: Config): string {
  const tree = structuredClone(config) as Record<string, unknown>;
  for (const key of DURATION_KEYS) {
    const parts = key.split('.');
    const parent = parts.slice(0, -1).reduce<unknown>((o, p) => (isPlain(o) ? o[p] : undefined), tree);
    const last = parts[parts.length - 1];
    if (isPlain(parent) && typeof parent[last] === 'number') parent[last] = formatDuration(parent[last]);
  }
  // A secret is never printed (dumps end up in bug reports).
  const auth = tree.auth as { metrics_token?: string } | undefined;
  if (auth?.metrics_token) auth.metrics_token = '(set, not shown)';
  let text = toYaml(tree);
  if (!config.retention) {
    const d = DEFAULT_RETENTION;
    text +=
      `# retention: not configured; writers leave the retention the store keeps in force ` +
      `(raw ${formatDuration(d.raw)}, aggregates ${formatDuration(d.aggregates)}, daily ${formatDuration(d.daily)} on a new store)\n`;
  }
  return text;
}

/** Derived values used by serve: where the spool lives, how many workers. */
export function spoolDir(config: Config): string {
  return config.spool.dir ?? `${config.data.replace(/\/+$/, '')}/spool`;
}
