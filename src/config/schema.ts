import { isIP } from 'node:net';
import { z } from 'zod';
import {
  DurationError,
  type DurationOptions,
  formatDuration,
  MAX_TIMER_MS,
  parseDuration,
} from '../core/duration.js';
import { type LabelEntry, toHostLabel } from '../core/label-file.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../core/retention.js';
import { WINDOW_MS } from '../core/rules.js';

/**
 * The one configuration tree every `flowlens` command reads (DESIGN.md "Conventions": one validated tree
 * from file + FLOWLENS_* env + flags). Every key has a default, so an empty file is a working collector;
 * `retention` alone may be absent (see below).
 */

/** "host:port", "[v6]:port" or ":port" (all addresses, dual-stack). Empty string disables a listener. */
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/;

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(s: string): HostPort | null {
  const m = HOST_PORT.exec(s.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? (m[2] || '::');
  if (m[1] !== undefined && isIP(m[1]) !== 6) return null;
  return { host, port };
}

const hostPort = z.string().refine((s) => parseHostPort(s) !== null, {
  error: (iss) => `expected host:port, got ${JSON.stringify(iss.input)}`,
});

/** One address or several: a YAML list, or a comma-separated string (env vars). */
const hostPorts = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(hostPort),
);

function isCidr(s: string): boolean {
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined) return false;
  const fam = isIP(addr);
  if (fam === 0) return false;
  if (len === undefined) return true;
  if (!/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (fam === 4 ? 32 : 128);
}

const cidr = z.string().refine(isCidr, {
  error: (iss) => `expected an address or CIDR, got ${JSON.stringify(iss.input)}`,
});

const cidrs = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(cidr),
);

/** Duration keys, registered so `config dump` can print their millisecond values back as durations. */
export const durationKeys = z.registry<DurationOptions>();

/** A duration in the one syntax of core/duration.ts (`90s` ... `2y`, `forever` where allowed) -> ms. */
function duration(options: DurationOptions = {}) {
  const s = z.unknown().transform((v, ctx) => {
    try {
      return parseDuration(v, '', options);
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      ctx.issues.push({ code: 'custom', message: err.detail, input: v });
      return z.NEVER;
    }
  });
  s.register(durationKeys, options);
  return s;
}

const jobInterval = () => duration({ max: MAX_TIMER_MS, maxReason: 'the longest timer Node.js keeps' });

/** A tier's retention, defaulting to core/retention.ts's DEFAULT_RETENTION. */
const retentionTier = (tier: keyof RetentionPolicy) =>
  duration({ forever: true }).prefault(formatDuration(DEFAULT_RETENTION[tier]));

const posInt = z.coerce.number().int().positive();
const nonNegInt = z.coerce.number().int().nonnegative();
const bool = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);

/** The keys a label entry may have: a label file's (both spellings of the validity, as files accept). */
const LABEL_KEYS = new Set([
  'cidr',
  'name',
  'group',
  'service',
  'port',
  'validFrom',
  'validTo',
  'valid_from',
  'valid_to',
]);

/**
 * deps.labels: each entry checked as a label file entry is (core/label-file.ts), the first bad one named
 * by its number ("entry 2: cidr: ..."), since a list index alone is dropped from config error paths.
 */
const labelEntries = z.array(z.custom<LabelEntry>(() => true)).superRefine((list, ctx) => {
  for (let i = 0; i < list.length; i++) {
    const e: unknown = list[i];
    const where = `entry ${i + 1}`;
    let message: string | null = null;
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      message = `${where}: expected a mapping with cidr, name, group, service, port, validFrom, validTo`;
    else {
      const unknown = Object.keys(e).find((k) => !LABEL_KEYS.has(k));
      if (unknown !== undefined)
        message = `${where}: unknown key ${JSON.stringify(unknown)} (expected cidr, name, group, service, port, validFrom, validTo)`;
      else
        try {
          toHostLabel(e as Record<string, unknown>, where);
        } catch (err) {
          message = (err as Error).message;
        }
    }
    if (message !== null) {
      ctx.addIssue({ code: 'custom', message, path: [i] });
      return;
    }
  }
});

