import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureIO } from '../testing/io.js';
import { formatCsv, parseTopFlags, runTop } from './query.js';
import { parseFlowsFlags } from './query-flows.js';
import { parseSeriesFlags } from './query-series.js';

const data = mkdtempSync(join(tmpdir(), 'flowlens-query-filter-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('query top --filter', () => {
  it('parses the filter language into the query', () => {
    const q = parseTopFlags({ by: 'dst_ip', filter: 'dst port 443 and not flags A' }, 1_000_000_000);
    expect(q.filter).toEqual({
      op: 'and',
      filters: [
        { op: 'eq', field: 'dst_port', value: 443 },
        { op: 'not', filter: { op: 'flags', mask: 16 } },
      ],
    });
    expect(parseTopFlags({ by: 'dst_ip', filter: '  ' }, 1_000_000_000).filter).toBeUndefined();
  });

  it('a bad filter prints the input with a caret under the offending text and exits 2', async () => {
    const io = captureIO();
    await runTop({ data, by: 'dst_ip', filter: 'src net 10.0.0.0/8 and port https' }, io);
    expect(io.code()).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      'flowlens query top: --filter:\n' +
        'src net 10.0.0.0/8 and port https\n' +
        `${' '.repeat(28)}^^^^^\n` +
        'at 28: expected a port number, got "https"\n',
    );
  });

  it('dependency-only terms are refused for flows at their position', async () => {
    const io = captureIO();
    await runTop({ data, by: 'dst_ip', filter: 'proto tcp and client group payments' }, io);
    expect(io.code()).toBe(2);
    expect(io.err()).toContain(
      `${' '.repeat(14)}^^^^^^\nat 14: client/server applies to dependency queries only\n`,
    );
  });
});

describe('query series / flows flags', () => {
  const now = Date.parse('2026-01-31T12:00:00Z');
  it('series: fields, step and filter into the query; errors name the flag', () => {
    const q = parseSeriesFlags({ by: 'dst_ip', step: '5m', filter: 'dst port 443', from: '-1d' }, now);
    expect(q).toMatchObject({ kind: 'series', by: ['dst_ip'], step: 300_000, limit: 5, metric: 'bytes' });
    expect(q.filter).toEqual({ op: 'eq', field: 'dst_port', value: 443 });
    expect(() => parseSeriesFlags({ by: 'dst_ipx' }, now)).toThrow(/^--by: unknown field/);
    expect(() => parseSeriesFlags({ step: '1m', from: '-30d' }, now)).toThrow(
      /^--step: more than 2000 steps/,
    );
    expect(() => parseSeriesFlags({ limit: '500' }, now)).toThrow(/^--limit: /);
  });

  it('flows: page size and cursor; a range over the cap names --to', () => {
    expect(parseFlowsFlags({ limit: '20', cursor: 'abc_-' }, now)).toMatchObject({
      kind: 'flow_search',
      limit: 20,
      cursor: 'abc_-',
    });
    expect(() => parseFlowsFlags({ limit: '20000' }, now)).toThrow(/^--limit: /);
    expect(() => parseFlowsFlags({ from: '-60d' }, now)).toThrow(/^--to: the range is at most 31 days/);
  });

  it('CSV quotes what needs quoting and leaves nulls empty', () => {
    const csv = formatCsv({ tier: 'raw', columns: ['a', 'b'], rows: [{ a: 'x,"y"', b: null }] });
    expect(csv).toBe('a,b\n"x,""y""",\n');
  });
});
