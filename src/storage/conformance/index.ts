/**
 * The FlowStore conformance suite: every backend runs it and must give the same RESULTS as the plain
 * TypeScript reference (reference.ts) for raw counts, every canonical column, aggregate rows, daily stats
 * and top-N, plus idempotency, late flows, retention and decoder state.
 *
 *   runConformance('chdb', () => openChdbStore({ dir, internalNetworks: CONFORMANCE_INTERNAL_NETWORKS }))
 *
 * `open` must return an empty store configured with CONFORMANCE_INTERNAL_NETWORKS and the default
 * retention. The suite migrates it itself. Data lies in yesterday (UTC), inside every default retention,
 * so engine TTLs keep it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIFLOW_FIELD_NAMES } from '../../core/biflow-fields.js';
import { type FlowRecord, isFlow } from '../../core/record.js';
import { DAY_MS, dayStart, HOUR_MS, internalRanges, WINDOW_MS } from '../../core/rules.js';
import type { GroupField, Metric, QueryResult, TopQuery } from '../../query/ast.js';
import { type ConversationTotalsRow, type DependencyEdge, type FlowStore, normalizeEdge } from '../port.js';
import { encodeRows } from '../testing/encoded.js';
import { expectTop, flowRow, normalizeRow, sortByJson } from './compare.js';
import { dependencyMapCases } from './dependency-map.js';
import { CLIENTS, generateFlows, rng, SERVICES, shuffle } from './generator.js';
import { hugeBiflowFlows, withBiflowEvidence } from './generator-biflow.js';
import {
  aggKey,
  type RefAggregate,
  type Row,
  referenceAggregates,
  referenceRollup,
  referenceTopAggregates,
  referenceTopDaily,
  referenceTopRaw,
} from './reference.js';
import { flowBiflow, NO_BIFLOW, referenceConversationTotals } from './reference-biflow.js';

export { expectTop } from './compare.js';
export { EXPORTERS, generateFlows, SERVICES, shuffle } from './generator.js';

/** Internal networks the store under test must be configured with (besides RFC 1918 and fc00::/7). */
export const CONFORMANCE_INTERNAL_NETWORKS = ['203.0.113.48/29'];

export interface ConformanceOptions {
  /**
   * Decoded corpus captures to store along with the generated flows. Their times are moved into the test
   * day (flow_start keeps its time of day, duration capped at one hour) so retention keeps them.
   */
  corpus?: () => Promise<FlowRecord[]>;
  seed?: number;
  conversations?: number;
}

function uuid(r: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16));
  h[12] = '4';
  h[16] = '8';
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

function moveIntoDay(f: FlowRecord, day: number): FlowRecord {
  const start = day + Math.floor(((f.flow_start % DAY_MS) + DAY_MS) % DAY_MS);
  const end = Math.min(
    start + Math.floor(Math.min(Math.max(f.flow_end - f.flow_start, 0), HOUR_MS)),
    day + DAY_MS - 1,
  );
  return { ...f, flow_start: start, flow_end: end, received_at: end + 1000 };
}

const aggJson = ['protocol_sources', 'interfaces'];

/** The row as the stores return it: a sum beyond 2^53 as its exact decimal text. */
function refAggRow(a: RefAggregate): Record<string, unknown> {
  const { unsafe, ...row } = a;
  return { ...row, ...unsafe };
}

