/**
 * Planned answers across tiers, as a property on every store (issue "Complete answers across the three
 * tiers"): seeded random flows over ten days, a store whose raw tier has already expired its oldest days
 * and whose aggregate tier has expired older ones still, an aggregation watermark two hours behind now;
 * then random ranges (many straddling the watermark and the retention cutoffs), random group-bys, random
 * filters with and/or/not, random metrics.
 *
 * 1. Wherever the plan answers exactly (no gap of any kind), the answer equals the top-N computed by the
 *    plain-TypeScript reference from ALL raw flows of the range, including flows the store's raw tier no
 *    longer holds (the aggregates that answer for them were made before the raw rows expired).
 * 2. Always: the answer equals the reference evaluation of the same plan's parts over the reference
 *    tiers (raw flows, reference aggregates, reference daily rollup), and the plan's parts are what the
 *    store reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIELD_CATALOG,
  type FilterField,
  GROUP_FIELDS,
  type GroupField,
  type NumericField,
} from '../../core/columns.js';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import {
  canonicalIp,
  cidrToRange,
  DAY_MS,
  dayStart,
  HOUR_MS,
  inRanges,
  internalRanges,
  windowStart,
} from '../../core/rules.js';
import type { Filter, Metric, PlanPart, QueryResult, TopQuery } from '../../query/ast.js';
import { byField, isExtKey } from '../../query/ast.js';
import { filterFields, planQuery } from '../../query/plan.js';
import type { DependencyEdge, FlowStore } from '../port.js';
import { expectTop } from './compare.js';
import { rng } from './generator.js';
import { plannedQueryTests } from './queries.js';
import {
  extText,
  type RefAggregate,
  type Row,
  rank,
  referenceAggregates,
  referenceRollup,
} from './reference.js';

const CLIENTS = ['10.1.0.1', '10.1.0.2', '192.168.7.9', '203.0.113.50', '2001:db8::c1', null];
const SERVERS = ['10.2.0.10', '10.2.0.11', '198.51.100.7', '2001:db8::5'];
const PORTS = [22, 53, 443, 5432, 8080, 9200];
const EXPORTERS = ['192.0.2.1', '192.0.2.2', '2001:db8:ff::1'];
const CIDRS = [
  '10.0.0.0/8',
  '10.2.0.0/16',
  '192.168.0.0/16',
  '2001:db8::/32',
  '::/0',
  '0.0.0.0/0',
  '203.0.113.0/24',
];
const FILTER_FIELDS: GroupField[] = [
  'src_ip',
  'dst_ip',
  'dst_port',
  'src_port',
  'ip_protocol',
  'exporter_ip',
  'input_interface',
  'protocol_type',
];

export type Pick = <T>(xs: readonly T[]) => T;

function flows(seed: number, now: number): FlowRecord[] {
  const r = rng(seed);
  const pick: Pick = (xs) => xs[Math.floor(r() * xs.length)];
  // The filter language's raw-only fields draw from their own sequence: the flows above stay as they were.
  const r2 = rng(seed ^ 0x5eed);
  const pick2: Pick = (xs) => xs[Math.floor(r2() * xs.length)];
  const out: FlowRecord[] = [];
  const rawCut = now - 3 * DAY_MS;
  for (let i = 0; i < 6000; i++) {
    // Dense in the last hours (the raw tail and the watermark), thinner over ten days.
    const age = r() < 0.5 ? r() * 6 * HOUR_MS : r() * 10 * DAY_MS;
    const t = Math.floor(now - age);
    if (Math.abs(t - rawCut) < 5 * 60_000) continue; // the raw cutoff moves by milliseconds while testing
    const client = pick(CLIENTS);
    const server = client?.includes(':') ? '2001:db8::5' : pick(SERVERS.slice(0, 3));
    const proto = pick([6, 6, 17, 1, null]);
    const port = pick(PORTS);
    const eph = 32768 + Math.floor(r() * 20000);
    const reply = r() < 0.4;
    const v4 = !client?.includes(':');
    out.push({
      ...emptyRecord(pick(['ipfix', 'netflow_v9', 'sflow_v5'] as const), pick(EXPORTERS), t + 500),
      flow_start: t,
      flow_end: t + Math.floor(r() * 60_000),
      src_ip: reply ? (client ? server : null) : client,
      dst_ip: reply ? client : client ? server : null,
      src_port: proto === 1 || proto === null ? null : reply ? port : eph,
      dst_port: proto === 1 || proto === null ? null : reply ? eph : port,
      ip_protocol: client ? proto : null,
      bytes_total: 40 + Math.floor(r() * 100_000),
      packets_total: 1 + Math.floor(r() * 80),
      tcp_flags: proto === 6 ? pick([2, 18, 16, 17, 24]) : null,
      input_interface: r() < 0.8 ? 1 + Math.floor(r() * 3) : null,
      sampling_rate: pick([1, 1, 10, 100]),
      next_hop: v4 ? '10.255.0.1' : null,
    });
    const rec = out[out.length - 1];
    rec.tos = pick2([0, 0x10, 184, 186, null]);
    rec.src_vlan = pick2([null, 100, 200]);
    const app = pick2(['HTTPS', 'DNS', 'ssh', null]);
    if (app) rec.extended_fields.application_name = app;
    if (r2() < 0.3) rec.extended_fields.firewall_event = pick2([1, 2, 2.5]);
    // Zero durations too: their rates are NULL.
    if (r2() < 0.2) rec.flow_end = rec.flow_start;
  }
  out.push(...tiedFlows(seed, now));
  return out;
}

/**
 * Flows sharing one flow_start (and some every key column: the same flow exported three times), so a
 * flow search's pages cut through equal sort keys (queries.ts).
 */
