import { describe, expect, it } from 'vitest';
import type { Filter } from '../../query/ast.js';
import { checkScope } from '../../query/scope.js';
import { chdbDialect } from '../chdb/query.js';
import { postgresDialect } from '../postgres/query.js';
import { compileFilter, compileTop, QueryError, scopeByGroup } from './compile.js';

const hostile: Filter = {
  op: 'and',
  filters: [
    { op: 'eq', field: 'protocol_type', value: "ipfix' OR '1'='1" },
    { op: 'in_cidr', field: 'src_ip', cidr: '10.0.0.0/8' },
    { op: 'not', filter: { op: 'eq', field: 'dst_port', value: 443 } },
  ],
};

describe('the shared SQL compiler', () => {
  it('PostgreSQL: binds every user value as a numbered parameter, never as SQL text', () => {
    const c = compileTop(
      { by: ['src_ip'], metric: 'bytes', limit: 5, filter: hostile },
      [{ tier: 'raw', from: 0, to: 1000 }],
      postgresDialect,
    );
    if (!c) throw new Error('no statement');
    const values = c.params as unknown[];
    expect(c.sql).not.toContain("'1'='1");
    expect(c.sql).not.toContain('10.0.0.0');
    expect(c.sql).not.toContain('443');
    expect(values).toEqual([
      '1970-01-01T00:00:00.000Z',
      '1970-01-01T00:00:01.000Z',
      "ipfix' OR '1'='1",
      '10.0.0.0/8',
      443,
      5,
    ]);
    for (let i = 1; i <= values.length; i++) expect(c.sql).toContain(`$${i}`);
    expect(c.sql).not.toContain(`$${values.length + 1}`);
  });

  it('ClickHouse: binds every user value as a typed named parameter', () => {
    const aggregatable: Filter = { ...hostile, filters: hostile.filters.slice(1) };
    const c = compileTop(
      {
        by: ['src_ip', 'dst_port'],
        metric: 'flows',
        limit: 7,
        filter: {
          op: 'or',
          filters: [aggregatable, { op: 'eq', field: 'exporter_ip', value: '192.0.2.77' }],
        },
      },
      [
        { tier: 'raw', from: 600_000, to: 900_000 },
        { tier: 'aggregates', from: 0, to: 600_000 },
      ],
      chdbDialect,
    );
    if (!c) throw new Error('no statement');
    const params = c.params as Record<string, unknown>;
    expect(c.sql).not.toContain('192.0.2.77');
    expect(c.sql).not.toContain('443');
    expect(c.sql).toContain('UNION ALL');
    expect(Object.values(params)).toContain('192.0.2.77');
    expect(Object.values(params).filter((v) => v === 443)).toHaveLength(2);
    for (const name of Object.keys(params)) expect(c.sql).toMatch(new RegExp(`\\{${name}:[A-Za-z0-9]+\\}`));
  });

  it('no part, no statement', () => {
    expect(compileTop({ by: [], metric: 'bytes', limit: 1 }, [], chdbDialect)).toBeNull();
  });

  it('refuses fields a tier does not keep and values that are not addresses or integers', () => {
    const spec = { by: ['src_as'], metric: 'flows', limit: 1 } as const;
    expect(() => compileTop(spec, [{ tier: 'aggregates', from: 0, to: 1 }], postgresDialect)).toThrow(
      QueryError,
    );
    const raw = [{ tier: 'raw' as const, from: 0, to: 1 }];
    for (const d of [postgresDialect, chdbDialect]) {
      expect(() =>
        compileTop(
          {
            by: [],
            metric: 'flows',
            limit: 1,
            filter: { op: 'eq', field: 'src_port', value: '1; DROP TABLE x' },
          },
          raw,
          d,
        ),
      ).toThrow(/src_port/);
      expect(() =>
        compileTop(
          {
            by: [],
            metric: 'flows',
            limit: 1,
            filter: { op: 'in_cidr', field: 'dst_ip', cidr: '10.0.0.0/33' },
          },
          raw,
          d,
        ),
      ).toThrow(/dst_ip/);
    }
  });

  it('an aggregate-tier leaf holds for the absent-value sentinel under NOT only (so NOT excludes it, as NULL is on raw)', () => {
    const b = chdbDialect.binder();
    const f: Filter = { op: 'not', filter: { op: 'in_cidr', field: 'src_ip', cidr: '10.0.0.0/8' } };
    expect(compileFilter(f, 'aggregates', chdbDialect, b)).toContain(`src_ip = toIPv6('::')`);
    expect(compileFilter(f, 'raw', chdbDialect, chdbDialect.binder())).not.toContain('::');
    // Outside NOT the leaf never holds for the sentinel: `::/0` or `ip_protocol < 10` must not match it.
    const all: Filter = { op: 'in_cidr', field: 'src_ip', cidr: '::/0' };
    const pos: Filter = { op: 'not', filter: { op: 'not', filter: all } };
    expect(compileFilter(pos, 'aggregates', chdbDialect, chdbDialect.binder())).toContain(
      `src_ip <> toIPv6('::')`,
    );
    // A prefix that cannot contain `::` needs no sentinel test (tenant scopes add one per network and side).
    const notNot: Filter = { op: 'not', filter: f };
    expect(compileFilter(notNot, 'aggregates', chdbDialect, chdbDialect.binder())).not.toContain('::');
    const lt: Filter = { op: 'cmp', field: 'ip_protocol', cmp: '<', value: 10 };
    expect(compileFilter(lt, 'aggregates', postgresDialect, postgresDialect.binder())).toBe(
      '(ip_protocol < $1::bigint AND ip_protocol <> 0)',
    );
  });

  it('tests a scope per group only where that keeps the per-row answer (both addresses keyed, no ::)', () => {
    const s = checkScope({ exporters: ['192.0.2.1'], networks: ['10.0.0.0/8'] });
    expect(scopeByGroup(['src_ip', 'dst_ip'], s)).toBe(true);
    expect(scopeByGroup(['dst_port', 'dst_ip', 'src_ip'], s)).toBe(true);
    expect(scopeByGroup(['src_ip'], s)).toBe(false);
    expect(scopeByGroup(['src_ip', 'dst_ip'], checkScope({ exporters: ['192.0.2.1'] }))).toBe(false);
    // ::/96 holds `::`, what an absent address groups as: the per-row test keeps it out.
    expect(scopeByGroup(['src_ip', 'dst_ip'], checkScope({ networks: ['::/96'] }))).toBe(false);
    const spec = { by: ['src_ip', 'dst_ip'] as const, metric: 'bytes' as const, limit: 5, scope: s };
    const parts = [{ tier: 'aggregates' as const, from: 0, to: 600_000 }];
    const ch = compileTop({ ...spec, by: [...spec.by] }, parts, chdbDialect);
    expect(ch?.sql).toContain(' HAVING ');
    expect(ch?.sql).toContain('sumIf(');
    // PostgreSQL has no per-group form (row-level security tests every row anyway): the scope is in WHERE.
    const pg = compileTop({ ...spec, by: [...spec.by] }, parts, postgresDialect);
    expect(pg?.sql).not.toContain(' HAVING ');
    expect(pg?.sql).toMatch(/WHERE .*exporter_ip = /);
  });
});
