/**
 * Tenant isolation as a property, for every store: random flows across several tenants, random queries
 * (top-N on raw and aggregates, planned top-N, series, flow search) with filters built to wide the scope
 * (`or` with catch-alls, `not`, empty `and`/`or`); the scoped answer must equal a plain TypeScript
 * reference computed on the generated data filtered by the scope rule (query/scope.ts rowInScope), and
 * no returned row may lie outside the scope.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FilterField, GroupField } from '../../core/columns.js';
import { FIELD_CATALOG } from '../../core/columns.js';
import type { FlowRecord } from '../../core/record.js';
import { DAY_MS, dayStart, internalRanges } from '../../core/rules.js';
import type { Filter, Metric } from '../../query/ast.js';
import { checkScope, rowInScope, type Scope } from '../../query/scope.js';
import type { FlowStore } from '../port.js';
import { expectTop } from './compare.js';
import { CLIENTS, EXPORTERS, generateFlows, rng, SERVICES } from './generator.js';
import { evalFilter, randomFilter, rawValue, type Value } from './planned.js';
import {
  type RefAggregate,
  referenceAggregates,
  referenceTopAggregates,
  referenceTopRaw,
} from './reference.js';

/** Tenants of the property: exporters only, networks only (IPv4 and IPv6), both, nothing. */
export const TENANTS: Record<string, { exporters?: string[]; networks?: string[] }> = {
  'exp-a': { exporters: ['192.0.2.1'] },
  'net-b': { networks: ['10.1.0.0/24', 'fd00::/16'] },
  'mix-c': { exporters: ['2001:db8:ffff::2'], networks: ['203.0.113.48/29', '172.16.0.0/12'] },
  'empty-d': {},
};

