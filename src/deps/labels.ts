/**
 * Host labels: names, groups and service names of addresses and prefixes, each valid over [valid_from,
 * valid_to), so an address that changed hands maps to the right workload on each day. Resolution per
 * attribute: the most specific prefix valid at the time that sets it wins (a /24 can give the group and a
 * /32 inside it the name); among entries of one prefix length, the later entry in the list wins.
 */
import { parseIp, toIpv6Bytes } from '../core/ip.js';
import { parseCidr } from '../core/label-file.js';
import type { HostLabel } from '../storage/port.js';

/** The prefix's first `bits` bits as text: the lookup key of one prefix length. */
function keyOf(b: Uint8Array, bits: number): string {
  let s = '';
  for (let i = 0; i < 16 && i * 8 < bits; i++) {
    const keep = Math.min(8, bits - i * 8);
    s += (b[i] & (0xff << (8 - keep)) & 0xff).toString(16).padStart(2, '0');
  }
  return s;
}

const validAt = (l: HostLabel, at: number) =>
  (l.valid_from === null || at >= l.valid_from) && (l.valid_to === null || at < l.valid_to);

export interface ResolvedLabel {
  name: string | null;
  group: string | null;
}

/** Answers labels for (address, time); caches per address and exact instant (callers ask per day). */
export class LabelResolver {
  /** Prefix lengths present, most specific first, each with its entries by key (list order kept). */
  private readonly levels: { bits: number; byKey: Map<string, HostLabel[]> }[] = [];
  private readonly cache = new Map<string, ResolvedLabel>();
  readonly size: number;

  constructor(labels: readonly HostLabel[]) {
    const byBits = new Map<number, Map<string, HostLabel[]>>();
    for (const l of labels) {
      const p = parseCidr(l.cidr);
      if (!p) throw new Error(`label ${JSON.stringify(l.cidr)}: not an address or CIDR`);
      const level = byBits.get(p.bits) ?? new Map<string, HostLabel[]>();
      byBits.set(p.bits, level);
      const k = keyOf(p.bytes, p.bits);
      level.set(k, [...(level.get(k) ?? []), l]);
    }
    for (const [bits, byKey] of [...byBits].sort((a, b) => b[0] - a[0])) this.levels.push({ bits, byKey });
    this.size = labels.length;
  }

  /** Entries covering the address, most specific first, later entries first within a prefix length. */
  private *covering(ip: string, at: number): Generator<HostLabel> {
    const raw = parseIp(ip);
    if (!raw) return;
    const b = toIpv6Bytes(raw);
    for (const { bits, byKey } of this.levels) {
      const list = byKey.get(keyOf(b, bits));
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) if (validAt(list[i], at)) yield list[i];
    }
  }

  resolve(ip: string, at: number): ResolvedLabel {
    if (this.size === 0) return { name: null, group: null };
    const key = `${ip}@${at}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let name: string | null = null;
    let group: string | null = null;
    for (const l of this.covering(ip, at)) {
      if (name === null && l.name !== '') name = l.name;
      if (group === null && l.group !== '') group = l.group;
      if (name !== null && group !== null) break;
    }
    const out = { name, group };
    this.cache.set(key, out);
    return out;
  }

  /** The operator's service name for server:port at a time: a port-specific entry before a whole-host one. */
  service(ip: string, port: number, at: number): string | null {
    if (this.size === 0) return null;
    let any: string | null = null;
    for (const l of this.covering(ip, at)) {
      if (l.service === null) continue;
      if (l.port === port) return l.service;
      if (l.port === null && any === null) any = l.service;
    }
    return any;
  }
}
