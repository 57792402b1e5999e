import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GroupField } from '../../core/columns.js';
import type { FlowRecord } from '../../core/record.js';
import { HOUR_MS, internalRanges, WINDOW_MS } from '../../core/rules.js';
import type { Filter, Metric, PlanPart, TopQuery } from '../../query/ast.js';
import { checkScope } from '../../query/scope.js';
import { expectTop } from '../conformance/compare.js';
import { generateFlows, rng } from '../conformance/generator.js';
import { type RefAggregate, referenceAggregates, referenceTopAggregates } from '../conformance/reference.js';
import { Db } from './db.js';
import { withHourly } from './hourly.js';
import { type ChdbStore, openChdbStore } from './index.js';

describe('withHourly (which spans a top-N reads from the hourly rollup)', () => {
  it('covers every part exactly, whole hours from hourlyFrom on aggregates only, at least two of them', () => {
    const r = rng(5);
    for (let i = 0; i < 2000; i++) {
      const t0 = Date.UTC(2024, 0, 1) + Math.floor(r() * 48) * WINDOW_MS;
      const parts: PlanPart[] = [];
      let t = t0;
      for (const tier of ['raw', 'aggregates', 'raw'] as const) {
        const to = t + Math.floor(r() * 60) * WINDOW_MS + (tier === 'raw' ? Math.floor(r() * 1000) : 0);
        if (to > t) parts.push({ tier, from: t, to });
        t = to;
      }
      const hourlyFrom = t0 + Math.floor(r() * 30) * WINDOW_MS;
      const out = withHourly(parts, { from: hourlyFrom });
      // The same spans, in order, adjacent: nothing read twice, nothing left out.
      expect(out.flatMap((p) => [p.from, p.to])).toEqual(
        out.length === 0 ? [] : [parts[0].from, ...out.slice(1).flatMap((p) => [p.from, p.from]), t],
      );
      for (const p of out) {
        const covering = parts.find((q) => q.from <= p.from && p.to <= q.to);
        expect(covering?.tier).toBe(p.tier);
        if (!p.rollup) continue;
        expect(p.tier).toBe('aggregates');
        expect(p.from % HOUR_MS).toBe(0);
        expect(p.to % HOUR_MS).toBe(0);
        expect(p.from).toBeGreaterThanOrEqual(hourlyFrom);
        expect(p.to - p.from).toBeGreaterThanOrEqual(2 * HOUR_MS);
      }
    }
  });
});

