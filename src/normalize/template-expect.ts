/**
 * Test support: expected canonical values computed independently from tshark 4.0.17 strings (the corpus
 * ground truth), never from the code under test. Used by template-corpus.test.ts.
 */
import type { TsharkPacket } from '../decode/testing/corpus.js';

export type TsharkRecord = Record<string, unknown>;

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function int(r: TsharkRecord, ...keys: string[]): number | null {
  for (const k of keys) {
    const s = first(r[k]);
    if (s !== undefined) return s.startsWith('0x') ? Number.parseInt(s, 16) : Number(s);
  }
  return null;
}

function str(r: TsharkRecord, ...keys: string[]): string | null {
  for (const k of keys) {
    const s = first(r[k]);
    if (s !== undefined) return s;
  }
  return null;
}

/** "626836.636000000" (seconds, 9 decimals) -> exact integer milliseconds without float rounding. */
export function secondsToMs(s: string): number {
  const [whole, frac = ''] = s.split('.');
  return Number(whole) * 1000 + Number(`${frac}000`.slice(0, 3));
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** tshark absolute time "Feb  9, 2023 14:22:53.123456000 UTC" -> epoch ms (floored). */
export function tsharkDateToMs(s: string): number {
  const m = /^(\w{3})\s+(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? UTC$/.exec(s.trim());
  if (!m) return Number.NaN;
  const ms = Number(`${m[7] ?? ''}000`.slice(0, 3));
  return Date.UTC(Number(m[3]), MONTHS[m[1]], Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])) + ms;
}

export interface ExpectedColumns {
  src_ip: string | null;
  dst_ip: string | null;
  src_port: number | null;
  dst_port: number | null;
  ip_protocol: number | null;
  bytes_total: number | bigint;
  packets_total: number | bigint;
  tcp_flags: number | null;
  tos: number | null;
  input_interface: number | null;
  output_interface: number | null;
  src_as: number | null;
  dst_as: number | null;
  next_hop: string | null;
  direction: number | null;
}

function counter(r: TsharkRecord, ...keys: string[]): number | bigint {
  const s = str(r, ...keys);
  if (s === null) return 0;
  const b = BigInt(s);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

export function expectedColumns(r: TsharkRecord): ExpectedColumns {
  return {
    src_ip: str(r, 'cflow.srcaddr', 'cflow.srcaddrv6'),
    dst_ip: str(r, 'cflow.dstaddr', 'cflow.dstaddrv6'),
    src_port: int(r, 'cflow.srcport'),
    dst_port: int(r, 'cflow.dstport'),
    ip_protocol: int(r, 'cflow.protocol'),
    bytes_total: counter(
      r,
      'cflow.octets',
      'cflow.permanent_octets',
      'cflow.post_octets',
      'cflow.initiator_octets',
    ),
    packets_total: counter(r, 'cflow.packets', 'cflow.permanent_packets', 'cflow.post_packets'),
    tcp_flags: int(r, 'cflow.tcpflags'),
    tos: int(r, 'cflow.tos'),
    input_interface: int(r, 'cflow.inputint'),
    output_interface: int(r, 'cflow.outputint'),
    src_as: int(r, 'cflow.srcas'),
    dst_as: int(r, 'cflow.dstas'),
    next_hop: str(r, 'cflow.nexthop', 'cflow.nexthopv6', 'cflow.bgpnexthop', 'cflow.bgpnexthopv6'),
    direction: int(r, 'cflow.direction'),
  };
}

/**
 * Expected flow start/end, or null when tshark gives nothing to compute them from. v9: tshark's
 * timestart/timeend are seconds of sysUptime; absolute = unix_secs*1000 - (sysuptime - t)*1000.
 * IPFIX with IE 21/22: tshark shows seconds since system init; `sysInit` is the IE 160 value tshark
 * showed in earlier options data of the domain (null: unknown, only the duration is checkable).
 */
export function expectedTimes(
  pkt: TsharkPacket,
  r: TsharkRecord,
  sysInit: number | null,
): { start: number | null; end: number | null; duration: number | null } {
  const h = pkt.header ?? {};
  let absStart = str(r, 'cflow.abstimestart');
  const absEnd = str(r, 'cflow.abstimeend');
  let ts = str(r, 'cflow.timestart');
  const te = str(r, 'cflow.timeend');
  // tshark quirk: a relative start of exactly 0 (IE 22 = 0) is printed as the absolute time 1970-01-01
  // next to a relative end; it is the relative value 0, not an absolute time.
  if (absStart !== null && ts === null && te !== null && tsharkDateToMs(absStart) === 0) {
    absStart = null;
    ts = '0';
  }
  if (h['cflow.version'] === '9' && ts !== null && te !== null && absStart === null) {
    const base = Number(h['cflow.unix_secs']) * 1000;
    const up = secondsToMs(h['cflow.sysuptime']);
    return { start: base - (up - secondsToMs(ts)), end: base - (up - secondsToMs(te)), duration: null };
  }
  if (absStart !== null || absEnd !== null) {
    return {
      start: absStart !== null ? tsharkDateToMs(absStart) : null,
      end: absEnd !== null ? tsharkDateToMs(absEnd) : null,
      duration: null,
    };
  }
  if (ts !== null && te !== null) {
    if (sysInit !== null)
      return { start: sysInit + secondsToMs(ts), end: sysInit + secondsToMs(te), duration: null };
    return { start: null, end: null, duration: secondsToMs(te) - secondsToMs(ts) };
  }
  return { start: null, end: null, duration: null };
}
