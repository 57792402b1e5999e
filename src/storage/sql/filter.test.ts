/**
 * The filter language through the one compiler: every leaf kind on both dialects, values only as bound
 * parameters (never input text in SQL, fuzzed), dependency-only terms refused at their position.
 */
import { describe, expect, it } from 'vitest';
import type { Filter } from '../../query/ast.js';
import { FilterError, parseFilter } from '../../query/filter/index.js';
import { chdbDialect } from '../chdb/query.js';
import { postgresDialect } from '../postgres/query.js';
import { compileFilter, compileTop } from './compile.js';
import type { Dialect } from './dialect.js';

const DIALECTS: [string, Dialect][] = [
  ['chdb', chdbDialect],
  ['postgres', postgresDialect],
];

/** SQL constants the dialects write themselves (type names, sentinels, JSON type names). */
const OWN_LITERALS = [
  `'::ffff:0.0.0.0/96'`,
  `'::ffff:'`,
  `'::'`,
  `'String'`,
  `'Int64'`,
  `'UInt64'`,
  `'Double'`,
  `'string'`,
  `'{}'`,
];
const OWN_NUMBERS = new Set(['0', '1', '4', '1000', '8000', '1000.0', '8000.0']);

/** Fails when SQL text holds anything but the compiler's own words, placeholders and constants. */
function expectOnlyOwnText(sql: string, label: string): void {
  let rest = sql.replace(/\{p\d+:[A-Za-z0-9]+\}/g, ' ').replace(/\$\d+(::[a-z0-9]+)?/g, ' ');
  for (const l of OWN_LITERALS) rest = rest.split(l).join(' ');
  expect(rest, label).not.toMatch(/['"`;]/);
  rest = rest.replace(/\b[A-Za-z_][A-Za-z0-9_]*\b/g, ' ');
  for (const n of rest.match(/\d+(\.\d+)?/g) ?? []) expect(OWN_NUMBERS.has(n), `${label}: ${n}`).toBe(true);
}

/** Every string of the AST (addresses, prefixes, ext keys and values). */
function strings(f: unknown, out: string[] = []): string[] {
  if (typeof f === 'string') out.push(f);
  else if (Array.isArray(f)) for (const x of f) strings(x, out);
  else if (f && typeof f === 'object')
    for (const [k, v] of Object.entries(f))
      if (k !== 'op' && k !== 'field' && k !== 'test' && k !== 'cmp') strings(v, out);
  return out;
}

const FLOW_FILTERS = [
  'src net 10.1.0.0/16 and dst port 443 and not flags A',
  'host 10.0.0.1 or host 2001:db8::1',
  'port in [80 443 8080] and proto tcp and not port 1024-65535',
  'as 65001 and in if 3 and out if 5 and vlan 100',
  'exporter 192.0.2.1 and sampled and sampling > 1 and tos 0x10 or dscp 46',
  'bytes > 10M and packets < 3 and duration > 30s and bps > 1G and pps <= 100k',
  `ext.application_name = "x' OR '1'='1" and ext.vendor.cisco.firewall_event = 2`,
  `exists ext.http_host and ext.http_host ~ "^api\\\\.'; --" and not ext.http_host like "sh%op"`,
];

describe('the filter language through the shared compiler', () => {
  for (const [name, d] of DIALECTS) {
    it(`${name}: every leaf compiles, input only as bound values`, () => {
      for (const text of FLOW_FILTERS) {
        const f = parseFilter(text);
        const c = compileTop(
          { by: ['dst_ip'], metric: 'bytes', limit: 5, filter: f },
          [{ tier: 'raw', from: 0, to: 1 }],
          d,
        );
        if (!c) throw new Error('no statement');
        expectOnlyOwnText(c.sql.replace(/'UTC'/g, ' '), text);
        for (const s of strings(f)) expect(c.sql, text).not.toContain(s);
        // Extended-field keys and values travel as they are (addresses are normalized first).
        const params = JSON.stringify(c.params);
        if (f.op === 'and')
          for (const x of f.filters)
            if (x.op === 'ext') for (const k of x.path) expect(params, text).toContain(JSON.stringify(k));
      }
    });

    it(`${name}: fuzzed filters compile to SQL without input text`, () => {
      let a = 99;
      const r = () => {
        a = (a * 1103515245 + 12345) & 0x7fffffff;
        return a / 0x80000000;
      };
      let compiled = 0;
      for (let i = 0; i < 1500; i++) {
        const base = FLOW_FILTERS[Math.floor(r() * FLOW_FILTERS.length)];
        const cut = Math.floor(r() * base.length);
        const text = r() < 0.5 ? base.slice(0, cut) : `${base.slice(0, cut)} or ${base.slice(cut)}`;
        let f: Filter;
        try {
          f = parseFilter(text);
        } catch (e) {
          expect(e).toBeInstanceOf(FilterError);
          continue;
        }
        const b = d.binder();
        const sql = compileFilter(f, 'raw', d, b);
        expectOnlyOwnText(sql, text);
        for (const s of strings(f)) expect(sql, text).not.toContain(s);
        compiled++;
      }
      expect(compiled).toBeGreaterThan(100);
    });

    it(`${name}: client/server and group/name are refused for flow queries at their position`, () => {
      const b = d.binder();
      expect(() => compileFilter(parseFilter('proto tcp and server port 5432'), 'raw', d, b)).toThrow(
        'at 14: client/server applies to dependency queries only',
      );
      expect(() => compileFilter(parseFilter('group web'), 'aggregates', d, b)).toThrow(
        'at 0: group/name applies to dependency queries only',
      );
    });

    it(`${name}: raw-only leaves are refused on the aggregate tier`, () => {
      for (const text of ['flags S', 'bytes > 1', 'exists ext.a', 'tos 1', 'vlan 1', 'sampled']) {
        expect(() => compileFilter(parseFilter(text), 'aggregates', d, d.binder()), text).toThrow(
          /not available/,
        );
      }
    });
  }

  it('spells bit tests, rates and JSON per dialect', () => {
    const f = parseFilter('flags SA and bps > 1M and ext.a.b = "x"');
    expect(compileFilter(f, 'raw', chdbDialect, chdbDialect.binder())).toBe(
      '(bitAnd(tcp_flags, {p0:Int64}) = {p1:Int64} AND ' +
        '(toFloat64(bytes_total) * 8000 / nullIf((toUnixTimestamp64Milli(flow_end) - toUnixTimestamp64Milli(flow_start)), 0)) > {p2:Float64} AND ' +
        "if(JSONHas(extended_fields, {p3:String}, {p4:String}), JSONType(extended_fields, {p3:String}, {p4:String}) = 'String' AND JSONExtractString(extended_fields, {p3:String}, {p4:String}) = {p5:String}, NULL))",
    );
    expect(compileFilter(f, 'raw', postgresDialect, postgresDialect.binder())).toBe(
      '((tcp_flags & $1::bigint) = $2::bigint AND ' +
        '(bytes_total * 8000.0 / NULLIF((extract(epoch FROM flow_end - flow_start) * 1000), 0)) > $3::numeric AND ' +
        '((extended_fields #> ARRAY[$4::text, $5::text]) = to_jsonb($6::text)))',
    );
  });
});