const CATCH_ALL = ['0.0.0.0/0', '::/0', '10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '203.0.113.0/24'];
const BY: GroupField[] = ['src_ip', 'dst_ip', 'exporter_ip', 'dst_port', 'ip_protocol'];

type Pick = <T>(xs: readonly T[]) => T;

/** Filters on fields every tier keeps, shaped to widen the answer: catch-all CIDRs, NOT, OR of everything. */
export function escapeFilter(r: () => number, pick: Pick, depth: number): Filter {
  const roll = r();
  if (depth > 0 && roll < 0.3)
    return {
      op: r() < 0.6 ? 'or' : 'and',
      filters: Array.from({ length: Math.floor(r() * 4) }, () => escapeFilter(r, pick, depth - 1)),
    };
  if (depth > 0 && roll < 0.5) return { op: 'not', filter: escapeFilter(r, pick, depth - 1) };
  if (roll < 0.65) return { op: 'eq', field: 'exporter_ip', value: pick(EXPORTERS).ip };
  if (roll < 0.9) return { op: 'in_cidr', field: pick(['src_ip', 'dst_ip'] as const), cidr: pick(CATCH_ALL) };
  if (roll < 0.95) return { op: 'eq', field: 'dst_port', value: pick([443, 53, 5432]) };
  return { op: 'eq', field: 'ip_protocol', value: pick([6, 17, 1]) };
}

/** An aggregate row's field as a query reads it (the absent-value sentinel reads as NULL). */
export function aggValue(a: RefAggregate, f: FilterField): Value {
  const v = (a as unknown as Record<string, Value>)[f] ?? null;
  const absent = (FIELD_CATALOG[f] as { absent?: string | number }).absent;
  return absent !== undefined && v === absent ? null : v;
}

export interface TenantWorld {
  flows: FlowRecord[];
  aggs: RefAggregate[];
  day: number;
  scopes: Record<string, Scope>;
}

const aggInScope = (a: RefAggregate, s: Scope) =>
  rowInScope(
    {
      exporter_ip: a.exporter_ip,
      src_ip: aggValue(a, 'src_ip') as string | null,
      dst_ip: aggValue(a, 'dst_ip') as string | null,
    },
    s,
  );

export function runTenantConformance(
  name: string,
  open: () => Promise<FlowStore>,
  more?: (ctx: { store: () => FlowStore; world: TenantWorld }) => void,
): void {
  describe(`tenant isolation: ${name}`, () => {
    const day = dayStart(Date.now()) - 2 * DAY_MS;
    const world: TenantWorld = {
      flows: generateFlows({ seed: 110_611, day, conversations: 700 }),
      aggs: [],
      day,
      scopes: {},
    };
    let store: FlowStore;

    beforeAll(async () => {
      store = await open();
      await store.migrate();
      for (let i = 0; i < world.flows.length; i += 2000)
        await store.insertFlows(world.flows.slice(i, i + 2000));
      await store.aggregateWindows(day, day + DAY_MS);
      await store.setAggregatedUntil(day + DAY_MS);
      world.aggs = referenceAggregates(world.flows, internalRanges([]));
      for (const [tenant, def] of Object.entries(TENANTS)) {
        const scope = checkScope(def);
        expect(await store.createTenant({ name: tenant, ...scope, created_at: day })).toBe(true);
        world.scopes[tenant] = { ...scope, tenant };
      }
    }, 120_000);

    it('every tenant has rows of its own and misses rows of others (the data exercises the rule)', () => {
      for (const [tenant, s] of Object.entries(world.scopes)) {
        const n = world.flows.filter((f) => rowInScope(f, s)).length;
        if (tenant === 'empty-d') expect(n).toBe(0);
        else expect(n, tenant).toBeGreaterThan(0);
        expect(n, tenant).toBeLessThan(world.flows.length);
      }
    });

    it('random scoped queries with escaping filters equal the reference on the scoped data', async () => {
      const r = rng(20_261_206);
      const pick: Pick = (xs) => xs[Math.floor(r() * xs.length)];
      const tenants = Object.keys(world.scopes);
      for (let i = 0; i < 32; i++) {
        const tenant = tenants[i % tenants.length];
        const scope = world.scopes[tenant];
        const wide = escapeFilter(r, pick, 3);
        // Raw queries also take the planned suite's filters (flags, measures, extended fields).
        const rawFilter: Filter = r() < 0.5 ? wide : { op: 'or', filters: [wide, randomFilter(r, pick, 2)] };
        const by = r() < 0.5 ? [pick(BY)] : [pick(BY), pick(BY)].filter((f, j, a) => a.indexOf(f) === j);
        const metric = pick<Metric>(['bytes', 'packets', 'flows']);
        const label = `#${i} ${tenant} by ${by} ${metric} raw ${JSON.stringify(rawFilter)}`;
        const range = { from: day, to: day + DAY_MS };
        const limit = 100_000;

        const keepRaw = (f: FlowRecord) =>
          rowInScope(f, scope) && evalFilter(rawFilter, (k) => rawValue(f, k)) === true;
        const raw = await store.query(
          { kind: 'top', ...range, by, metric, limit, tier: 'raw', filter: rawFilter },
          { scope },
        );
        expectTop(raw.rows, referenceTopRaw(world.flows.filter(keepRaw), by, metric), metric, limit, label);

        const keepAgg = (a: RefAggregate) =>
          aggInScope(a, scope) && evalFilter(wide, (k) => aggValue(a, k)) === true;
        const agg = await store.query(
          { kind: 'top', ...range, by, metric, limit, tier: 'aggregates', filter: wide },
          { scope },
        );
        expectTop(
          agg.rows,
          referenceTopAggregates(world.aggs.filter(keepAgg), by, metric),
          metric,
          limit,
          `${label} agg ${JSON.stringify(wide)}`,
        );

        // Planned across the tiers: every group, keyed by the scope's own fields, inside the scope.
        const planned = await store.query(
          {
            kind: 'top',
            from: day - DAY_MS,
            to: Date.now(),
            by: ['exporter_ip', 'src_ip', 'dst_ip'],
            metric,
            limit,
            filter: wide,
          },
          { scope },
        );
        for (const row of planned.rows)
          expect(rowInScope(row as never, scope), `${label} planned ${JSON.stringify(row)}`).toBe(true);

        const series = await store.query(
          { kind: 'series', ...range, by, metric, limit: 5, tier: 'raw', filter: rawFilter, step: 3_600_000 },
          { scope },
        );
        const total = series.rows
          .filter((x) => x.series === 'total')
          .reduce((s, x) => s + Number(x[metric]), 0);
        const want = referenceTopRaw(world.flows.filter(keepRaw), [], metric)[0]?.[metric] ?? 0;
        expect(total, `${label} series`).toBe(want);

        const search = await store.query(
          { kind: 'flow_search', ...range, limit: 5000, filter: rawFilter },
          { scope },
        );
        for (const row of search.rows) expect(rowInScope(row as never, scope), label).toBe(true);
        expect(search.rows.length, `${label} search`).toBe(
          Math.min(5000, world.flows.filter(keepRaw).length),
        );
      }
    }, 300_000);

    it('row queries (flows, aggregate_rows) are scoped too; no scope sees everything', async () => {
      const scope = world.scopes['mix-c'];
      const range = { from: day, to: day + DAY_MS };
      const flows = await store.query({ kind: 'flows', ...range, limit: 100_000 }, { scope });
      expect(flows.rows.length).toBe(world.flows.filter((f) => rowInScope(f, scope)).length);
      for (const row of flows.rows) expect(rowInScope(row as never, scope)).toBe(true);
      const aggs = await store.query({ kind: 'aggregate_rows', ...range }, { scope });
      expect(aggs.rows.length).toBe(world.aggs.filter((a) => aggInScope(a, scope)).length);
      const all = await store.query({ kind: 'flows', ...range, limit: 100_000 });
      expect(all.rows.length).toBe(world.flows.length);
      const none = await store.query(
        { kind: 'top', ...range, by: [], metric: 'flows', limit: 1 },
        { scope: world.scopes['empty-d'] },
      );
      expect(none.rows.map((x) => Number(x.flows))).toEqual([0]);
    });

    it('the daily tier answers a networks-only scope (client or server inside), never an exporter scope', async () => {
      // Edges for every client -> service pair of the generator, then the day rolled up.
      const edges = CLIENTS.flatMap((c, i) =>
        SERVICES.map((sv, j) => ({
          id: `00000000-0000-4000-8000-${String(i * 100 + j).padStart(12, '0')}`,
          client_ip: c,
          server_ip: sv.server,
          server_port: sv.port,
          ip_protocol: sv.proto,
          first_seen: day,
          last_seen: day + DAY_MS - 1,
          service_name: null,
          direction_rule: 'given' as const,
        })),
      );
      await store.upsertDependencies(edges);
      await store.rollupDaily(day);
      const q = {
        kind: 'top' as const,
        from: day,
        to: day + DAY_MS,
        by: ['src_ip', 'dst_ip'] as GroupField[],
        metric: 'bytes' as const,
        limit: 1000,
        tier: 'daily' as const,
      };
      const all = await store.query(q);
      expect(all.rows.length).toBeGreaterThan(0);
      const scope = world.scopes['net-b'];
      const scoped = await store.query(q, { scope });
      // The rule reads only the group keys here, so the scoped answer is the unscoped one filtered by it.
      const want = all.rows.filter((r) =>
        rowInScope({ src_ip: r.src_ip as string, dst_ip: r.dst_ip as string }, scope),
      );
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(all.rows.length);
      expectTop(scoped.rows, want, 'bytes', 1000);
      // The daily tier keeps no exporter: the planner answers nothing from it (a gap), never unscoped rows.
      const exp = await store.query(q, { scope: world.scopes['exp-a'] });
      expect(exp.parts).toEqual([]);
      expect(exp.rows).toEqual([]);
      expect(exp.complete).toBe(false);
    });

    it('tenants are stored, listed by name and deleted', async () => {
      expect((await store.listTenants()).map((t) => t.name)).toEqual(Object.keys(TENANTS).sort());
      const c = await store.getTenant('mix-c');
      expect(c).toMatchObject({
        name: 'mix-c',
        exporters: ['2001:db8:ffff::2'],
        networks: ['203.0.113.48/29', '172.16.0.0/12'],
        groups: [],
        created_at: day,
      });
      expect(await store.createTenant({ ...c!, exporters: [] })).toBe(false);
      expect((await store.getTenant('mix-c'))!.exporters).toEqual(['2001:db8:ffff::2']);
      await store.createTenant({
        name: 'gone',
        exporters: [],
        networks: ['10.0.0.0/8'],
        groups: ['web'],
        created_at: day,
      });
      expect(await store.deleteTenant('gone')).toBe(true);
      expect(await store.deleteTenant('gone')).toBe(false);
      expect(await store.getTenant('gone')).toBeNull();
    });

    more?.({ store: () => store, world });
  });
}
