/**
 * The values of filter terms: numbers with their suffixes, protocol names, TCP flag letters. Each
 * returns null for text it does not accept; the parser turns that into a positioned error naming what
 * was expected.
 */
import { TCP_FLAG_BITS } from '../../core/columns.js';

/** nfdump's scale suffixes are decimal (10M = 10,000,000), for bytes, packets and rates alike. */
export const SCALE: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/** Durations are in milliseconds (nfdump's unit); a suffix names another unit. */
export const TIME: Record<string, number> = { '': 1, ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

const NUMBER = /^(0x[0-9a-f]+|\d+(?:\.\d+)?)([a-z]*)$/i;

/** A number with an optional unit suffix from `units` (case-insensitive); null when not one. */
export function parseMeasure(text: string, units: Record<string, number>): number | null {
  const m = NUMBER.exec(text);
  if (!m) return null;
  const unit = units[m[2].toLowerCase()];
  if (unit === undefined) return null;
  const n = m[1].toLowerCase().startsWith('0x') ? Number.parseInt(m[1].slice(2), 16) : Number(m[1]);
  const v = n * unit;
  // Round away binary noise of decimal fractions (1.1K is 1100, not 1100.0000000000002).
  const r = Number(v.toPrecision(15));
  return Number.isFinite(r) && r <= Number.MAX_SAFE_INTEGER ? r : null;
}

/** An integer in [0, max], decimal or 0x hex, without suffix. */
export function parseInteger(text: string, max: number): number | null {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) return null;
  const n = text.toLowerCase().startsWith('0x') ? Number.parseInt(text.slice(2), 16) : Number(text);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}

/** IANA protocol numbers of the names people type (and nfdump accepts). */
export const PROTOCOLS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmp6: 58,
  ipv6_icmp: 58,
  sctp: 132,
};

export function parseProtocol(text: string): number | null {
  return PROTOCOLS[text.toLowerCase()] ?? parseInteger(text, 255);
}

/** `SA` -> SYN|ACK. Letters as nfdump prints them (C E U A P R S F), case-insensitive. */
export function parseFlags(text: string): number | null {
  let mask = 0;
  for (const c of text.toUpperCase()) {
    const bit = (TCP_FLAG_BITS as Record<string, number>)[c];
    if (bit === undefined) return null;
    mask |= bit;
  }
  return mask === 0 ? null : mask;
}
