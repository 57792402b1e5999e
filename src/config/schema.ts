import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The one configuration tree of `flowlens serve` / `demo` (DESIGN.md "Conventions": one validated tree
 * from file + FLOWLENS_* env + flags). Every key has a default, so an empty file is a working collector.
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

const posInt = z.coerce.number().int().positive();
const nonNegInt = z.coerce.number().int().nonnegative();
const bool = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);

export const configSchema = z.strictObject({
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
      /** Decode worker threads (sharded by exporter). 0 = one less than the CPU count, at least 1. */
      workers: nonNegInt.default(0),
      /** Datagrams waiting for (or inside) the workers before new ones are dropped (queue_full). */
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
       * Flows per insert (or maxAgeMs, whichever first). Large: every insert makes engine parts that are
       * merged again later; 250k instead of 20k cut chdb merge CPU ~3x at 100k flows/s (bench/e2e.ts).
       */
      maxRecords: posInt.default(250_000),
      maxAgeMs: posInt.default(1000),
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
      aggregateGraceMs: nonNegInt.default(120_000),
      aggregateEveryMs: posInt.default(60_000),
      retentionEveryMs: posInt.default(3_600_000),
      rollupEveryMs: posInt.default(3_600_000),
      retentionDays: z
        .strictObject({
          raw: posInt.default(7),
          aggregates: posInt.default(90),
          daily: posInt.default(730),
        })
        .prefault({}),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** Health, metrics and the query endpoint. Empty string disables. */
      listen: z.union([z.literal(''), hostPort]).default('127.0.0.1:8080'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  internalNetworks: cidrs.default([]),
});

export type Config = z.infer<typeof configSchema>;
