/**
 * Labels, map views, diff and history on real stores (chdb embedded, embedded PostgreSQL) against plain
 * TypeScript references: the seeded map's formula (testing/seed.ts) gives every edge's bytes per day, and
 * a linear-scan label lookup gives the group of an address on a day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir } from '../app/testing/harness.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import type { DependencyEdge, FlowStore, HostLabel } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { depsDiff, depsHistory } from './history.js';
import { depsMap } from './map.js';
import {
  edgeIdOf,
  groupLabel as L,
  seedBytes,
  seedLegacyDay,
  seedMap,
  seedP95,
  seedRequest,
} from './testing/seed.js';
import { depsView } from './view.js';

const DAYS = 8;
const N = 400;
const DAY0 = dayStart(Date.now()) - DAYS * DAY_MS;
const at = (d: number) => DAY0 + d * DAY_MS;
// Hosts are 10.K.0.1-64 (seed.ts). An address changes hands on day 5; 10.1.0.0/24 is split by a /26.
const LABELS: HostLabel[] = [
  L('10.0.0.0/8', 'corp'),
  L('10.1.0.0/24', 'payments'),
  L('10.1.0.0/26', 'payments-db'),
  L('10.2.0.7', 'web', { name: 'web-7', valid_to: at(5) }),
  L('10.2.0.7', 'batch', { name: 'batch-7', valid_from: at(5) }),
  L('10.3.0.0/24', '', { name: 'three' }),
];

/** The reference lookup: IPv4 as numbers, a linear scan, most specific valid entry, later on ties. */
function refGroup(ip: string, t: number): string | null {
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  let best: { bits: number; g: string } | null = null;
  for (const l of LABELS) {
    const [net, len] = l.cidr.split('/');
    const bits = len === undefined ? 32 : Number(len);
    const size = 2 ** (32 - bits);
    if (Math.floor(n(ip) / size) !== Math.floor(n(net) / size) || l.group === '') continue;
    if ((l.valid_from !== null && t < l.valid_from) || (l.valid_to !== null && t >= l.valid_to)) continue;
    if (!best || bits >= best.bits) best = { bits, g: l.group };
  }
  return best?.g ?? null;
}

const idx = (id: string) => Number.parseInt(id.slice(-12), 16);
const sumBytes = (i: number, d0: number, d1: number, side = (b: number) => b) => {
  let s = 0;
  for (let d = d0; d < d1; d++) s += side(seedBytes(i, d, DAYS));
  return s;
};

/** The highest daily p95 over days [d0, d1) (null: no stats), as the view reports bytes_p95. */
const maxP95 = (i: number, d0: number, d1: number) => {
  let m: number | null = null;
  for (let d = d0; d < d1; d++) {
    const p = seedP95(i, d, DAYS);
    if (p !== null) m = Math.max(m ?? 0, p);
  }
  return m;
};

/** The reference classification, written out apart from history.ts's classify. */
function refChange(i: number, period: [number, number], base: [number, number], p95Factor = 0.5) {
  const a = sumBytes(i, ...period);
  const b = sumBytes(i, ...base);
  if (b === 0) return 'new';
  if (a === 0) return 'vanished';
  const pa = maxP95(i, ...period);
  const pb = maxP95(i, ...base);
  if (Math.abs(a - b) / b > 0.5) return a > b ? 'grown' : 'shrunk';
  const p95Moved = pa !== null && pb !== null && (pb === 0 ? pa > 0 : Math.abs(pa - pb) / pb > p95Factor);
  if (p95Moved) return pa > pb ? 'grown' : 'shrunk';
  return 'same';
}

function viewsOnStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`labels, views, diff and history on ${name}`, () => {
    let store: FlowStore;
    let edges: DependencyEdge[];
    beforeAll(async () => {
      store = await open();
      await store.migrate();
      edges = await seedMap(store, { edges: N, days: DAYS, day0: DAY0 });
      await store.replaceLabels(LABELS);
    }, 180_000);
    afterAll(async () => {
      await store?.close();
    });

    it('keeps labels as given and replaces them as a whole', async () => {
      expect(await store.getLabels()).toEqual(LABELS);
      await store.replaceLabels([L('192.168.0.0/16', 'lab')]);
      expect(await store.getLabels()).toEqual([L('192.168.0.0/16', 'lab')]);
      await store.replaceLabels([]);
      expect(await store.getLabels()).toEqual([]);
      await store.replaceLabels(LABELS);
      expect(await store.getLabels()).toEqual(LABELS);
    });

    it('host view: every edge with its bytes (the formula) and its labels at its last moment', async () => {
      const range = { from: DAY0, to: at(DAYS) };
      const { rows } = await depsView(store, range);
      expect(rows.length).toBe(N);
      for (const r of rows) {
        const i = idx(r.id);
        expect(r.bytes_total, r.id).toBe(sumBytes(i, 0, DAYS));
        expect(r.request_bytes, r.id).toBe(sumBytes(i, 0, DAYS, seedRequest));
        expect(r.response_bytes, r.id).toBe(r.bytes_total - sumBytes(i, 0, DAYS, seedRequest));
        expect(r.client_group).toBe(refGroup(r.client_ip, range.to - 1));
        expect(r.server_group).toBe(refGroup(r.server_ip, range.to - 1));
      }
      const named = rows.find((r) => r.server_ip === '10.2.0.7' || r.client_ip === '10.2.0.7');
      expect(named && [named.client_name, named.server_name]).toContain('batch-7');
    });

    it('group view: each group edge carries the sum of its host edges by the labels of each day', async () => {
      const range = { from: at(2), to: at(7) };
      const [{ rows: groups }, { rows: hosts }] = await Promise.all([
        depsView(store, { ...range, view: 'group' }),
        depsView(store, range),
      ]);
      const expected = new Map<string, number>();
      for (const e of edges)
        for (let d = 2; d < 7; d++) {
          const b = seedBytes(idx(e.id), d, DAYS);
          if (b === 0) continue;
          const key = `${refGroup(e.client_ip, at(d)) ?? e.client_ip} > ${refGroup(e.server_ip, at(d)) ?? e.server_ip}:${e.server_port}/${e.ip_protocol}`;
          expected.set(key, (expected.get(key) ?? 0) + b);
        }
      const got = new Map(groups.filter((g) => g.bytes_total > 0).map((g) => [g.id, g.bytes_total]));
      expect(got).toEqual(expected);
      const total = (xs: { bytes_total: number }[]) => xs.reduce((a, r) => a + r.bytes_total, 0);
      expect(total(groups)).toBe(total(hosts));
      // Both sides add up the same way (no day of the seed lacks the split).
      const side = (xs: typeof groups, k: 'request_bytes' | 'response_bytes') =>
        xs.reduce((a, r) => a + (r[k] as number), 0);
      expect(side(groups, 'request_bytes')).toBe(side(hosts, 'request_bytes'));
      expect(side(groups, 'response_bytes')).toBe(side(hosts, 'response_bytes'));
      for (const g of groups) expect(g.request_bytes! + g.response_bytes!, g.id).toBe(g.bytes_total);
      // The address that changed hands counts for both groups, each for its own days.
      expect(groups.some((g) => g.client_ip === 'web' || g.server_ip === 'web')).toBe(true);
      expect(groups.some((g) => g.client_ip === 'batch' || g.server_ip === 'batch')).toBe(true);
    });

    it('service view and the filter: client/server roles, groups, ports', async () => {
      const range = { from: DAY0, to: at(DAYS) };
      const { rows: svc } = await depsView(store, { ...range, view: 'service' });
      const { rows: hosts } = await depsView(store, range);
      const total = (xs: { bytes_total: number }[]) => xs.reduce((a, r) => a + r.bytes_total, 0);
      expect(total(svc)).toBe(total(hosts));
      expect(svc.length).toBeLessThan(hosts.length);
      const { rows: f } = await depsView(store, {
        ...range,
        filter: 'server group payments-db and not client net 10.1.0.0/24',
      });
      const want = hosts.filter(
        (h) => h.server_group === 'payments-db' && !h.client_ip.startsWith('10.1.0.'),
      );
      expect(f.map((r) => r.id).sort()).toEqual(want.map((r) => r.id).sort());
      expect(f.length).toBeGreaterThan(0);
      const { rows: g } = await depsView(store, { ...range, group: 'payments', direction: 'downstream' });
      expect(g.map((r) => r.id).sort()).toEqual(
        hosts
          .filter((h) => h.server_group === 'payments')
          .map((r) => r.id)
          .sort(),
      );
    });

    it('around a host, reading only the edges near it gives what the whole list gives (depths 1-3)', async () => {
      const range = { from: DAY0, to: at(DAYS) };
      const stored = await store.listDependencies();
      for (const host of [edges[5].server_ip, edges[77].client_ip])
        for (const direction of ['upstream', 'downstream', 'both'] as const)
          for (const depth of [1, 2, 3]) {
            const o = { ...range, host, direction, depth };
            const near = (await depsView(store, o)).rows;
            const whole = (await depsView(store, { ...o, stored })).rows;
            expect(near, `${host} ${direction} ${depth}`).toEqual(whole);
            if (depth === 1 && direction === 'both') expect(near.length).toBeGreaterThan(0);
          }
    });

    it('diff: new, vanished, changed and same as the formula says', async () => {
      const rows = await depsDiff(store, { from: at(4), to: at(8), baseFrom: DAY0, baseTo: at(4) });
      const got = new Map(rows.map((r) => [r.id, [r.change, r.p95, r.p95_base]]));
      expect(got.size).toBe(N);
      for (const e of edges) {
        const i = idx(e.id);
        const want = [refChange(i, [4, 8], [0, 4]), maxP95(i, 4, 8), maxP95(i, 0, 4)];
        expect(got.get(e.id), e.id).toEqual(want);
      }
      // Edges i % 10 = 3 keep their bytes but grow their p95 fourfold: many are changed by p95 alone...
      const byP95Alone = rows.filter(
        (r) =>
          idx(r.id) % 10 === 3 &&
          r.change === 'grown' &&
          Math.abs(r.bytes - r.bytes_base) / r.bytes_base <= 0.5,
      );
      expect(byP95Alone.length).toBeGreaterThan(N / 40);
      // ...and with a p95 factor above that growth, only their bytes count.
      const loose = await depsDiff(store, {
        from: at(4),
        to: at(8),
        baseFrom: DAY0,
        baseTo: at(4),
        p95Factor: 1000,
      });
      for (const r of loose) expect(r.change, r.id).toBe(refChange(idx(r.id), [4, 8], [0, 4], 1000));
      for (const r of byP95Alone) expect(loose.find((x) => x.id === r.id)?.change).toBe('same');
      // Bounds inside days: every day overlapping a period counts for it (day 4 is in both here).
      const h = 3600_000;
      const odd = await depsDiff(store, {
        from: at(4) + h,
        to: at(8) + h,
        baseFrom: DAY0 + h,
        baseTo: at(4) + h,
      });
      const oddGot = new Map(odd.map((r) => [r.id, [r.change, r.bytes, r.bytes_base]]));
      for (const e of edges) {
        const i = idx(e.id);
        const want = refChange(i, [4, 8], [0, 5]);
        expect(oddGot.get(e.id), e.id).toEqual([want, sumBytes(i, 4, 8), sumBytes(i, 0, 5)]);
      }
      const count = (c: string) => rows.filter((r) => r.change === c).length;
      expect(count('new')).toBe(N / 10);
      expect(count('vanished')).toBe(N / 10);
      expect(count('grown')).toBeGreaterThanOrEqual(N / 20);
      expect(count('shrunk')).toBeGreaterThanOrEqual(N / 20);
    });

    it("diff with each edge's daily history: one totals query for every edge, the formula per day", async () => {
      // Count the store's totals reads (the real store answers them).
      let reads = 0;
      const counted = new Proxy(store, {
        get(t, k, r) {
          const v = Reflect.get(t, k, r);
          if (k !== 'dependencyTotals' || typeof v !== 'function')
            return typeof v === 'function' ? v.bind(t) : v;
          return (...args: unknown[]) => {
            reads++;
            return v.apply(t, args);
          };
        },
      });
      const day = (d: number) => new Date(at(d)).toISOString().slice(0, 10);
      const cases: { o: { from: number; to: number; baseFrom: number; baseTo: number }; days: number[] }[] = [
        { o: { from: at(4), to: at(8), baseFrom: DAY0, baseTo: at(4) }, days: [0, 1, 2, 3, 4, 5, 6, 7] },
        // Apart: the gap's days are not listed.
        { o: { from: at(6), to: at(8), baseFrom: DAY0, baseTo: at(2) }, days: [0, 1, 6, 7] },
        // Bounds inside days: day 4 is in both periods.
        {
          o: { from: at(4) + 3600_000, to: at(7), baseFrom: at(1), baseTo: at(4) + 3600_000 },
          days: [1, 2, 3, 4, 5, 6],
        },
      ];
      for (const { o, days } of cases) {
        reads = 0;
        const rows = await depsDiff(counted, { ...o, history: true });
        expect(reads, JSON.stringify(o)).toBe(1);
        const plain = await depsDiff(store, o);
        expect(rows.map(({ history: _, ...r }) => r)).toEqual(plain);
        for (const r of rows) {
          const i = idx(r.id);
          expect(r.history, r.id).toEqual(days.map((d) => ({ day: day(d), bytes: seedBytes(i, d, DAYS) })));
        }
      }
      // Group view: a group edge's days sum its host edges' days (labels of each day).
      const o = { from: at(4), to: at(8), baseFrom: DAY0, baseTo: at(4), view: 'group' as const };
      const groups = await depsDiff(store, { ...o, history: true });
      const total = (h: { bytes: number }[] | undefined) => (h ?? []).reduce((a, d) => a + d.bytes, 0);
      for (const g of groups) expect(total(g.history), g.id).toBe(g.bytes + g.bytes_base);
      const hosts = await depsDiff(store, { ...o, view: 'host', history: true });
      for (let d = 0; d < DAYS; d++) {
        const sum = (rs: typeof hosts) => rs.reduce((a, r) => a + (r.history?.[d].bytes ?? 0), 0);
        expect(sum(groups), `day ${d}`).toBe(sum(hosts));
      }
    });

    it('history: the days of one edge and its direction correction, found from either direction', async () => {
      const e = edges[3];
      await store.recordDependencyChanges([
        {
          dependency_id: e.id,
          at: at(6) + 3600_000,
          from: {
            client_ip: e.server_ip,
            server_ip: e.client_ip,
            server_port: 0,
            rule: 'lower_port',
            confidence: 'low',
          },
          to: {
            client_ip: e.client_ip,
            server_ip: e.server_ip,
            server_port: e.server_port,
            rule: 'service_port',
            confidence: 'medium',
          },
        },
      ]);
      const h = await depsHistory(store, {
        client: e.client_ip,
        server: e.server_ip,
        port: e.server_port,
        protocol: e.ip_protocol,
        from: DAY0,
        to: at(DAYS),
      });
      expect(h.id).toBe(edgeIdOf(3));
      expect(h.days.map((d) => d.bytes)).toEqual([...Array(DAYS).keys()].map((d) => seedBytes(3, d, DAYS)));
      expect(h.days[0].day).toBe(new Date(DAY0).toISOString().slice(0, 10));
      expect(h.changes).toEqual([
        {
          at: new Date(at(6) + 3600_000).toISOString(),
          field: 'direction',
          from: `${e.server_ip} -> ${e.client_ip}:0 (lower_port, low)`,
          to: `${e.client_ip} -> ${e.server_ip}:${e.server_port} (service_port, medium)`,
        },
      ]);
      const old = await depsHistory(store, {
        client: e.server_ip,
        server: e.client_ip,
        port: 0,
        protocol: e.ip_protocol,
        from: DAY0,
        to: at(DAYS),
      });
      expect(old.id).toBe(e.id);
      // The diff over the period of the correction says the direction changed (its class, unless its
      // volume moved too: then grown or shrunk, with the flag).
      const d = await depsDiff(store, { from: at(6), to: at(8), baseFrom: at(4), baseTo: at(6) });
      const moved = refChange(idx(e.id), [6, 8], [4, 6]);
      expect(d.find((r) => r.id === e.id)).toMatchObject({
        change: moved === 'same' ? 'direction_changed' : moved,
        direction_changed: true,
      });
      // Without the correction the same edge is only what its volume says.
      expect(d.filter((r) => r.change === 'direction_changed').map((r) => r.id)).toEqual(
        moved === 'same' ? [e.id] : [],
      );
      expect(
        (
          await depsHistory(store, {
            client: '10.99.0.1',
            server: e.server_ip,
            port: 1,
            protocol: 6,
            from: DAY0,
            to: at(DAYS),
          })
        ).id,
      ).toBeNull();
    });

    it('service NAME selects by the name the rows show: a label naming a server address:port wins', async () => {
      const range = { from: DAY0, to: at(DAYS) };
      const e = edges[7];
      const labelled = [...LABELS, L(e.server_ip, '', { service: 'ledger', port: e.server_port })];
      const { rows } = await depsView(store, { ...range, service: 'ledger', labels: labelled });
      // Every edge to that address:port, and only those, whatever its stored (IANA) name.
      const want = edges
        .filter((x) => x.server_ip === e.server_ip && x.server_port === e.server_port)
        .map((x) => x.id)
        .sort();
      expect(rows.map((r) => r.id).sort()).toEqual(want);
      expect(rows.every((r) => r.service_name === 'ledger')).toBe(true);
      // Without the label the name selects nothing.
      expect((await depsView(store, { ...range, service: 'ledger', labels: LABELS })).rows).toEqual([]);
    });

    // Last: it adds a day to the seeded map.
    it('request and response bytes are unknown (null) over a range holding a day rolled up without them', async () => {
      const e = edges[5];
      const legacy = at(DAYS);
      await seedLegacyDay(store, { edgeId: e.id, day: legacy, bytes: 1000 });
      const before = { from: at(DAYS - 1), to: legacy };
      const across = { from: at(DAYS - 1), to: legacy + DAY_MS };
      const row = async (range: { from: number; to: number }) =>
        (await depsView(store, range)).rows.find((r) => r.id === e.id);
      const known = await row(before);
      expect(known?.request_bytes).toBe(seedRequest(seedBytes(5, DAYS - 1, DAYS)));
      const unknown = await row(across);
      expect(unknown?.bytes_total).toBe(seedBytes(5, DAYS - 1, DAYS) + 1000);
      expect([unknown?.request_bytes, unknown?.response_bytes]).toEqual([null, null]);
      const mapped = (await depsMap(store, across)).find((r) => r.id === e.id);
      expect([mapped?.bytes_total, mapped?.request_bytes, mapped?.response_bytes]).toEqual([
        unknown?.bytes_total,
        null,
        null,
      ]);
      // Another edge of the same range keeps its split.
      const other = (await depsView(store, across)).rows.find((r) => r.id === edges[6].id);
      expect(other?.request_bytes).toBe(seedRequest(seedBytes(6, DAYS - 1, DAYS)));
    });
  });
}

const dirs: string[] = [];
const dbs: TestDatabase[] = [];
viewsOnStore('chdb', async () => {
  const d = tempDir('flowlens-views-');
  dirs.push(d);
  return openStore({ data: d });
});
viewsOnStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_views');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
