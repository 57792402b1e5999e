import { isIP } from 'node:net';

/** Exporter address as the decoders and the store want it: IPv4-mapped IPv6 (dual-stack sockets) as dotted IPv4. */
export function canonicalAddress(addr: string): string {
  if (addr.startsWith('::ffff:') && addr.indexOf('.') > 0) return addr.slice(7);
  return addr.toLowerCase();
}

/** 128-bit value of an address (IPv4 as IPv4-mapped), for prefix tests. */
function toBigInt(addr: string): bigint | null {
  const a = canonicalAddress(addr);
  const fam = isIP(a);
  if (fam === 4) {
    const p = a.split('.').map(Number);
    return 0xffff00000000n | BigInt(((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0);
  }
  if (fam !== 6) return null;
  let s = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    s = `${s.slice(0, -v4[1].length)}${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(Number.parseInt(g || '0', 16));
  return v;
}

interface Prefix {
  base: bigint;
  mask: bigint;
}

/**
 * Address / CIDR allow-list. Decisions are cached per exporter address (few exporters, many datagrams),
 * so the per-datagram cost is one Map lookup.
 */
export class AddressSet {
  private readonly prefixes: Prefix[] = [];
  private readonly cache = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, len] = c.split('/');
      const v = toBigInt(addr);
      if (v === null) throw new Error(`not an address: ${c}`);
      const v4 = isIP(canonicalAddress(addr)) === 4;
      const bits = len === undefined ? 128 : Number(len) + (v4 ? 96 : 0);
      const mask = bits === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
      this.prefixes.push({ base: v & mask, mask });
    }
  }

  get size(): number {
    return this.prefixes.length;
  }

  has(addr: string): boolean {
    let r = this.cache.get(addr);
    if (r === undefined) {
      const v = toBigInt(addr);
      r = v !== null && this.prefixes.some((p) => (v & p.mask) === p.base);
      if (this.cache.size >= 65_536) this.cache.clear();
      this.cache.set(addr, r);
    }
    return r;
  }
}

/** FNV-1a of the exporter address: which worker owns the exporter's templates. */
export function shardOf(exporter: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < exporter.length; i++) {
    h ^= exporter.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
