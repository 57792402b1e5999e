/** Scope validation and shape: canonical lists, one error naming the bad entry, the scope outside the filter. */
import { describe, expect, it } from 'vitest';
import type { Filter } from './ast.js';
import { canonicalCidr, checkScope, inNetworks, rowInScope, scopeFilter, scopeQuery } from './scope.js';

describe('tenant scopes', () => {
  it('canonical CIDRs: host bits cleared, IPv4-mapped prefixes as IPv4, a bare address refused', () => {
    expect(canonicalCidr('10.1.2.3/16')).toBe('10.1.0.0/16');
    expect(canonicalCidr('::ffff:10.1.2.3/104')).toBe('10.0.0.0/8');
    expect(canonicalCidr('2001:DB8::1/32')).toBe('2001:db8::/32');
    expect(canonicalCidr('0.0.0.0/0')).toBe('0.0.0.0/0');
    for (const bad of ['10.0.0.1', '10.0.0.0/33', '10.0.0.0/x', 'fd00::/129', '', '/8', '10.0.0.0/8/8'])
      expect(canonicalCidr(bad), bad).toBeNull();
  });

  it('checkScope canonicalizes, removes repeats and names the first bad entry', () => {
    expect(checkScope({ exporters: ['::ffff:192.0.2.1', '192.0.2.1'], networks: ['10.0.0.9/8'] })).toEqual({
      exporters: ['192.0.2.1'],
      networks: ['10.0.0.0/8'],
      groups: [],
    });
    expect(() => checkScope({ networks: ['10.0.0.0/8', '300.0.0.0/8'] })).toThrow(
      'networks: not a CIDR (address/length): "300.0.0.0/8"',
    );
    expect(() => checkScope({ exporters: ['10.0.0.0/8'] })).toThrow(
      'exporters: not an IP address: "10.0.0.0/8"',
    );
    expect(() => checkScope({ groups: ['ok', ''] })).toThrow('groups: not a group name: ""');
    expect(() => checkScope({ networks: ['::/0'] })).toThrow(
      /networks: "::\/0" covers the IPv4-mapped range/,
    );
    expect(checkScope({ networks: ['::ffff:0:0/96'] }).networks).toEqual(['0.0.0.0/0']);
  });

  it('the scope is ANDed outside the filter (an or/not inside cannot widen it); no scope: unchanged', () => {
    const scope = checkScope({ exporters: ['192.0.2.1'], networks: ['10.0.0.0/8'] });
    const filter: Filter = { op: 'not', filter: { op: 'in_cidr', field: 'src_ip', cidr: '0.0.0.0/0' } };
    const q = { kind: 'flows' as const, from: 0, to: 1, limit: 1, filter };
    expect(scopeQuery(q, scope).filter).toEqual({ op: 'and', filters: [scopeFilter(scope), filter] });
    expect(scopeQuery(q, undefined)).toBe(q);
    expect(scopeQuery({ ...q, filter: undefined }, scope).filter).toEqual(scopeFilter(scope));
    expect(scopeFilter(checkScope({}))).toEqual({ op: 'or', filters: [] });
  });

  it('the reference rule: exporter listed, or source or destination inside a network', () => {
    const s = checkScope({ exporters: ['192.0.2.1'], networks: ['10.0.0.0/8', 'fd00::/16'] });
    expect(rowInScope({ exporter_ip: '192.0.2.1', src_ip: null, dst_ip: null }, s)).toBe(true);
    expect(rowInScope({ exporter_ip: '192.0.2.9', src_ip: '8.8.8.8', dst_ip: '10.255.0.1' }, s)).toBe(true);
    expect(rowInScope({ exporter_ip: '192.0.2.9', src_ip: 'fd00::1', dst_ip: '8.8.8.8' }, s)).toBe(true);
    expect(rowInScope({ exporter_ip: '192.0.2.9', src_ip: '11.0.0.1', dst_ip: 'fd01::1' }, s)).toBe(false);
    expect(inNetworks('::ffff:10.1.1.1', ['10.0.0.0/8'])).toBe(true);
    expect(inNetworks(null, ['0.0.0.0/0'])).toBe(false);
  });
});