export function runConformance(
  name: string,
  open: () => Promise<FlowStore>,
  options: ConformanceOptions = {},
): void {
  describe(`FlowStore conformance: ${name}`, () => {
    const day = dayStart(Date.now()) - DAY_MS;
    const seed = options.seed ?? 20_241_224;
    const internal = internalRanges(CONFORMANCE_INTERNAL_NETWORKS);
    const generated = [
      ...withBiflowEvidence(
        generateFlows({ seed, day, conversations: options.conversations ?? 3000 }),
        seed + 5,
      ),
      ...hugeBiflowFlows(day),
    ];
    let all: FlowRecord[] = [];
    let store: FlowStore;
    const er = rng(seed + 1);
    const edges: DependencyEdge[] = [];
    for (const svc of SERVICES) {
      for (const client of CLIENTS) {
        if (client.includes(':') !== svc.server.includes(':')) continue;
        edges.push({
          id: uuid(er),
          client_ip: client,
          server_ip: svc.server,
          server_port: svc.port,
          ip_protocol: svc.proto,
          first_seen: day,
          last_seen: day + HOUR_MS,
          service_name: null,
          direction_rule: 'given',
        });
      }
    }

    const aggRows = async (): Promise<Record<string, unknown>[]> => {
      const r = await store.query({ kind: 'aggregate_rows', from: day - DAY_MS, to: day + 2 * DAY_MS });
      expect(r.tier).toBe('aggregates');
      return r.rows.map((x) => normalizeRow(x, aggJson)).sort((a, b) => (aggKey(a) < aggKey(b) ? -1 : 1));
    };
    const refAggs = () => referenceAggregates(all, internal);
    const expectAggsEqualReference = async () => {
      const want = refAggs()
        .map(refAggRow)
        .sort((a, b) => (aggKey(a) < aggKey(b) ? -1 : 1));
      const got = await aggRows();
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++)
        expect(got[i], `aggregate row ${aggKey(want[i])}`).toEqual(want[i]);
    };
    const top = (q: Omit<TopQuery, 'kind'>): Promise<QueryResult> => store.query({ kind: 'top', ...q });

    beforeAll(async () => {
      store = await open();
      const corpus = options.corpus ? await options.corpus() : [];
      all = [...generated, ...corpus.filter(isFlow).map((f) => moveIntoDay(f, day))];
    });
    afterAll(async () => {
      await store?.close();
    });

    it('migrates, and migrating again applies nothing', async () => {
      const first = await store.migrate();
      expect(first.applied.length).toBeGreaterThan(0);
      const again = await store.migrate();
      expect(again.applied).toEqual([]);
      expect(again.from).toBe(first.to);
      expect(again.to).toBe(first.to);
    });

    it('stores every raw flow, inserted out of order in several batches', async () => {
      const shuffled = shuffle(all, seed + 2);
      // With a RowEncoding, every other batch goes in as serve stores it: encoded by the worker-side
      // encoder, in chunks (the encoder must take every flow insertFlows takes, and store the same).
      for (let i = 0, k = 0; i < shuffled.length; i += 1000, k++) {
        const batch = shuffled.slice(i, i + 1000);
        if (store.rowEncoding && k % 2 === 1)
          await store.rowEncoding.insertEncoded(await encodeRows(store.rowEncoding, batch, 3));
        else await store.insertFlows(batch);
      }
      const r = await top({ by: [], metric: 'flows', from: day, to: day + DAY_MS, limit: 1, tier: 'raw' });
      expect(r.rows).toEqual([{ flows: all.length }]);
    });

    it('keeps every canonical column of every raw flow', async () => {
      const r = await store.query({ kind: 'flows', from: day, to: day + DAY_MS, limit: all.length + 10 });
      expect(r.rows.length).toBe(all.length);
      const norm = (x: Row) => normalizeRow(x, ['extended_fields']);
      const got = sortByJson(r.rows.map(norm));
      const want = sortByJson(all.map(flowRow).map(norm));
      for (let i = 0; i < want.length; i++)
        expect(got[i], `flow ${JSON.stringify(want[i])}`).toEqual(want[i]);
      // Newest first.
      for (let i = 1; i < r.rows.length; i++) {
        expect(r.rows[i - 1].flow_start as number).toBeGreaterThanOrEqual(r.rows[i].flow_start as number);
      }
    });

    it('aggregates 5-minute windows by flow time exactly like the reference', async () => {
      const rep = await store.aggregateWindows(day, day + DAY_MS);
      const want = refAggs();
      expect(rep.rows).toBe(want.length);
      expect(rep.windows).toBe(new Set(want.map((a) => a.window_start)).size);
      await expectAggsEqualReference();
      // The fixed defect: the client's ephemeral port is gone, the service port stays.
      const rows = await aggRows();
      expect(rows.some((a) => a.dst_port === 443 && a.src_port === 0 && a.ip_protocol === 6)).toBe(true);
      const ephemeralLeft = (a: Record<string, unknown>) =>
        [6, 17].includes(a.ip_protocol as number) &&
        (a.src_port as number) >= 32768 &&
        (a.dst_port as number) > 0 &&
        (a.dst_port as number) < 32768;
      expect(rows.filter(ephemeralLeft)).toEqual([]);
    });

    it('re-running aggregation over the same period gives identical rows', async () => {
      const before = await aggRows();
      await store.aggregateWindows(day, day + DAY_MS);
      await store.aggregateWindows(day + 3 * HOUR_MS + 7, day + 4 * HOUR_MS);
      expect(await aggRows()).toEqual(before);
    });

    it('late flows: re-aggregating the windows they touch gives the all-data result', async () => {
      const late = withBiflowEvidence(generateFlows({ seed: seed + 3, day, conversations: 40 }), seed + 6)
        .slice(-60)
        .map((f) => ({ ...f, received_at: f.flow_end + 3 * HOUR_MS }));
      if (store.rowEncoding) await store.rowEncoding.insertEncoded(await encodeRows(store.rowEncoding, late));
      else await store.insertFlows(late);
      all = [...all, ...late];
      const touched = [...new Set(late.map((f) => Math.floor(f.flow_start / WINDOW_MS) * WINDOW_MS))];
      for (const w of touched) await store.aggregateWindows(w, w + WINDOW_MS);
      await expectAggsEqualReference();
    });

    it('keeps biflow evidence per aggregate row and sums it per conversation like the reference', async () => {
      // The world must exercise every column and the unreadable values, or the comparisons prove little.
      const aggs = refAggs();
      for (const c of Object.keys(NO_BIFLOW) as (keyof typeof NO_BIFLOW)[])
        expect(aggs.filter((a) => a[c] > 0).length, c).toBeGreaterThan(10);
      expect(aggs.some((a) => a.reverse_bytes > 2 ** 40)).toBe(true);
      expect(aggs.filter((a) => a.unsafe).map((a) => a.unsafe)).toEqual([
        { reverse_bytes: '5611686018427387906', reverse_packets: '1152921504606847003' },
      ]);
      const names = new Set(BIFLOW_FIELD_NAMES);
      const named = all.filter((f) => Object.keys(f.extended_fields).some((k) => names.has(k)));
      const none = named.filter((f) => Object.values(flowBiflow(f)).every((v) => v === 0));
      expect(none.length).toBeGreaterThan(5);
      await expectAggsEqualReference();
      // One row per direction of a conversation: its 5-tuple orders them.
      const order = <T extends ConversationTotalsRow>(xs: T[]) =>
        xs
          .map((x) => [[x.src_ip, x.dst_ip, x.src_port, x.dst_port, x.ip_protocol].join('|'), x] as const)
          .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
          .map(([, x]) => x);
      const want = order(referenceConversationTotals(aggs, day, day + DAY_MS));
      const got = order((await store.conversationTotals(day, day + DAY_MS)).rows);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toEqual(want[i]);
    });

    it('reads only the heaviest conversations under a limit, both directions whole, and counts the rest', async () => {
      const rowKey = (x: ConversationTotalsRow) =>
        [x.src_ip, x.dst_ip, x.src_port, x.dst_port, x.ip_protocol].join('|');
      const pairKey = (x: ConversationTotalsRow) =>
        `${x.ip_protocol}|${[`${x.src_ip}|${x.src_port}`, `${x.dst_ip}|${x.dst_port}`].sort().join('|')}`;
      const want = referenceConversationTotals(refAggs(), day, day + DAY_MS);
      const pairBytes = new Map<string, number>();
      for (const r of want) pairBytes.set(pairKey(r), (pairBytes.get(pairKey(r)) ?? 0) + r.bytes_total);
      expect(want.length).toBeGreaterThan(pairBytes.size); // both directions of many pairs
      const limit = Math.floor(pairBytes.size / 3);
      const got = await store.conversationTotals(day, day + DAY_MS, { limit });
      const kept = new Set(got.rows.map(pairKey));
      expect(kept.size).toBe(limit);
      // Every kept pair whole (both directions as the reference sums them), nothing else.
      const wantKept = new Map(want.filter((r) => kept.has(pairKey(r))).map((r) => [rowKey(r), r]));
      expect(new Map(got.rows.map((r) => [rowKey(r), r]))).toEqual(wantKept);
      const left = [...pairBytes].filter(([k]) => !kept.has(k)).map(([, b]) => b);
      const lightestKept = Math.min(...[...kept].map((k) => pairBytes.get(k) ?? 0));
      expect(Math.max(...left)).toBeLessThanOrEqual(lightestKept);
      expect(got.leftOut).toBe(pairBytes.size - limit);
      expect(got.leftOutBytes).toBe(left.reduce((a, b) => a + b, 0));
      const all = await store.conversationTotals(day, day + DAY_MS, { limit: pairBytes.size });
      expect([all.rows.length, all.leftOut, all.leftOutBytes]).toEqual([want.length, 0, 0]);
    });

    it('upserts dependency edges by id (first_seen keeps the earliest, last_seen the latest)', async () => {
      await store.upsertDependencies(edges);
      const e0 = edges[0];
      await store.upsertDependencies([
        { ...e0, first_seen: day + HOUR_MS, last_seen: day + 2 * HOUR_MS, service_name: 'https' },
      ]);
      const list = await store.listDependencies();
      expect(list.length).toBe(edges.length);
      const got = list.find((e) => e.id === e0.id)!;
      // Written without confidence or idle mark: read with the rule's confidence, not idle.
      expect(got).toEqual(
        normalizeEdge({ ...e0, first_seen: day, last_seen: day + 2 * HOUR_MS, service_name: 'https' }),
      );
      expect(sortByJson(list.filter((e) => e.id !== e0.id))).toEqual(
        sortByJson(edges.slice(1).map(normalizeEdge)),
      );
    });

    it('rolls up the day into dependency_stats like the reference, idempotently', async () => {
      const want = referenceRollup(refAggs(), edges, day);
      expect(want.length).toBeGreaterThan(5);
      const busy = want.find((s) => s.dependency_id === edges[0].id)!;
      expect(busy.bytes_p50).toBeGreaterThan(0);
      const rep = await store.rollupDaily(day + 5 * HOUR_MS);
      expect(rep).toEqual({ day, rows: want.length });
      const sortById = (xs: { dependency_id: string }[]) =>
        [...xs].sort((a, b) => (a.dependency_id < b.dependency_id ? -1 : 1));
      expect(sortById(await store.dependencyStats(day, day + DAY_MS))).toEqual(want);
      await store.rollupDaily(day);
      expect(sortById(await store.dependencyStats(day, day + DAY_MS))).toEqual(want);
      expect(await store.dependencyStats(day + DAY_MS, day + 2 * DAY_MS)).toEqual([]);
    });

    dependencyMapCases(() => store, { day, seed });

    const cases: { by: GroupField[]; metric: Metric; limit: number }[] = [
      { by: ['src_ip'], metric: 'bytes', limit: 5 },
      { by: ['dst_ip', 'dst_port'], metric: 'packets', limit: 10 },
      { by: ['exporter_ip'], metric: 'flows', limit: 20 },
      { by: ['src_ip', 'dst_ip', 'dst_port', 'ip_protocol'], metric: 'bytes', limit: 20 },
    ];

    it('top-N on the raw tier equals the reference (bytes and packets scaled by sampling rate)', async () => {
      const from = day + 2 * HOUR_MS;
      const to = day + 7 * HOUR_MS;
      const inRange = all.filter((f) => f.flow_start >= from && f.flow_start < to);
      for (const c of cases) {
        const r = await top({ ...c, from, to, tier: 'raw' });
        expect(r.tier).toBe('raw');
        expect(r.columns).toEqual([...c.by, c.metric]);
        expectTop(r.rows, referenceTopRaw(inRange, c.by, c.metric), c.metric, c.limit);
      }
      const r = await top({
        by: ['protocol_type', 'input_interface'],
        metric: 'bytes',
        from,
        to,
        limit: 50,
        tier: 'raw',
      });
      expectTop(r.rows, referenceTopRaw(inRange, ['protocol_type', 'input_interface'], 'bytes'), 'bytes', 50);
    });

    it('top-N on the aggregate tier equals the reference', async () => {
      const aggs = refAggs();
      for (const c of cases) {
        const r = await top({ ...c, from: day, to: day + DAY_MS, tier: 'aggregates' });
        expect(r.tier).toBe('aggregates');
        expectTop(r.rows, referenceTopAggregates(aggs, c.by, c.metric), c.metric, c.limit);
      }
    });

    it('top-N filters: CIDR, equality, not, and/or', async () => {
      const from = day;
      const to = day + DAY_MS;
      const aggs = refAggs();
      const in10 = (ip: string) => ip.startsWith('10.');
      const r1 = await top({
        by: ['dst_ip', 'dst_port'],
        metric: 'bytes',
        from,
        to,
        limit: 10,
        tier: 'aggregates',
        filter: { op: 'in_cidr', field: 'src_ip', cidr: '10.0.0.0/8' },
      });
      expectTop(
        r1.rows,
        referenceTopAggregates(
          aggs.filter((a) => in10(a.src_ip)),
          ['dst_ip', 'dst_port'],
          'bytes',
        ),
        'bytes',
        10,
      );
      const r2 = await top({
        by: ['src_ip'],
        metric: 'flows',
        from,
        to,
        limit: 10,
        tier: 'raw',
        filter: {
          op: 'and',
          filters: [
            { op: 'eq', field: 'dst_port', value: 443 },
            { op: 'not', filter: { op: 'in_cidr', field: 'src_ip', cidr: 'fd00::/8' } },
            {
              op: 'or',
              filters: [
                { op: 'eq', field: 'ip_protocol', value: 6 },
                { op: 'eq', field: 'dst_ip', value: '192.168.5.5' },
              ],
            },
          ],
        },
      });
      const ula = (ip: string | null) => !!ip?.toLowerCase().startsWith('fd');
      const want = all.filter(
        (f) => f.dst_port === 443 && !ula(f.src_ip) && (f.ip_protocol === 6 || f.dst_ip === '192.168.5.5'),
      );
      expectTop(r2.rows, referenceTopRaw(want, ['src_ip'], 'flows'), 'flows', 10);
    });

    it('top-N on the daily tier (per dependency edge) equals the reference', async () => {
      const stats = referenceRollup(refAggs(), edges, day);
      for (const by of [
        ['src_ip'],
        ['dst_ip', 'dst_port'],
        ['src_ip', 'dst_ip', 'dst_port', 'ip_protocol'],
      ] as const) {
        const r = await top({
          by: [...by],
          metric: 'bytes',
          from: day,
          to: day + DAY_MS,
          limit: 5,
          tier: 'daily',
        });
        expect(r.tier).toBe('daily');
        expectTop(r.rows, referenceTopDaily(stats, edges, [...by], 'bytes'), 'bytes', 5);
      }
    });

    it('refuses bad filter values with an error naming the field, and never runs them as SQL', async () => {
      const bad = (value: string) =>
        top({
          by: ['src_ip'],
          metric: 'bytes',
          from: day,
          to: day + DAY_MS,
          limit: 3,
          tier: 'raw',
          filter: { op: 'eq', field: 'dst_ip', value },
        });
      await expect(bad("1.2.3.4' OR 1=1 --")).rejects.toThrow(/dst_ip/);
      const r = await top({
        by: ['src_ip'],
        metric: 'flows',
        from: day,
        to: day + DAY_MS,
        limit: 3,
        tier: 'raw',
        filter: { op: 'eq', field: 'protocol_type', value: "ipfix' OR '1'='1" },
      });
      expect(r.rows).toEqual([]);
    });

    it('saves and loads decoder state per collector (last save wins)', async () => {
      expect(await store.loadDecoderState('nobody')).toBeNull();
      await store.saveDecoderState('c1', { templates: [{ id: 256, fields: [1, 2] }], n: 1 });
      await store.saveDecoderState('c2', { other: true });
      await store.saveDecoderState('c1', { templates: [], n: 2, big: 2n ** 60n });
      expect(await store.loadDecoderState('c1')).toEqual({
        templates: [],
        n: 2,
        big: (2n ** 60n).toString(),
      });
      expect(await store.loadDecoderState('c2')).toEqual({ other: true });
    });

    it('retention: dry run reports without removing, the real run removes exactly the expired rows', async () => {
      const now = day + DAY_MS + 12 * HOUR_MS;
      // raw and aggregates cut at 06:00 of the test day, daily at the day itself (stat_date < cutoff).
      const policy = { raw: 30 * HOUR_MS, aggregates: 30 * HOUR_MS, daily: 12 * HOUR_MS };
      const cutoff = day + 6 * HOUR_MS;
      const aggs = refAggs();
      const statsCount = referenceRollup(aggs, edges, day).length;
      const rawOld = all.filter((f) => f.flow_start < cutoff).length;
      const aggOld = aggs.filter((a) => a.window_start < cutoff).length;
      const dry = await store.applyRetention(policy, { dryRun: true, now });
      expect(dry.dryRun).toBe(true);
      const byTier = Object.fromEntries(dry.tiers.map((t) => [t.tier, t]));
      expect(byTier.raw.cutoff).toBe(cutoff);
      expect(byTier.raw.rows).toBe(rawOld);
      expect(byTier.raw.partitions.length).toBeGreaterThanOrEqual(6);
      expect(byTier.aggregates.rows).toBe(aggOld);
      expect(byTier.daily.rows).toBe(statsCount);
      const count = async () =>
        (
          await top({
            by: [],
            metric: 'flows',
            from: day - DAY_MS,
            to: day + 2 * DAY_MS,
            limit: 1,
            tier: 'raw',
          })
        ).rows[0].flows;
      expect(await count()).toBe(all.length);
      const real = await store.applyRetention(policy, { dryRun: false, now });
      expect(real.tiers.map((t) => t.rows)).toEqual(dry.tiers.map((t) => t.rows));
      expect(await count()).toBe(all.length - rawOld);
      expect((await aggRows()).length).toBe(aggs.length - aggOld);
      expect((await aggRows()).every((a) => (a.window_start as number) >= cutoff)).toBe(true);
      expect(await store.dependencyStats(day - DAY_MS, day + 2 * DAY_MS)).toEqual([]);
      const again = await store.applyRetention(policy, { dryRun: true, now });
      expect(again.tiers.map((t) => t.rows)).toEqual([0, 0, 0]);
    });
  });
}