export function tiedFlows(seed: number, now: number): FlowRecord[] {
  const r = rng(seed ^ 0x71e5);
  const t = TIE_AT(now);
  const out: FlowRecord[] = [];
  for (let i = 0; i < 40; i++) {
    out.push({
      ...emptyRecord('ipfix', EXPORTERS[i % 2], t + 1000),
      flow_start: t,
      flow_end: t + (i % 3) * 1000,
      src_ip: i % 5 === 0 ? null : CLIENTS[i % 5],
      dst_ip: SERVERS[i % 3],
      src_port: i % 4 === 0 ? null : 40000 + Math.floor(r() * 3),
      dst_port: i % 4 === 0 ? null : 443,
      ip_protocol: i % 4 === 0 ? null : 6,
      bytes_total: 100 * (i % 4),
      packets_total: 1,
    });
  }
  const dup = { ...out[1] };
  out.push({ ...dup }, { ...dup }, { ...dup });
  return out;
}

/** When the tied flows start: half an hour ago (raw, after the watermark). */
export const TIE_AT = (now: number) => Math.floor(now - 30 * 60_000);

const NUMERIC_LEAF_FIELDS: NumericField[] = ['dst_port', 'src_port', 'ip_protocol'];

/**
 * Leaves of the filter language beyond eq/in_cidr: comparisons, ranges and lists on fields both raw and
 * aggregates keep (ports, protocol with its absent sentinel), and raw-only ones (flags, measures, ToS,
 * VLAN, sampling, extended fields) that the planner sends to raw.
 */
