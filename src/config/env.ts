import { ConfigError } from './error.js';

/**
 * FLOWLENS_* environment variables and the config keys they set. The table is the documentation:
 * `flowlens config dump --env` prints it. Lists are comma-separated; booleans true/false/1/0; durations
 * as everywhere (`90s`, `7d`, `2y`, `forever`).
 *
 *   FLOWLENS_DATA=./data                    data
 *   FLOWLENS_STORE=postgres://u@h/db        store
 *   FLOWLENS_LISTEN_NETFLOW=0.0.0.0:2055    listen.netflow
 *   FLOWLENS_HTTP=127.0.0.1:8080            http.listen
 *   ... (ENV_KEYS below)
 */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  FLOWLENS_DATA: 'data',
  FLOWLENS_STORE: 'store',
  FLOWLENS_COLLECTOR: 'collector',
  FLOWLENS_LISTEN_NETFLOW: 'listen.netflow',
  FLOWLENS_LISTEN_IPFIX: 'listen.ipfix',
  FLOWLENS_LISTEN_IPFIX_TCP: 'listen.ipfixTcp',
  FLOWLENS_LISTEN_SFLOW: 'listen.sflow',
  FLOWLENS_RECV_BUFFER_SIZE: 'ingest.recvBufferSize',
  FLOWLENS_WORKERS: 'ingest.workers',
  FLOWLENS_SPREAD: 'ingest.spread',
  FLOWLENS_QUEUE_CAPACITY: 'ingest.queueCapacity',
  FLOWLENS_ALLOW: 'ingest.allow',
  FLOWLENS_RATE_LIMIT: 'ingest.rateLimit',
  FLOWLENS_RATE_BURST: 'ingest.rateBurst',
  FLOWLENS_SAMPLING_DEFAULT: 'decode.samplingDefault',
  FLOWLENS_BATCH_MAX_RECORDS: 'batch.maxRecords',
  FLOWLENS_BATCH_MAX_AGE_MS: 'batch.maxAgeMs',
  FLOWLENS_INSERT_TIMEOUT_MS: 'batch.insertTimeoutMs',
  FLOWLENS_SPOOL_DIR: 'spool.dir',
  FLOWLENS_SPOOL_MAX_BYTES: 'spool.maxBytes',
  FLOWLENS_SPOOL_FSYNC: 'spool.fsync',
  FLOWLENS_JOBS: 'jobs.enabled',
  FLOWLENS_AGGREGATE_GRACE: 'jobs.aggregateGrace',
  FLOWLENS_AGGREGATE_EVERY: 'jobs.aggregateEvery',
  FLOWLENS_ROLLUP_EVERY: 'jobs.rollupEvery',
  FLOWLENS_RETENTION_EVERY: 'jobs.retentionEvery',
  FLOWLENS_RETENTION_RAW: 'retention.raw',
  FLOWLENS_RETENTION_AGGREGATES: 'retention.aggregates',
  FLOWLENS_RETENTION_DAILY: 'retention.daily',
  FLOWLENS_HTTP: 'http.listen',
  FLOWLENS_LOG_LEVEL: 'log.level',
  FLOWLENS_AUTH_MODE: 'auth.mode',
  FLOWLENS_METRICS_TOKEN: 'auth.metrics_token',
  FLOWLENS_INTERNAL_NETWORKS: 'internalNetworks',
};

/**
 * Variables earlier versions read, and what replaced them: refused with the new name rather than ignored,
 * since an ignored retention would silently fall back to the defaults.
 */
const REPLACED: Readonly<Record<string, string>> = {
  FLOWLENS_RETENTION_RAW_DAYS: 'FLOWLENS_RETENTION_RAW (a duration, e.g. 7d)',
  FLOWLENS_RETENTION_AGGREGATES_DAYS: 'FLOWLENS_RETENTION_AGGREGATES (a duration, e.g. 90d)',
  FLOWLENS_RETENTION_DAILY_DAYS: 'FLOWLENS_RETENTION_DAILY (a duration, e.g. 2y)',
  FLOWLENS_AGGREGATE_GRACE_MS: 'FLOWLENS_AGGREGATE_GRACE (a duration, e.g. 2m)',
};

/** The environment variable that sets each config key (error messages say where a bad value came from). */
export const ENV_OF_KEY: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ENV_KEYS).map(([name, key]) => [key, name]),
);

/** The config fragment the environment sets (raw strings; the schema coerces and validates them). */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  for (const [name, instead] of Object.entries(REPLACED))
    if (env[name] !== undefined) throw new ConfigError(`${name}: no longer read; use ${instead}`);
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined) setPath(out, path, v);
  }
  return out;
}

/** Set `a.b.c` in a plain object tree, creating the intermediate objects. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}
