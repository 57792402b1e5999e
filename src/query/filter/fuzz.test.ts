/**
 * Fuzzed input (issue 10): random token soup and mutations of valid filters give an AST that validates,
 * or a FilterError positioned inside the input; never another exception.
 */
import { describe, expect, it } from 'vitest';
import { filterSchema } from '../validate.js';
import { FilterError, parseFilter } from './index.js';

/** mulberry32: a small seeded generator, so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  'src net 10.1.0.0/16 and dst port 443 and not flags A',
  'host 10.0.0.1 or host 2001:db8::1',
  'port in [80 443 8080] and proto tcp',
  'src port 1024-65535 and dst port > 1023',
  'as 65001 and in if 3 and out if 5 and vlan 100',
  'exporter 192.0.2.1 and sampled and sampling > 1',
  'flags S and not flags A and tos 0x10 or dscp 46',
  'bytes > 10M and packets < 3 and duration > 30s and bps > 1G and pps < 100k',
  'ext.application_name = "HTTPS" and ext.vendor.cisco.firewall_event = 2',
  'exists ext.http_host and ext.http_host ~ "^api" and ext.http_host like "shop%"',
  'server port 5432 and client group payments',
  'not (proto udp and (dst port 53 or name "dns"))',
];

const SOUP = [
  ...'host src dst net port proto as if in out vlan exporter sampled sampling flags tos dscp bytes packets duration bps pps exists group name client server and or not like ext.a ext.b.c'.split(
    ' ',
  ),
  ...'10.0.0.1 10.1.0.0/16 2001:db8::1 ::/0 443 0x10 10M 30s 1.5k 1024-65535 SA tcp icmp6 -1 1e9 99999999999999999999'.split(
    ' ',
  ),
  ...'( ) [ ] , < <= = == != >= > ~ !'.split(' '),
  '"HTTPS"',
  "'x'",
  '"unterminated',
  '"a\\"b"',
  '$',
  '\u0000',
  '\u{1F600}',
  '\t',
  '\n',
  ';DROP TABLE flow_records;--',
];

function check(text: string): 'ast' | 'error' {
  try {
    const f = parseFilter(text);
    const v = filterSchema.safeParse(f);
    if (!v.success) throw new Error(`invalid AST for ${JSON.stringify(text)}: ${v.error.message}`);
    return 'ast';
  } catch (e) {
    if (!(e instanceof FilterError)) throw new Error(`${JSON.stringify(text)}: ${(e as Error).stack}`);
    expect(e.position, text).toBeGreaterThanOrEqual(0);
    expect(e.position, text).toBeLessThanOrEqual(text.length);
    expect(e.message).toMatch(/^at \d+: /);
    return 'error';
  }
}

describe('parseFilter under fuzzing', () => {
  it('random token soup: an AST or a positioned FilterError', () => {
    const r = rng(10);
    const seen = { ast: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(r() * 12);
      const parts = Array.from({ length: n }, () => SOUP[Math.floor(r() * SOUP.length)]);
      seen[check(parts.join(r() < 0.8 ? ' ' : ''))]++;
    }
    expect(seen.ast).toBeGreaterThan(0);
    expect(seen.error).toBeGreaterThan(1000);
  });

  it('mutations of valid filters: an AST or a positioned FilterError', () => {
    const r = rng(11);
    const chars = ' ()[]<>=!~"\'.:/-,0123456789abcdefxyzSAF%\\';
    const seen = { ast: 0, error: 0 };
    for (let i = 0; i < 4000; i++) {
      let s = VALID[Math.floor(r() * VALID.length)];
      const edits = 1 + Math.floor(r() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(r() * (s.length + 1));
        const roll = r();
        if (roll < 0.3) s = s.slice(0, at) + s.slice(at + 1);
        else if (roll < 0.6) s = s.slice(0, at) + chars[Math.floor(r() * chars.length)] + s.slice(at);
        else if (roll < 0.75) s = s.slice(0, at);
        else if (roll < 0.9) {
          const len = Math.floor(r() * 12);
          s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
        } else s = s.slice(at) + s.slice(0, at);
      }
      seen[check(s)]++;
    }
    expect(seen.ast).toBeGreaterThan(100);
    expect(seen.error).toBeGreaterThan(1000);
  });

  it('every valid filter of the corpus parses', () => {
    for (const v of VALID) expect(check(v)).toBe('ast');
  });

  it('a 200-character filter parses well under a millisecond', () => {
    const text =
      'src net 10.1.0.0/16 and dst port in [80 443 8080] and not flags A and proto tcp and bytes > 10M and ' +
      'ext.application_name = "HTTPS" and (host 2001:db8::1 or exporter 192.0.2.1) and duration > 30s and sampled';
    expect(text.length).toBeGreaterThanOrEqual(200);
    parseFilter(text);
    const n = 2000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseFilter(text);
    const each = (performance.now() - t0) / n;
    console.log(`parse of a ${text.length}-character filter: ${(each * 1000).toFixed(1)} µs`);
  });
});
