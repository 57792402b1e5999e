/**
 * The aggregation rules every backend implements identically (SQL on each engine) and the conformance
 * reference implements in plain TypeScript. This file is the TypeScript statement of each rule; the prose
 * is in src/jobs/README.md. Change a rule here and in every backend's SQL together.
 *
 * It lives in core because every layer that states or checks a rule (storage backends, jobs, the query
 * planner, the conformance reference) may import core.
 */
import { ipv4ToString, ipv6ToString, parseIp, toIpv6Bytes } from './ip.js';

export const MINUTE_MS = 60_000;
/** Aggregate window: 5 minutes of FLOW time (flow_start), never receive time (DESIGN.md defects). */
export const WINDOW_MS = 5 * MINUTE_MS;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** 5-minute windows in a UTC day: the population of the daily percentiles. */
export const WINDOWS_PER_DAY = DAY_MS / WINDOW_MS;

export const windowStart = (t: number): number => Math.floor(t / WINDOW_MS) * WINDOW_MS;
export const dayStart = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/** IP protocols whose ports are transport ports (TCP, UDP, SCTP); ports of others are kept as they are. */
export const PORT_PROTOCOLS: readonly number[] = [6, 17, 132];
/** Below this: well-known (system) ports, RFC 6335 section 6. */
export const WELL_KNOWN_LIMIT = 1024;
/** From here up: ephemeral ports (Linux default range starts at 32768; IANA's 49152 is inside it). */
export const EPHEMERAL_FROM = 32768;

/**
 * The ephemeral-port rule (DESIGN.md: the aggregate tier keeps the service port and collapses the
 * client's ephemeral port). With s = src_port ?? 0, d = dst_port ?? 0, p = ip_protocol ?? 0:
 *
 *   only when p is 6, 17 or 132, s > 0, d > 0 and s != d; let hi = max(s, d), lo = min(s, d):
 *   the port equal to hi becomes 0 when  hi >= 1024 AND (lo < 1024 OR (hi >= 32768 AND lo < 32768)).
 *   Otherwise both stay (both well-known, both registered 1024..32767, or both ephemeral).
 *
 * Null ports become 0 in the aggregate tier in every case.
 */
export function collapsePorts(
  srcPort: number | null,
  dstPort: number | null,
  ipProtocol: number | null,
): [number, number] {
  const s = srcPort ?? 0;
  const d = dstPort ?? 0;
  const p = ipProtocol ?? 0;
  if (!PORT_PROTOCOLS.includes(p) || s === 0 || d === 0 || s === d) return [s, d];
  const hi = Math.max(s, d);
  const lo = Math.min(s, d);
  const collapse =
    hi >= WELL_KNOWN_LIMIT && (lo < WELL_KNOWN_LIMIT || (hi >= EPHEMERAL_FROM && lo < EPHEMERAL_FROM));
  if (!collapse) return [s, d];
  return s === hi ? [0, d] : [s, 0];
}

/** TCP flag bits (RFC 9293 section 3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Internal by default: RFC 1918 and IPv6 unique local addresses (RFC 4193, fc00::/7). */
export const DEFAULT_INTERNAL_NETWORKS: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
];

/** An address range in the IPv6 (IPv4-mapped) space every backend stores: inclusive bounds, 16 bytes. */
export interface Ipv6Range {
  lo: Uint8Array;
  hi: Uint8Array;
}

/**
 * CIDR -> inclusive IPv6 range; IPv4 prefixes are mapped (::ffff:a.b.c.d/96+len). Null when not a CIDR.
 * A bare address is a /32 or /128.
 */
export function cidrToRange(cidr: string): Ipv6Range | null {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const raw = parseIp(addr);
  if (!raw) return null;
  const maxLen = raw.length * 8;
  let len = maxLen;
  if (slash >= 0) {
    const text = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return null;
    len = Number(text);
    if (len > maxLen) return null;
  }
  const bits = len + (raw.length === 4 ? 96 : 0);
  const lo = toIpv6Bytes(raw).slice();
  const hi = lo.slice();
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    lo[i] &= mask;
    hi[i] = (hi[i] & mask) | (~mask & 0xff);
  }
  return { lo, hi };
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export function inRanges(ip: string | null, ranges: readonly Ipv6Range[]): boolean {
  if (ip === null) return false;
  const raw = parseIp(ip);
  if (!raw) return false;
  const b = toIpv6Bytes(raw);
  return ranges.some((r) => compareBytes(b, r.lo) >= 0 && compareBytes(b, r.hi) <= 0);
}

/** Ranges of the default internal networks plus the configured ones; throws on a bad CIDR. */
export function internalRanges(extra: readonly string[] = []): Ipv6Range[] {
  return [...DEFAULT_INTERNAL_NETWORKS, ...extra].map((c) => {
    const r = cidrToRange(c);
    if (!r) throw new Error(`internalNetworks: not a CIDR: ${c}`);
    return r;
  });
}

export type TrafficDirection = 'internal' | 'egress' | 'ingress' | 'external';

/**
 * is_internal = both ends internal. traffic_direction: internal->internal 'internal', internal->outside
 * 'egress', outside->internal 'ingress', outside->outside 'external' (the design's ELSE 'internal' called
 * transit traffic internal). A null address is never internal.
 */
export function trafficDirection(srcInternal: boolean, dstInternal: boolean): TrafficDirection {
  if (srcInternal && dstInternal) return 'internal';
  if (srcInternal) return 'egress';
  if (dstInternal) return 'ingress';
  return 'external';
}

/**
 * Daily percentiles of 5-minute bytes: nearest rank over ALL 288 windows of the UTC day, zero windows
 * included (the 95th-percentile-billing convention: an idle edge is idle, not unmeasured). Sorted
 * ascending v[1..288]; P_k = v[ceil(k/100 * 288)]: p50 = v[144], p95 = v[274], p99 = v[286].
 */
export const PERCENTILE_RANKS = { p50: 144, p95: 274, p99: 286 } as const;

/** The nearest-rank value at `rank` (1-based) of the day's 288 windows given only the non-zero ones. */
export function percentileOfDay(activeWindowBytes: readonly number[], rank: number): number {
  const sorted = [...activeWindowBytes].sort((a, b) => a - b);
  const zeros = WINDOWS_PER_DAY - sorted.length;
  return rank <= zeros ? 0 : sorted[rank - zeros - 1];
}

/**
 * How every backend prints a stored address: all addresses are kept as IPv6, so an IPv4-mapped address
 * (::ffff:a.b.c.d) reads back as plain IPv4 a.b.c.d; IPv6 in RFC 5952 form. Null stays null.
 */
export function canonicalIp(ip: string | null): string | null {
  if (ip === null) return null;
  const b = parseIp(ip);
  if (!b) return ip;
  if (b.length === 4) return ipv4ToString(b);
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? ipv4ToString(b, 12) : ipv6ToString(b);
}