function randomNewLeaf(r: () => number, pick: Pick): Filter {
  const roll = r();
  const field = pick(NUMERIC_LEAF_FIELDS);
  const value = () => (field === 'ip_protocol' ? pick([0, 1, 6, 17]) : pick([0, ...PORTS, 32768, 40000]));
  if (roll < 0.2)
    return { op: 'cmp', field, cmp: pick(['<', '<=', '=', '!=', '>=', '>'] as const), value: value() };
  if (roll < 0.3) {
    const [min, max] = [value(), value()].sort((a, b) => a - b);
    return { op: 'range', field, min, max };
  }
  if (roll < 0.4) return { op: 'in', field, values: [value(), value(), value()] };
  if (roll < 0.5) return { op: 'flags', mask: pick([2, 16, 18, 1]) };
  if (roll < 0.6)
    return {
      op: 'cmp',
      field: pick(['bytes', 'packets', 'duration', 'bps', 'pps'] as const),
      cmp: pick(['<', '>=', '>'] as const),
      value: pick([10, 1000, 50_000, 30_000]),
    };
  if (roll < 0.7)
    return pick<Filter>([
      { op: 'range', field: 'tos', min: 184, max: 187 },
      { op: 'eq', field: 'tos', value: 16 },
      { op: 'eq', field: 'src_vlan', value: 100 },
      { op: 'cmp', field: 'sampling_rate', cmp: '>', value: 1 },
    ]);
  return pick<Filter>([
    { op: 'ext', path: ['application_name'], test: 'exists' },
    { op: 'ext', path: ['application_name'], test: 'eq', value: 'HTTPS' },
    { op: 'ext', path: ['application_name'], test: 'regex', value: '^[Dd]N' },
    { op: 'ext', path: ['application_name'], test: 'like', value: 'HT%' },
    { op: 'ext', path: ['firewall_event'], test: 'eq', value: 2 },
    { op: 'ext', path: ['firewall_event'], test: 'eq', value: '2' },
    { op: 'ext', path: ['firewall_event'], test: 'eq', value: 2.5 },
    { op: 'ext', path: ['no', 'such'], test: 'eq', value: 'x' },
  ]);
}

export function randomFilter(r: () => number, pick: Pick, depth: number): Filter {
  const roll = r();
  if (depth > 0 && roll < 0.35) {
    const n = 1 + Math.floor(r() * 3);
    const filters = Array.from({ length: n }, () => randomFilter(r, pick, depth - 1));
    return { op: r() < 0.5 ? 'and' : 'or', filters };
  }
  if (depth > 0 && roll < 0.5) return { op: 'not', filter: randomFilter(r, pick, depth - 1) };
  if (roll > 0.75) return randomNewLeaf(r, pick);
  const field = pick(FILTER_FIELDS);
  if ((field === 'src_ip' || field === 'dst_ip') && r() < 0.5)
    return { op: 'in_cidr', field, cidr: pick(CIDRS) };
  const value: string | number =
    field === 'src_ip' || field === 'dst_ip'
      ? pick([...SERVERS, ...(CLIENTS.filter(Boolean) as string[])])
      : field === 'exporter_ip'
        ? pick(EXPORTERS)
        : field === 'protocol_type'
          ? pick(['ipfix', 'netflow_v9', 'sflow_v5'])
          : field === 'ip_protocol'
            ? pick([6, 17, 1])
            : field === 'input_interface'
              ? pick([1, 2, 3])
              : pick(PORTS);
  return { op: 'eq', field, value };
}

export type Value = string | number | null;
type Pick_<T, K extends keyof T> = { [P in K]: T[P] };

const CMP = {
  '<': (a: number, b: number) => a < b,
  '<=': (a: number, b: number) => a <= b,
  '=': (a: number, b: number) => a === b,
  '!=': (a: number, b: number) => a !== b,
  '>=': (a: number, b: number) => a >= b,
  '>': (a: number, b: number) => a > b,
};