describe('the hourly rollup on the embedded store', () => {
  // Two days ago: inside every default retention (the tables' TTLs follow the real clock).
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
  let dir: string;
  let store: ChdbStore;
  let all: FlowRecord[];
  const internal = ['10.0.0.0/8'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-hourly-'));
    store = await openChdbStore({ dir, internalNetworks: internal });
    await store.migrate();
    all = generateFlows({ seed: 11, day, conversations: 3000 });
    await store.insertFlows(all);
    // As the tier jobs run it: window after window, each run moving the watermark.
    for (let w = day; w < day + 12 * HOUR_MS; w += 6 * WINDOW_MS) {
      await store.aggregateWindows(w, w + 6 * WINDOW_MS);
      await store.setAggregatedUntil(w + 6 * WINDOW_MS);
    }
    // Late flows in long-closed hours, aggregated again window by window as TierJobs does.
    const late = generateFlows({ seed: 12, day, conversations: 300 })
      .filter((f) => f.flow_start < day + 10 * HOUR_MS)
      .slice(0, 40);
    await store.insertFlows(late);
    all = [...all, ...late];
    const touched = [...new Set(late.map((f) => Math.floor(f.flow_start / WINDOW_MS) * WINDOW_MS))];
    for (const w of touched) await store.aggregateWindows(w, w + WINDOW_MS);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: { by: GroupField[]; metric: Metric; filter?: Filter }[] = [
    { by: ['dst_ip'], metric: 'bytes' },
    { by: ['src_ip', 'dst_ip'], metric: 'packets' },
    { by: ['dst_port', 'ip_protocol'], metric: 'flows' },
    { by: ['exporter_ip'], metric: 'bytes' },
    { by: ['src_ip'], metric: 'bytes', filter: { op: 'in_cidr', field: 'dst_ip', cidr: '10.0.0.0/8' } },
  ];

  it('answers top-N over whole hours from flow_hourly, as the reference says, late flows included', async () => {
    const spy = vi.spyOn(Db.prototype, 'rows');
    const from = day + 25 * WINDOW_MS; // not on an hour: windows, then hours, then windows
    const to = day + 11 * HOUR_MS + 35 * 60_000;
    const inRange = referenceAggregates(
      all.filter((f) => f.flow_start >= from && f.flow_start < to),
      internalRanges(internal),
    );
    for (const c of cases) {
      spy.mockClear();
      const q: TopQuery = { kind: 'top', ...c, from, to, limit: 15, tier: 'aggregates' };
      const r = await store.query(q);
      const filtered = c.filter
        ? inRange.filter((a) => a.dst_ip.startsWith('10.') || a.dst_ip.startsWith('::ffff:10.'))
        : inRange;
      expectTop(r.rows, referenceTopAggregates(filtered, c.by, c.metric), c.metric, 15, JSON.stringify(c));
      // The plan reported is the tier's; the statement read the rollup.
      expect(r.parts?.map((p) => p.rollup)).toEqual([undefined]);
      expect(spy.mock.calls.some(([sql]) => String(sql).includes('flow_hourly'))).toBe(true);
    }
    spy.mockRestore();
  });

  it('other, the previous period and a tenant scope agree with the reference too', async () => {
    const spy = vi.spyOn(Db.prototype, 'rows');
    const H6 = day + 6 * HOUR_MS;
    const H12 = day + 12 * HOUR_MS;
    const q: TopQuery = {
      kind: 'top',
      by: ['src_ip', 'dst_ip'],
      metric: 'bytes',
      from: H6,
      to: H12,
      limit: 10,
      tier: 'aggregates',
      other: true,
      previous: true,
    };
    const aggs = (from: number, to: number) =>
      referenceAggregates(
        all.filter((f) => f.flow_start >= from && f.flow_start < to),
        internalRanges(internal),
      );
    const in10_1 = (ip: string) => /^(::ffff:)?10\.1\./.test(ip);
    const scoped = (a: RefAggregate) => a.exporter_ip === '192.0.2.1' || in10_1(a.src_ip) || in10_1(a.dst_ip);
    const scope = { tenant: 't', ...checkScope({ exporters: ['192.0.2.1'], networks: ['10.1.0.0/16'] }) };
    for (const [options, keep] of [
      [{}, () => true],
      [{ scope }, scoped],
    ] as const) {
      spy.mockClear();
      const r = await store.query(q, options);
      const now = aggs(H6, H12).filter(keep);
      const before = aggs(day, H6).filter(keep);
      const top = r.rows.filter((x) => x.other === 0);
      const plainTop = top.map((x) => ({ src_ip: x.src_ip, dst_ip: x.dst_ip, bytes: x.bytes }));
      expectTop(plainTop, referenceTopAggregates(now, ['src_ip', 'dst_ip'], 'bytes'), 'bytes', 10);
      const total = now.reduce((s, a) => s + a.bytes_total, 0);
      const other = r.rows.find((x) => x.other === 1);
      expect(other?.bytes).toBe(total - top.reduce((s, x) => s + Number(x.bytes), 0));
      const prev = new Map(
        referenceTopAggregates(before, ['src_ip', 'dst_ip'], 'bytes').map((x) => [
          `${x.src_ip}|${x.dst_ip}`,
          x.bytes,
        ]),
      );
      for (const x of top) expect(x.bytes_previous).toBe(prev.get(`${x.src_ip}|${x.dst_ip}`) ?? 0);
      expect(spy.mock.calls.filter(([sql]) => String(sql).includes('flow_hourly')).length).toBe(3);
    }
    spy.mockRestore();
  });

  const topDst = (from: number, to: number): TopQuery => ({
    kind: 'top',
    by: ['dst_ip'],
    metric: 'bytes',
    from,
    to,
    limit: 15,
    tier: 'aggregates',
  });
  const refTopDst = (from: number, to: number) =>
    referenceTopAggregates(
      referenceAggregates(
        all.filter((f) => f.flow_start >= from && f.flow_start < to),
        internalRanges(internal),
      ),
      ['dst_ip'],
      'bytes',
    );

  it('a series of hourly steps reads the rollup and sums each step as the reference does', async () => {
    const spy = vi.spyOn(Db.prototype, 'rows');
    const from = day + HOUR_MS + 10 * 60_000;
    const to = day + 11 * HOUR_MS;
    const r = await store.query({
      kind: 'series',
      by: ['dst_ip'],
      metric: 'bytes',
      from,
      to,
      step: HOUR_MS,
      limit: 4,
      tier: 'aggregates',
    });
    expect(spy.mock.calls.filter(([sql]) => String(sql).includes('flow_hourly')).length).toBe(2);
    spy.mockRestore();
    const aggs = referenceAggregates(
      all.filter((f) => f.flow_start >= from && f.flow_start < to),
      internalRanges(internal),
    ).filter((a) => a.window_start >= from);
    const want = new Map<string, number>();
    for (const a of aggs) {
      const t = Math.floor(a.window_start / HOUR_MS) * HOUR_MS;
      const add = (k: string) => want.set(k, (want.get(k) ?? 0) + a.bytes_total);
      add(`${t}|total`);
      add(`${t}|${a.dst_ip}`);
    }
    const got = r.rows.filter((x) => x.series !== 'other');
    expect(got.length).toBeGreaterThan(20);
    for (const x of got) {
      const k = `${x.t}|${x.series === 'total' ? 'total' : x.dst_ip}`;
      expect(x.bytes, k).toBe(want.get(k) ?? 0);
    }
  });

  it('hours noted as being rewritten are read from the windows, and built again by the next run', async () => {
    const db = (store as unknown as { db: Db }).db;
    // A process that died between rewriting hours 2-4 and building them: the rollup lacks them.
    await store.putSetting('hourly_pending', `${day + 2 * HOUR_MS},${day + 4 * HOUR_MS}`);
    await db.exec(
      `DELETE FROM flow_hourly WHERE hour >= toDateTime({lo:Int64}, 'UTC') AND hour < toDateTime({hi:Int64}, 'UTC')`,
      { lo: (day + 2 * HOUR_MS) / 1000, hi: (day + 4 * HOUR_MS) / 1000 },
    );
    await store.close(); // the next process
    store = await openChdbStore({ dir, internalNetworks: internal });
    const spy = vi.spyOn(Db.prototype, 'rows');
    const q = topDst(day + HOUR_MS, day + 6 * HOUR_MS);
    expectTop((await store.query(q)).rows, refTopDst(q.from, q.to), 'bytes', 15, 'pending');
    expect(spy.mock.calls.some(([sql]) => String(sql).includes('flow_hourly'))).toBe(false);
    // The next aggregation (any window) builds the noted hours first; the rollup is read again.
    await store.aggregateWindows(day + 11 * HOUR_MS, day + 11 * HOUR_MS + WINDOW_MS);
    expect(await store.getSetting('hourly_pending')).toBe('');
    spy.mockClear();
    expectTop((await store.query(q)).rows, refTopDst(q.from, q.to), 'bytes', 15, 'rebuilt');
    expect(spy.mock.calls.some(([sql]) => String(sql).includes('flow_hourly'))).toBe(true);
    spy.mockRestore();
  });

  it('follows retention: no hour the cutoff cuts is read from the rollup, none before it kept', async () => {
    const db = (store as unknown as { db: Db }).db;
    const count = async (table: string, col: string, lo: number, hi: number) =>
      Number(
        (
          await db.rows<{ n: number }>(
            `SELECT count() AS n FROM ${table} WHERE ${col} >= toDateTime({lo:Int64}, 'UTC') AND ${col} < toDateTime({hi:Int64}, 'UTC')`,
            { lo: lo / 1000, hi: hi / 1000 },
          )
        )[0].n,
      );
    // A cutoff inside an hour (5:25): that hour's windows from 5:25 on stay, its hourly row goes.
    const cut = day + 5 * HOUR_MS + 25 * 60_000;
    expect(await count('flow_hourly', 'hour', day, cut)).toBeGreaterThan(0);
    const now = Date.now();
    const policy = { raw: 30 * 86_400_000, aggregates: now - cut, daily: 800 * 86_400_000 };
    await store.setRetention(policy);
    await store.applyRetention(policy, { dryRun: false, now });
    expect(await count('flow_aggregates', 'window_start', day, cut)).toBe(0);
    expect(await count('flow_aggregates', 'window_start', cut, day + 6 * HOUR_MS)).toBeGreaterThan(0);
    expect(await count('flow_hourly', 'hour', day, cut)).toBe(0);
    expect(await count('flow_hourly', 'hour', day + 6 * HOUR_MS, day + 12 * HOUR_MS)).toBeGreaterThan(0);
    // A forced aggregates top-N across the cutoff: the windows the retention kept, all of them.
    const q = topDst(day, day + 10 * HOUR_MS);
    expectTop((await store.query(q)).rows, refTopDst(cut, q.to), 'bytes', 15, 'after retention');
  });
});

describe('upgrading a store that has aggregates (migration 11)', () => {
  it('starts the rollup after the newest window: older hours are read from the windows', async () => {
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-hourly-up-'));
    const store = await openChdbStore({ dir });
    try {
      await store.migrate();
      const flows = generateFlows({ seed: 21, day, conversations: 400 }).filter(
        (f) => f.flow_start < day + 5 * HOUR_MS,
      );
      await store.insertFlows(flows);
      await store.aggregateWindows(day, day + 5 * HOUR_MS - 20 * 60_000);
      // The store as an older version left it: aggregates, no rollup, migration 11 not applied.
      const db = (store as unknown as { db: Db }).db;
      await db.exec('DROP TABLE flow_hourly');
      await db.exec(`DELETE FROM flowlens_settings WHERE key = 'hourly_from'`);
      await db.exec('DELETE FROM schema_migrations WHERE version = 11');
      await store.migrate();
      expect(await store.getSetting('hourly_from')).toBe(String(day + 5 * HOUR_MS));
      const spy = vi.spyOn(Db.prototype, 'rows');
      const q: TopQuery = {
        kind: 'top',
        by: ['dst_ip'],
        metric: 'bytes',
        from: day,
        to: day + 5 * HOUR_MS,
        limit: 10,
        tier: 'aggregates',
      };
      const r = await store.query(q);
      expect(spy.mock.calls.some(([sql]) => String(sql).includes('flow_hourly'))).toBe(false);
      spy.mockRestore();
      const want = referenceAggregates(
        flows.filter((f) => f.flow_start < day + 5 * HOUR_MS - 20 * 60_000),
        internalRanges([]),
      );
      expectTop(r.rows, referenceTopAggregates(want, ['dst_ip'], 'bytes'), 'bytes', 10);
      // Later hours are aggregated after the upgrade: a top-N across hourly_from reads both.
      const later = generateFlows({ seed: 22, day, conversations: 400 }).filter(
        (f) => f.flow_start >= day + 5 * HOUR_MS && f.flow_start < day + 9 * HOUR_MS,
      );
      await store.insertFlows(later);
      await store.aggregateWindows(day + 5 * HOUR_MS - 20 * 60_000, day + 9 * HOUR_MS);
      const spy2 = vi.spyOn(Db.prototype, 'rows');
      const across = await store.query({ ...q, to: day + 9 * HOUR_MS });
      expect(spy2.mock.calls.some(([sql]) => String(sql).includes('flow_hourly'))).toBe(true);
      spy2.mockRestore();
      const both = referenceAggregates(
        [...flows, ...later].filter((f) => f.flow_start < day + 9 * HOUR_MS),
        internalRanges([]),
      );
      expectTop(across.rows, referenceTopAggregates(both, ['dst_ip'], 'bytes'), 'bytes', 10);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
