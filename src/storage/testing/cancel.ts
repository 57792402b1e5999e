/**
 * Engine cancellation, the same for every store: a query heavy enough to outlast a short limit (a regular
 * expression over the extended fields of every raw flow) is stopped by the engine with QueryTimeoutError,
 * the same query runs to the end without a limit, and cancelled queries leave the store usable.
 */
import { expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { HOUR_MS } from '../../core/rules.js';
import type { Query } from '../../query/ast.js';
import { QueryTimeoutError } from '../../query/errors.js';
import type { FlowStore } from '../port.js';

export const CANCEL_START = Date.UTC(2025, 2, 1);

/** `n` raw flows over one hour, each with a long text field the slow filter matches against. */
export function slowFlows(n: number): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = CANCEL_START + Math.floor((i * HOUR_MS) / n);
    out.push({
      ...emptyRecord('ipfix', '192.0.2.1', t),
      flow_start: t,
      flow_end: t + 1000,
      src_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      dst_ip: '10.200.0.1',
      src_port: 1024 + (i % 60000),
      dst_port: 443,
      ip_protocol: 6,
      bytes_total: 1000 + (i % 977),
      packets_total: 3,
      extended_fields: { sampling_source: 'none', note: `${'abcdefgh'.repeat(24)}-${i}` },
    });
  }
  return out;
}

/** A top-N whose filter reads and matches every row's extended fields (no index helps). */
export const SLOW_QUERY: Query = {
  kind: 'top',
  by: ['src_ip'],
  metric: 'bytes',
  limit: 10,
  tier: 'raw',
  from: CANCEL_START,
  to: CANCEL_START + HOUR_MS,
  filter: {
    op: 'ext',
    path: ['note'],
    test: 'regex',
    value: '^(a|b|c|d|e|f|g|h)*(x|y)?[a-h]+-[0-9]*7$',
  },
};

export function cancellationTests(store: () => FlowStore, rows: number): void {
  it('the engine cancels a query at its time limit (QueryTimeoutError)', async () => {
    const t0 = Date.now();
    const err = await store()
      .query(SLOW_QUERY, { timeoutMs: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect((err as QueryTimeoutError).timeoutMs).toBe(1);
    // Cancelled by the engine, not after running to the end.
    const cancelledIn = Date.now() - t0;
    const t1 = Date.now();
    const full = await store().query(SLOW_QUERY);
    const fullIn = Date.now() - t1;
    expect(full.rows.length).toBe(10);
    expect(cancelledIn).toBeLessThan(fullIn);
  });

  it('a limit the query fits in changes nothing in the answer', async () => {
    const a = await store().query(SLOW_QUERY);
    const b = await store().query(SLOW_QUERY, { timeoutMs: 120_000 });
    expect(b.rows).toEqual(a.rows);
    expect(a.rows.length).toBe(10);
    expect(rows).toBeGreaterThan(0);
  });

  it('cancelled queries leave the store usable, and the limit does not stay with the connection', async () => {
    for (let i = 0; i < 8; i++)
      await expect(store().query(SLOW_QUERY, { timeoutMs: 1 })).rejects.toBeInstanceOf(QueryTimeoutError);
    // Every pooled connection served a cancelled query above; without a limit the slow query completes.
    const all = await Promise.all([1, 2, 3, 4].map(() => store().query(SLOW_QUERY)));
    for (const r of all) expect(r.rows.length).toBe(10);
  });

  it('more concurrent limited queries than a connection pool holds all answer', async () => {
    const all = await Promise.all(
      Array.from({ length: 12 }, () => store().query(SLOW_QUERY, { timeoutMs: 120_000 })),
    );
    for (const r of all) expect(r.rows.length).toBe(10);
  });

  it('a bad limit is one clear error', async () => {
    await expect(store().query(SLOW_QUERY, { timeoutMs: -5 })).rejects.toThrow(/timeoutMs/);
    await expect(store().query(SLOW_QUERY, { timeoutMs: Number.NaN })).rejects.toThrow(/timeoutMs/);
  });
}
