import { describe, expect, it } from 'vitest';
import { ipv6ToString } from './ip.js';
import {
  canonicalIp,
  cidrToRange,
  inRanges,
  internalRanges,
  PERCENTILE_RANKS,
  percentileOfDay,
  trafficDirection,
} from './rules.js';

describe('address rules', () => {
  it('CIDR ranges in the IPv4-mapped space', () => {
    const r = cidrToRange('10.0.0.0/8')!;
    expect([ipv6ToString(r.lo), ipv6ToString(r.hi)]).toEqual(['::ffff:10.0.0.0', '::ffff:10.255.255.255']);
    const u = cidrToRange('fc00::/7')!;
    expect([ipv6ToString(u.lo), ipv6ToString(u.hi)]).toEqual([
      'fc00::',
      'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
    expect(ipv6ToString(cidrToRange('192.0.2.7')!.hi)).toBe('::ffff:192.0.2.7');
    expect(cidrToRange('10.0.0.0/33')).toBeNull();
    expect(cidrToRange('nope/8')).toBeNull();
  });
  it('internal networks: RFC 1918, ULA, configured; null never', () => {
    const nets = internalRanges(['198.51.100.0/24']);
    expect(
      ['10.1.1.1', '172.31.255.255', '192.168.0.1', 'fd00::1', '198.51.100.9'].map((ip) =>
        inRanges(ip, nets),
      ),
    ).toEqual([true, true, true, true, true]);
    expect(['172.32.0.1', '8.8.8.8', '2001:db8::1', 'fe80::1'].map((ip) => inRanges(ip, nets))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(inRanges(null, nets)).toBe(false);
    expect(() => internalRanges(['10.0.0.0/99'])).toThrow(/10.0.0.0\/99/);
    expect([
      trafficDirection(true, true),
      trafficDirection(true, false),
      trafficDirection(false, true),
      trafficDirection(false, false),
    ]).toEqual(['internal', 'egress', 'ingress', 'external']);
  });
  it('prints stored addresses: mapped as IPv4, IPv6 per RFC 5952', () => {
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp(null)).toBeNull();
  });
});

describe('daily percentiles: nearest rank over 288 windows, idle ones as 0', () => {
  it('ranks are ceil(k/100 * 288)', () => {
    expect(PERCENTILE_RANKS).toEqual({
      p50: Math.ceil(0.5 * 288),
      p95: Math.ceil(0.95 * 288),
      p99: Math.ceil(0.99 * 288),
    });
  });
  it('hand-worked: 20 active windows of 1..20', () => {
    const v = Array.from({ length: 20 }, (_, i) => i + 1);
    // 268 zeros then 1..20: v[274] = 6, v[286] = 18, v[144] = 0.
    expect(percentileOfDay(v, PERCENTILE_RANKS.p50)).toBe(0);
    expect(percentileOfDay(v, PERCENTILE_RANKS.p95)).toBe(6);
    expect(percentileOfDay(v, PERCENTILE_RANKS.p99)).toBe(18);
  });
  it('a fully active day', () => {
    const v = Array.from({ length: 288 }, (_, i) => 288 - i);
    expect(percentileOfDay(v, PERCENTILE_RANKS.p50)).toBe(144);
  });
});