/** An extended_fields leaf: missing path unknown, another JSON type false. */
function evalExt(f: Extract<Filter, { op: 'ext' }>, doc: unknown): boolean | null {
  let v: unknown = doc;
  for (const k of f.path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, k))
      return f.test === 'exists' ? false : null;
    v = (v as Record<string, unknown>)[k];
  }
  if (f.test === 'exists') return true;
  if (f.test === 'eq') return typeof v === typeof f.value && v === f.value;
  if (typeof v !== 'string') return false;
  // The patterns the property uses mean the same in RE2, POSIX AREs and JavaScript.
  if (f.test === 'regex') return new RegExp(f.value).test(v);
  const re = f.value
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${re}$`, 's').test(v);
}

/** SQL's three-valued logic: a comparison with NULL is unknown (null), NOT of unknown is unknown. */
export function evalFilter(f: Filter, get: (field: FilterField) => Value): boolean | null {
  switch (f.op) {
    case 'cmp':
    case 'range':
    case 'in': {
      const v = get(f.field);
      if (v === null) return null;
      const n = Number(v);
      if (f.op === 'cmp') return CMP[f.cmp](n, f.value);
      if (f.op === 'range') return n >= f.min && n <= f.max;
      return f.values.includes(n);
    }
    case 'flags': {
      const v = get('tcp_flags');
      return v === null ? null : (Number(v) & f.mask) === f.mask;
    }
    case 'ext':
      return evalExt(f, get('extended_fields'));
    case 'role':
    case 'label':
      throw new Error('dependency-only filter in a flow query');
    case 'eq': {
      const v = get(f.field);
      if (v === null) return null;
      if (FIELD_CATALOG[f.field].kind === 'ip')
        return canonicalIp(String(v)) === canonicalIp(String(f.value));
      if (typeof v === 'number') return v === Number(f.value);
      return String(v) === String(f.value);
    }
    case 'in_cidr': {
      const v = get(f.field);
      if (v === null) return null;
      return inRanges(String(v), [cidrToRange(f.cidr)!]);
    }
    case 'not': {
      const x = evalFilter(f.filter, get);
      return x === null ? null : !x;
    }
    case 'and': {
      const xs = f.filters.map((x) => evalFilter(x, get));
      return xs.includes(false) ? false : xs.includes(null) ? null : true;
    }
    case 'or': {
      const xs = f.filters.map((x) => evalFilter(x, get));
      return xs.includes(true) ? true : xs.includes(null) ? null : false;
    }
  }
}

function metricOf(m: Metric, bytes: number, packets: number, flowsN: number): number {
  return m === 'bytes' ? bytes : m === 'packets' ? packets : flowsN;
}

/** A field of an aggregate row as a query reads it: the absent-value sentinel reads as NULL. */
function aggValue(a: RefAggregate, f: FilterField): Value {
  const v = (a as unknown as Record<string, Value>)[f] ?? null;
  const absent = (FIELD_CATALOG[f] as { absent?: string | number }).absent;
  return absent !== undefined && v === absent ? null : v;
}

const DAILY_FIELD: Partial<Record<GroupField, keyof DependencyEdge>> = {
  src_ip: 'client_ip',
  dst_ip: 'server_ip',
  dst_port: 'server_port',
  ip_protocol: 'ip_protocol',
};

export interface World {
  all: FlowRecord[];
  aggs: RefAggregate[];
  edges: DependencyEdge[];
  daily: ReturnType<typeof referenceRollup>;
}

/** The reference evaluation of one plan part: [key values, metric, the row's tier time] items. */
export function partItems(
  w: World,
  q: Pick_<TopQuery, 'by' | 'metric' | 'filter'>,
  p: PlanPart,
): { key: Value[]; v: number; t: number }[] {
  const keep = (get: (f: FilterField) => Value) => !q.filter || evalFilter(q.filter, get) === true;
  if (p.tier === 'raw') {
    return w.all
      .filter((f) => f.flow_start >= p.from && f.flow_start < p.to)
      .map((f) => ({ f, get: (k: FilterField) => rawValue(f, k) }))
      .filter((x) => keep(x.get))
      .map(({ f, get }) => {
        const rate = Math.max(f.sampling_rate, 1);
        return {
          key: q.by.map((k) => (isExtKey(k) ? extText(f, k) : get(k))),
          v: metricOf(q.metric, Number(f.bytes_total) * rate, Number(f.packets_total) * rate, 1),
          t: f.flow_start,
        };
      });
  }
  if (p.tier === 'aggregates') {
    return w.aggs
      .filter((a) => a.window_start >= p.from && a.window_start < p.to)
      .filter((a) => keep((k) => aggValue(a, k)))
      .map((a) => ({
        key: q.by.map((k) => aggValue(a, byField(k))),
        v: metricOf(q.metric, a.bytes_total, a.packets_total, a.flow_count),
        t: a.window_start,
      }));
  }
  const byId = new Map(w.edges.map((e) => [e.id, e]));
  return w.daily
    .filter((s) => s.stat_date >= p.from && s.stat_date < p.to)
    .map((s) => ({ s, e: byId.get(s.dependency_id)! }))
    .map(({ s, e }) => ({ s, get: (k: FilterField) => (e[DAILY_FIELD[k as GroupField]!] as Value) ?? null }))
    .filter((x) => keep(x.get))
    .map(({ s, get }) => ({
      key: q.by.map((k) => get(byField(k))),
      v: metricOf(q.metric, s.bytes_total, s.packets_total, s.flow_count),
      t: s.stat_date,
    }));
}

/** A raw flow's value of a field; the derived measures as core/columns.ts defines them. */
export function rawValue(f: FlowRecord, k: FilterField): Value {
  const duration = f.flow_end - f.flow_start;
  const rate = (n: number) => (duration === 0 ? null : (n * 1000) / duration);
  if (k === 'bytes') return Number(f.bytes_total);
  if (k === 'packets') return Number(f.packets_total);
  if (k === 'duration') return duration;
  if (k === 'bps') return rate(Number(f.bytes_total) * 8);
  if (k === 'pps') return rate(Number(f.packets_total));
  if (k === 'extended_fields') return f.extended_fields as unknown as Value;
  const v = (f as unknown as Record<string, Value>)[k] ?? null;
  return FIELD_CATALOG[k].kind === 'ip' ? canonicalIp(v as string | null) : v;
}

export function runPlannedConformance(name: string, open: () => Promise<FlowStore>, seed = 7_020_626): void {
  describe(`planned answers across tiers: ${name}`, () => {
    const now = Date.now();
    const watermark = windowStart(now - 2 * HOUR_MS);
    const w: World = { all: flows(seed, now), aggs: [], edges: [], daily: [] };
    let store: FlowStore;

    // Closed before the caller removes its directory: an open embedded engine may still be merging parts.
    afterAll(async () => {
      await store?.close();
    });

    beforeAll(async () => {
      store = await open();
      await store.migrate();
      await store.setRetention({ raw: 30 * DAY_MS, aggregates: 60 * DAY_MS, daily: 730 * DAY_MS });
      for (let i = 0; i < w.all.length; i += 2000) await store.insertFlows(w.all.slice(i, i + 2000));
      await store.aggregateWindows(dayStart(now - 11 * DAY_MS), watermark);
      await store.setAggregatedUntil(watermark);
      w.aggs = referenceAggregates(w.all, internalRanges([])).filter((a) => a.window_start < watermark);
      // Edges: every client -> server:port conversation of the data (ids derived, stable per seed).
      const seen = new Map<string, DependencyEdge>();
      for (const f of w.all) {
        if (!f.src_ip || !f.dst_ip || f.dst_port === null || f.ip_protocol === null || f.dst_port > 32767)
          continue;
        const k = `${f.src_ip}|${f.dst_ip}|${f.dst_port}|${f.ip_protocol}`;
        if (seen.has(k)) continue;
        const n = seen.size.toString(16).padStart(12, '0');
        seen.set(k, {
          id: `00000000-0000-4000-8000-${n}`,
          client_ip: f.src_ip,
          server_ip: f.dst_ip,
          server_port: f.dst_port,
          ip_protocol: f.ip_protocol,
          first_seen: now - 10 * DAY_MS,
          last_seen: now,
          service_name: null,
          direction_rule: 'given',
        });
      }
      w.edges = [...seen.values()];
      await store.upsertDependencies(w.edges);
      for (let d = dayStart(now - 11 * DAY_MS); d < dayStart(watermark); d += DAY_MS) {
        await store.rollupDaily(d);
        w.daily.push(...referenceRollup(w.aggs, w.edges, d));
      }
      // Now the tiers expire: raw keeps 3 days, aggregates 6, so all three tiers answer parts of a range.
      const policy = { raw: 3 * DAY_MS, aggregates: 6 * DAY_MS, daily: 730 * DAY_MS };
      await store.setRetention(policy);
      await store.applyRetention(policy, { dryRun: false });
    });

    it('the store reports its watermark and retention, and a read changes neither', async () => {
      const s = await store.tierState();
      expect(s).toEqual({
        aggregatedUntil: watermark,
        retention: { raw: 3 * DAY_MS, aggregates: 6 * DAY_MS, daily: 730 * DAY_MS },
      });
      await store.query({
        kind: 'top',
        by: ['src_ip'],
        metric: 'bytes',
        from: now - DAY_MS,
        to: now,
        limit: 3,
      });
      expect(await store.tierState()).toEqual(s);
    });

    it('random ranges, group-bys, filters and metrics: planned answer = reference', async () => {
      const r = rng(seed + 1);
      const pick: Pick = (xs) => xs[Math.floor(r() * xs.length)];
      const marks = [
        now,
        watermark,
        now - 3 * DAY_MS,
        dayStart(now - 6 * DAY_MS) + DAY_MS,
        now - 10 * DAY_MS,
        dayStart(now),
      ];
      const time = () =>
        r() < 0.6 ? pick(marks) + Math.floor((r() - 0.5) * 4 * HOUR_MS) : now - Math.floor(r() * 11 * DAY_MS);
      let exact = 0;
      let multi = 0;
      let newLeaves = 0;
      for (let i = 0; i < 80; i++) {
        const [a, b] = [time(), time()].sort((x, y) => x - y);
        if (b - a < 60_000) continue;
        const by = GROUP_FIELDS.filter(() => r() < 0.2).slice(0, 3);
        const q: TopQuery = {
          kind: 'top',
          by,
          metric: pick(['bytes', 'packets', 'flows'] as const),
          from: a,
          to: b + (r() < 0.2 ? HOUR_MS : 0),
          limit: pick([1, 5, 20, 1000]),
          ...(r() < 0.6 ? { filter: randomFilter(r, pick, 2) } : {}),
        };
        if (/"op":"(cmp|range|in|flags|ext)"/.test(JSON.stringify(q.filter ?? null))) newLeaves++;
        const got: QueryResult = await store.query(q);
        const fields = [...new Set([...q.by.map(byField), ...filterFields(q.filter)])];
        const plan = planQuery(
          { from: q.from, to: q.to, fields },
          { now: Date.now(), ...(await store.tierState()) },
        );
        const label = JSON.stringify(q);
        // The store planned a few milliseconds earlier: boundaries that follow the clock may differ by that.
        expect(
          got.parts?.map((p) => p.tier),
          label,
        ).toEqual(plan.parts.map((p) => p.tier));
        got.parts?.forEach((p, k) => {
          expect(Math.abs(p.from - plan.parts[k].from), label).toBeLessThan(60_000);
          expect(Math.abs(p.to - plan.parts[k].to), label).toBeLessThan(60_000);
        });
        const want = rank(
          (got.parts ?? []).flatMap((p) => partItems(w, q, p)),
          q.by,
          q.metric,
        );
        if (q.by.length === 0 && want.length === 0 && (got.parts ?? []).length > 0)
          want.push({ [q.metric]: 0 });
        expectTop(got.rows, want, q.metric, q.limit, `${label} parts ${JSON.stringify(got.parts)}`);
        if (plan.parts.length > 1) multi++;
        if (plan.gaps.length === 0) {
          exact++;
          const everything: PlanPart = { tier: 'raw', from: q.from, to: q.to };
          expectTop(
            got.rows,
            rank(partItems(w, q, everything), q.by, q.metric),
            q.metric,
            q.limit,
            `${label} (all raw)`,
          );
        }
      }
      // The property must actually have been exercised across tiers.
      expect(exact).toBeGreaterThan(5);
      expect(multi).toBeGreaterThan(10);
      // ... and with the filter language's leaves (comparisons, ranges, lists, flags, extended fields).
      expect(newLeaves).toBeGreaterThan(8);
    });

    // Top-N with other and previous, series and flow search on the same world (queries.ts).
    plannedQueryTests({
      store: () => store,
      flows: w.all,
      now,
      watermark,
      seed,
      tieAt: TIE_AT(now),
      partItems: (q, p) => partItems(w, q, p),
      keep: (filter, f) => evalFilter(filter, (k) => rawValue(f, k)) === true,
      randomFilter,
    });
  });
}

export type { Row };
