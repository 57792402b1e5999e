/**
 * A tenant scope tested once per group (sql/compile.ts groupScope) gives the answers of the per-row test:
 * random scopes (networks around the generator's addresses at random prefix lengths, nested, overlapping,
 * 0.0.0.0/0, with and without exporters) and top-N queries keyed by both addresses, with filters built to
 * widen the answer. Raw and aggregate tiers are checked against the TypeScript reference on the data
 * filtered by the scope rule (query/scope.ts rowInScope); planned queries across tiers against the same
 * store answering the per-row form (the scope ANDed into the filter by hand).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterField, GroupField } from '../../core/columns.js';
import { DAY_MS, dayStart, internalRanges } from '../../core/rules.js';
import type { Metric, TopQuery } from '../../query/ast.js';
import { checkScope, rowInScope, type Scope, scopeAnd } from '../../query/scope.js';
import { expectTop } from '../conformance/compare.js';
import { CLIENTS, EXPORTERS, generateFlows, rng, SERVICES } from '../conformance/generator.js';
import { evalFilter, rawValue, type Value } from '../conformance/planned.js';
import {
  type RefAggregate,
  referenceAggregates,
  referenceTopAggregates,
  referenceTopRaw,
} from '../conformance/reference.js';
import { aggValue, escapeFilter } from '../conformance/tenants.js';
import { scopeByGroup } from '../sql/compile.js';
import { openChdbStore } from './index.js';
import type { ChdbStore } from './store.js';

const ADDRESSES = [...CLIENTS, ...SERVICES.map((s) => s.server)];
const BY: GroupField[][] = [
  ['src_ip', 'dst_ip'],
  ['dst_ip', 'src_ip'],
  ['src_ip', 'dst_ip', 'dst_port'],
  ['exporter_ip', 'dst_ip', 'src_ip'],
];

function randomScope(r: () => number): Scope {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const networks = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
    if (r() < 0.1) return '0.0.0.0/0';
    const a = pick(ADDRESSES);
    return `${a}/${a.includes(':') ? pick([16, 32, 64, 112, 128]) : pick([8, 12, 16, 24, 30, 32])}`;
  });
  const exporters = EXPORTERS.filter(() => r() < 0.3).map((e) => e.ip);
  return checkScope({ exporters, networks });
}

const aggIn = (a: RefAggregate, s: Scope) =>
  rowInScope(
    {
      exporter_ip: a.exporter_ip,
      src_ip: aggValue(a, 'src_ip') as string | null,
      dst_ip: aggValue(a, 'dst_ip') as string | null,
    },
    s,
  );

describe('tenant scopes tested per group (chdb)', () => {
  const day = dayStart(Date.now()) - 2 * DAY_MS;
  const flows = generateFlows({ seed: 71_206, day, conversations: 700 });
  const aggs = referenceAggregates(flows, internalRanges([]));
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-scope-group-'));
  let store: ChdbStore;

  beforeAll(async () => {
    // groupScopeShare 0: every eligible top-N takes the per-group path, whatever share its scope holds.
    store = await openChdbStore({ dir, groupScopeShare: 0 });
    await store.migrate();
    for (let i = 0; i < flows.length; i += 2000) await store.insertFlows(flows.slice(i, i + 2000));
    await store.aggregateWindows(day, day + DAY_MS);
    await store.setAggregatedUntil(day + DAY_MS);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('random scopes: the same answers as the reference (raw, aggregates) and as the per-row test (planned)', async () => {
    const r = rng(20_261_207);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    let grouped = 0;
    for (let i = 0; i < 40; i++) {
      const scope = randomScope(r);
      const by = pick(BY);
      if (scopeByGroup(by, scope)) grouped++;
      const metric = pick<Metric>(['bytes', 'packets', 'flows']);
      const filter = r() < 0.5 ? escapeFilter(r, pick, 2) : undefined;
      const limit = pick([5, 100_000]);
      const label = `#${i} ${JSON.stringify(scope)} by ${by} ${metric} limit ${limit} ${JSON.stringify(filter)}`;
      const q = { kind: 'top' as const, from: day, to: day + DAY_MS, by, metric, limit, filter };
      const pass = (get: (k: FilterField) => Value) => !filter || evalFilter(filter, get) === true;

      const raw = await store.query({ ...q, tier: 'raw' }, { scope });
      const rawWant = flows.filter((f) => rowInScope(f, scope) && pass((k) => rawValue(f, k)));
      expectTop(raw.rows, referenceTopRaw(rawWant, by, metric), metric, limit, `${label} raw`);

      const agg = await store.query({ ...q, tier: 'aggregates' }, { scope });
      const aggWant = aggs.filter((a) => aggIn(a, scope) && pass((k) => aggValue(a, k)));
      expectTop(agg.rows, referenceTopAggregates(aggWant, by, metric), metric, limit, `${label} agg`);

      // Across tiers from the day before to now (raw and aggregate parts combined in one statement), with
      // the `other` total and the previous period (both ranked again under the scope).
      const planned: TopQuery = { ...q, from: day - DAY_MS, to: Date.now(), other: true, previous: true };
      const perGroup = await store.query(planned, { scope });
      const perRow = await store.query({ ...planned, filter: scopeAnd(filter, scope) });
      expect(perGroup.parts, label).toEqual(perRow.parts);
      // Both end with the `other` row: compared as one more row.
      expectTop(perGroup.rows, perRow.rows, metric, limit + 1, `${label} planned`);
      expect(perGroup.columns).toEqual(perRow.columns);
    }
    // The property exercised the per-group path (most random scopes and keys allow it).
    expect(grouped).toBeGreaterThan(20);
  }, 300_000);
});
