import { describe, expect, it } from 'vitest';
import { parseQuery } from './validate.js';

const top = { kind: 'top', by: ['dst_ip'], metric: 'bytes', from: 0, to: 1000, limit: 10 };

describe('parseQuery (query AST from outside)', () => {
  it('accepts every query kind with nested filters', () => {
    const filter = {
      op: 'and',
      filters: [
        { op: 'in_cidr', field: 'src_ip', cidr: '10.0.0.0/8' },
        { op: 'not', filter: { op: 'eq', field: 'dst_port', value: 53 } },
      ],
    };
    expect(parseQuery({ ...top, filter })).toEqual({ ok: true, query: { ...top, filter } });
    expect(parseQuery({ kind: 'flows', from: 0, to: 5, limit: 3 }).ok).toBe(true);
    expect(parseQuery({ kind: 'aggregate_rows', from: 0, to: 5 }).ok).toBe(true);
  });

  it('names what is wrong', () => {
    expect(parseQuery(null)).toMatchObject({ ok: false, error: expect.stringMatching(/^query: /) });
    expect(parseQuery({ ...top, kind: 'drop_table' })).toMatchObject({
      error: expect.stringMatching(/^kind: /),
    });
    expect(parseQuery({ ...top, by: ['src_ip; DROP TABLE x'] })).toMatchObject({
      error: expect.stringMatching(/^by\.0: /),
    });
    expect(parseQuery({ ...top, limit: 0 })).toMatchObject({ error: expect.stringMatching(/^limit: /) });
    expect(parseQuery({ ...top, metric: 'rows' })).toMatchObject({
      error: expect.stringMatching(/^metric: /),
    });
    expect(parseQuery({ ...top, from: 'yesterday' })).toMatchObject({
      error: expect.stringMatching(/^from: /),
    });
    expect(parseQuery({ ...top, from: 1000, to: 1000 })).toEqual({
      ok: false,
      error: 'to: to must be after from',
    });
    expect(
      parseQuery({ ...top, filter: { op: 'in_cidr', field: 'dst_port', cidr: '10.0.0.0/8' } }),
    ).toMatchObject({ error: expect.stringMatching(/^filter\.field: /) });
  });

  it('series, flow search and top options: limits named by parameter', () => {
    const series = { kind: 'series', by: ['dst_ip'], metric: 'flows', from: 0, to: 3_600_000, limit: 5 };
    expect(parseQuery(series).ok).toBe(true);
    expect(parseQuery({ ...series, step: 60_000 }).ok).toBe(true);
    expect(parseQuery({ ...series, step: 90_000 })).toMatchObject({
      error: expect.stringMatching(/^step: /),
    });
    expect(parseQuery({ ...series, to: 86_400_000 * 10, step: 60_000 })).toMatchObject({
      error: expect.stringMatching(/^step: more than 2000 steps/),
    });
    expect(parseQuery({ ...series, limit: 101 })).toMatchObject({ error: expect.stringMatching(/^limit: /) });
    expect(parseQuery({ ...series, to: 86_400_000 * 2000 })).toMatchObject({
      error: expect.stringMatching(/^to: the range is at most/),
    });
    expect(parseQuery({ ...series, bogus: 1 }).ok).toBe(false);
    // A top-N over a century is fine: the plan reads only what the tiers hold.
    const century = { kind: 'top', by: ['dst_ip'], metric: 'bytes', limit: 5 };
    expect(parseQuery({ ...century, from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) }).ok).toBe(true);
    const search = { kind: 'flow_search', from: 0, to: 1000, limit: 100 };
    expect(parseQuery({ ...search, cursor: 'eyJrIjpbXX0' }).ok).toBe(true);
    expect(parseQuery({ ...search, limit: 10_001 })).toMatchObject({
      error: expect.stringMatching(/^limit: /),
    });
    expect(parseQuery({ ...search, cursor: 'a b' })).toMatchObject({
      error: expect.stringMatching(/^cursor: /),
    });
    expect(parseQuery({ ...search, to: 86_400_000 * 40 })).toMatchObject({
      error: expect.stringMatching(/^to: the range is at most 31 days/),
    });
    expect(parseQuery({ ...top, other: true, previous: true }).ok).toBe(true);
    expect(parseQuery({ ...top, other: 'yes' })).toMatchObject({ error: expect.stringMatching(/^other: /) });
  });
});