const configTree = z.strictObject({
  /** Embedded store data directory (chdb), also home of the spool and the serve lock. */
  data: z.string().min(1).default('./data'),
  /** Store URL (postgres://...). Absent: the embedded store in `data`. */
  store: z.string().optional(),
  /** Name under which decoder template/sampling state is saved in the store. */
  collector: z.string().min(1).default('default'),
  listen: z
    .strictObject({
      netflow: hostPorts.default(['[::]:2055']),
      ipfix: hostPorts.default(['[::]:4739']),
      ipfixTcp: hostPorts.default(['[::]:4739']),
      sflow: hostPorts.default(['[::]:6343']),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** SO_RCVBUF asked for every UDP socket; the kernel caps it at net.core.rmem_max. */
      recvBufferSize: posInt.default(4 * 1024 * 1024),
      /** Decode worker threads. 0 = one less than the CPU count, at least 1. */
      workers: nonNegInt.default(0),
      /**
       * Every exporter's UDP datagrams spread over all the workers (templates and options data reach every
       * worker first, sequence numbers are checked in arrival order): one busy router uses every worker.
       * false: each exporter is decoded by one worker (sharded by address).
       */
      spread: bool.default(true),
      /**
       * Datagrams waiting for (or inside) the workers before new ones are dropped (queue_full); the same
       * bound holds for datagrams the UDP socket thread has read and the main thread not yet taken.
       */
      queueCapacity: posInt.default(65_536),
      /** Exporter allow-list (addresses / CIDRs). Empty: every exporter is accepted. */
      allow: cidrs.default([]),
      /** Per-exporter token bucket, datagrams/s. 0: no limit. */
      rateLimit: nonNegInt.default(0),
      /** Bucket size (datagrams); default = one second of rateLimit. */
      rateBurst: nonNegInt.default(0),
    })
    .prefault({}),
  decode: z
    .strictObject({
      samplingDefault: posInt.default(1),
      /** Exporter address -> forced sampling rate. */
      samplingOverride: z.record(z.string(), posInt).default({}),
    })
    .prefault({}),
  batch: z
    .strictObject({
      /**
       * Flows per insert (or maxAgeMs, whichever first). Large: each insert costs the embedded engine a
       * fixed ~0.1 CPU-s besides its rows, and makes parts merged again later. 250k instead of 20k cut chdb
       * merge CPU ~3x at 100k flows/s; 500k and 3 s instead of 250k and 1 s took the engine from ~2.5 to
       * ~1.65 CPU-s per million flows at 75-200k flows/s (bench/e2e.ts). The price: raw flows are
       * queryable up to 3 s after they arrive, and a batch holds up to ~165 MB of encoded rows.
       */
      maxRecords: posInt.default(500_000),
      maxAgeMs: posInt.default(3000),
      /** An insert slower than this counts as failed and its batch goes to the spool. */
      insertTimeoutMs: posInt.default(15_000),
    })
    .prefault({}),
  spool: z
    .strictObject({
      /** Default: <data>/spool. */
      dir: z.string().optional(),
      maxBytes: posInt.default(1024 * 1024 * 1024),
      /** every: fsync each spooled batch; interval: at most once a second; never: leave it to the OS. */
      fsync: z.enum(['every', 'interval', 'never']).default('every'),
    })
    .prefault({}),
  jobs: z
    .strictObject({
      enabled: bool.default(true),
      /** Late flows within this grace still land in their window before it is aggregated. */
      aggregateGrace: duration({ min: 0 }).prefault('2m'),
      aggregateEvery: jobInterval().prefault('1m'),
      retentionEvery: jobInterval().prefault('1h'),
      rollupEvery: jobInterval().prefault('1h'),
      /** Dependency discovery over the windows aggregated since its last run (src/deps/job.ts). */
      discoverEvery: jobInterval().prefault('5m'),
    })
    .prefault({}),
  /** The dependency map (DESIGN.md "Dependency discovery"). */
  deps: z
    .strictObject({
      /** Aggregates each discovery pass reads, ending at its newest window: fan-in needs enough peers. */
      discoveryWindow: duration({ min: 300_000 }).prefault('24h'),
      /**
       * Conversations (endpoint pairs) a discovery pass reads at most, the heaviest by bytes: bounds its
       * memory (about 3 kB of heap each) on high-cardinality traffic; the rest are counted and logged, not mapped.
       */
      maxConversations: posInt.default(100_000),
      /** An edge not seen for this long is marked idle (kept: the daily tier is its history). */
      idleAfter: duration({ min: 0 }).prefault('7d'),
      /** The operator's service ports, outranking IANA's: "9200/tcp=elasticsearch", "8443/tcp". */
      servicePorts: z.array(z.string()).default([]),
      /**
       * Host labels of the configuration (README "Names and groups"): before the store's labels, so a
       * stored label of the same prefix length wins.
       */
      labels: labelEntries.default([]),
      /** A CSV or YAML label file (as `flowlens labels import` reads), read at load, after `labels`. */
      labelsFile: z.string().min(1).optional(),
    })
    .prefault({}),
  /**
   * How long each tier keeps its data. Absent (no source names any of its keys): writers leave the
   * retention the store keeps in force (the defaults on a new store); present: a tier not named takes its
   * default. Only serve, demo, migrate, import and retention record it in the store.
   */
  retention: z
    .strictObject({
      raw: retentionTier('raw'),
      aggregates: retentionTier('aggregates'),
      daily: retentionTier('daily'),
    })
    .optional(),
  /** Scan and fan-out detection (README "Scans"): a source is reported from these many targets. */
  scans: z
    .strictObject({
      /** Estimated distinct targets (sampling accounted for). */
      minTargets: posInt.default(100),
      /** Distinct targets actually seen: below it an estimate rests on too few samples to report. */
      minSampledTargets: posInt.default(5),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** Health, metrics and the query endpoint. Empty string disables. */
      listen: z.union([z.literal(''), hostPort]).default('127.0.0.1:8080'),
    })
    .prefault({}),
  /** Access control (README "Access control"; src/auth). */
  auth: z
    .strictObject({
      /** required: every API route needs a token or JWT. none: no authentication at all (the demo). */
      mode: z.enum(['required', 'none']).default('required'),
      /** JWT bearer tokens of an identity provider; absent: API tokens only. */
      jwt: z
        .strictObject({
          jwks_file: z.string().min(1).optional(),
          pem_file: z.string().min(1).optional(),
          issuer: z.string().min(1),
          audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
          clock_skew: duration({ min: 0, max: 3_600_000 }).prefault('30s'),
          /** Dotted path of the claim holding viewer|operator|admin (or a list of them). */
          role_claim: z.string().min(1).default('flowlens_role'),
          tenant_claim: z.string().min(1).default('flowlens_tenant'),
        })
        .refine((j) => !!j.jwks_file !== !!j.pem_file, {
          error: 'give exactly one of jwks_file and pem_file',
        })
        .optional(),
      /** The only token /metrics accepts when set (a scraper needs no API token); unset: any valid token. */
      metrics_token: z.string().min(16).optional(),
      /** Requests per token (or JWT subject) per window; over it: 429. */
      rate_limit: z
        .strictObject({ max: posInt.default(1200), window: duration().prefault('1m') })
        .prefault({}),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  internalNetworks: cidrs.default([]),
});

export const configSchema = configTree.superRefine((c, ctx) => {
  if (!c.retention) return;
  const problem = retentionProblem(c.retention, c.jobs);
  if (problem)
    ctx.issues.push({
      code: 'custom',
      path: ['retention', problem.tier],
      message: problem.message,
      input: c,
    });
});

export type Config = z.infer<typeof configSchema>;

/**
 * Why a retention cannot work with these jobs, or null. The tiers are filled from each other (raw flows
 * -> 5-minute aggregates after the grace -> daily statistics of finished days) and the query planner
 * answers older ranges from the coarser tier, so each tier must outlive the step that reads it and keep at
 * least as long as the finer tier before it; otherwise data would vanish silently.
 */
export function retentionProblem(
  r: RetentionPolicy,
  jobs: { aggregateGrace: number; rollupEvery: number },
): { tier: keyof RetentionPolicy; message: string } | null {
  const f = formatDuration;
  const graceAndWindow = jobs.aggregateGrace + WINDOW_MS;
  if (r.raw < graceAndWindow)
    return {
      tier: 'raw',
      message: `${f(r.raw)} is shorter than the aggregation grace plus one 5-minute window (jobs.aggregateGrace ${f(jobs.aggregateGrace)} + 5m): raw flows would expire before their window is aggregated`,
    };
  if (r.raw > r.aggregates)
    return {
      tier: 'raw',
      message: `${f(r.raw)} is longer than retention.aggregates (${f(r.aggregates)}): a tier must not keep longer than the coarser one after it (raw <= aggregates <= daily), older ranges are answered from the coarser tier`,
    };
  if (r.aggregates > r.daily)
    return {
      tier: 'aggregates',
      message: `${f(r.aggregates)} is longer than retention.daily (${f(r.daily)}): a tier must not keep longer than the coarser one after it (raw <= aggregates <= daily), older ranges are answered from the coarser tier`,
    };
  const dayAndRollup = 86_400_000 + jobs.rollupEvery;
  if (r.aggregates < dayAndRollup)
    return {
      tier: 'aggregates',
      message: `${f(r.aggregates)} is shorter than a day plus jobs.rollupEvery (${f(jobs.rollupEvery)}): the daily rollup of a finished day would find its aggregates expired`,
    };
  return null;
}

/** Dotted paths of every duration key (for `config dump`), found by walking the schema. */
function durationPaths(schema: z.core.$ZodType, prefix: string): string[] {
  if (durationKeys.has(schema)) return [prefix];
  const def = schema._zod.def as {
    type: string;
    shape?: Record<string, z.core.$ZodType>;
    innerType?: z.core.$ZodType;
  };
  if (def.type === 'object' && def.shape)
    return Object.entries(def.shape).flatMap(([k, v]) => durationPaths(v, prefix ? `${prefix}.${k}` : k));
  if (def.innerType) return durationPaths(def.innerType, prefix);
  return [];
}

export const DURATION_KEYS: readonly string[] = durationPaths(configSchema, '');
