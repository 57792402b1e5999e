import { describe, expect, it } from 'vitest';
import { AddressSet, canonicalAddress, shardOf } from './address.js';
import { Admission } from './admission.js';

describe('AddressSet', () => {
  it('matches IPv4 and IPv6 prefixes, and IPv4-mapped addresses as IPv4', () => {
    const s = new AddressSet(['10.1.0.0/16', '192.0.2.7', '2001:db8::/32', '::1']);
    expect(s.has('10.1.255.3')).toBe(true);
    expect(s.has('10.2.0.1')).toBe(false);
    expect(s.has('192.0.2.7')).toBe(true);
    expect(s.has('192.0.2.8')).toBe(false);
    expect(s.has('::ffff:10.1.2.3')).toBe(true);
    expect(s.has('2001:db8:ffff::1')).toBe(true);
    expect(s.has('2001:db9::1')).toBe(false);
    expect(s.has('::1')).toBe(true);
    expect(new AddressSet(['0.0.0.0/0']).has('8.8.8.8')).toBe(true);
    expect(new AddressSet(['0.0.0.0/0']).has('2001:db8::1')).toBe(false);
  });

  it('canonicalizes dual-stack addresses and shards stably', () => {
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(shardOf('192.0.2.1', 4)).toBe(shardOf('192.0.2.1', 4));
    const seen = new Set(Array.from({ length: 64 }, (_, i) => shardOf(`10.0.0.${i}`, 4)));
    expect(seen.size).toBe(4);
  });
});

describe('Admission', () => {
  it('refuses exporters outside the allow-list', () => {
    const a = new Admission({ allow: ['127.0.0.1'], rateLimit: 0 });
    expect(a.check('127.0.0.1', 0)).toBe('ok');
    expect(a.check('127.0.0.2', 0)).toBe('not_allowed');
  });

  it('limits each exporter to its token bucket', () => {
    const a = new Admission({ allow: [], rateLimit: 10, rateBurst: 5 });
    const verdicts = Array.from({ length: 8 }, () => a.check('192.0.2.1', 1000));
    expect(verdicts.filter((v) => v === 'ok').length).toBe(5);
    expect(a.check('192.0.2.2', 1000)).toBe('ok'); // another exporter has its own bucket
    expect(a.check('192.0.2.1', 1100)).toBe('ok'); // 100 ms at 10/s refills one token
    expect(a.check('192.0.2.1', 1100)).toBe('rate_limited');
  });
});
