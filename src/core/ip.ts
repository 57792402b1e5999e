/** Address formatting and parsing: IPv4 dotted, IPv6 RFC 5952 (lower case, longest zero run compressed). */

export function ipv4ToString(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function ipv4FromU32(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function ipv6ToString(b: Uint8Array, off = 0): string {
  // No arrays or closures: this runs for every IPv6 address of every flow (hot decode path).
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5).
  if (
    (b[off] | b[off + 1] | b[off + 2] | b[off + 3] | b[off + 4] | b[off + 5] | b[off + 6] | b[off + 7]) ===
      0 &&
    (b[off + 8] | b[off + 9]) === 0 &&
    b[off + 10] === 0xff &&
    b[off + 11] === 0xff
  ) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  // Longest run of two or more zero words; the first one wins a tie (RFC 5952 section 4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if ((b[off + 2 * i] | b[off + 2 * i + 1]) === 0) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart + 1;
      }
    } else runStart = -1;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && i !== bestStart + bestLen) s += ':';
    s += ((b[off + 2 * i] << 8) | b[off + 2 * i + 1]).toString(16);
  }
  return s;
}

/** Address of 4 or 16 bytes to its canonical string; anything else is not an address. */
export function ipToString(b: Uint8Array, off = 0, len = b.length - off): string | null {
  if (len === 4) return ipv4ToString(b, off);
  if (len === 16) return ipv6ToString(b, off);
  return null;
}

export function macToString(b: Uint8Array, off = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[off + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** Parse an IPv4 or IPv6 string into 4 or 16 bytes; null when it is not an address. */
export function parseIp(s: string): Uint8Array | null {
  if (s.includes(':')) return parseIpv6(s);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | null {
  let text = s;
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex words first.
  if (text.includes('.')) {
    const colon = text.lastIndexOf(':');
    const v4 = parseIp(text.slice(colon + 1));
    if (v4?.length !== 4) return null;
    text = `${text.slice(0, colon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const words = (part: string) => (part === '' ? [] : part.split(':'));
  const head = words(halves[0]);
  const rest = halves.length === 2 ? words(halves[1]) : [];
  const all = [
    ...head,
    ...new Array(halves.length === 2 ? 8 - head.length - rest.length : 0).fill('0'),
    ...rest,
  ];
  if (all.length !== 8 || (halves.length === 2 && head.length + rest.length > 7)) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return null;
    const w = Number.parseInt(all[i], 16);
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 255;
  }
  return out;
}

/** IPv4 as IPv4-mapped IPv6 (16 bytes); IPv6 unchanged. Storage keeps every address as IPv6. */
export function toIpv6Bytes(b: Uint8Array): Uint8Array {
  if (b.length === 16) return b;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(b, 12);
  return out;
}
