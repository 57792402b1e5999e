/**
 * Discovery against real stores: the truth set (testing/scenarios.ts, src/gen's traffic plus the hard
 * cases) stored as raw flows, aggregated by the store, discovered by the job. Each store must give the
 * edges the pure core gives on the same aggregate rows (the plain-TypeScript reference), fill
 * dependency_stats, and do it idempotently.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir } from '../app/testing/harness.js';
import { formatDeps } from '../cli/commands/deps.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import { addBiflowTotals, NO_BIFLOW } from '../storage/conformance/reference-biflow.js';
import {
  type ConversationTotalsRow,
  type DependencyEdge,
  type FlowStore,
  normalizeEdge,
} from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { inferEdges } from './infer.js';
import { DISCOVERED_UNTIL_KEY, DiscoveryJob } from './job.js';
import { depsMap } from './map.js';
import { mergeEdges } from './merge.js';
import { aggregateForDeps } from './testing/aggregate.js';
import { buildTruthSet, T0 } from './testing/scenarios.js';
import { VIEW_COLUMNS } from './view.js';

// Yesterday, same time of day as the truth set: inside every default retention.
const SHIFT = dayStart(Date.now()) - DAY_MS - dayStart(T0);
const net = buildTruthSet(1);
const flows = net.flows.map((f) => ({
  ...f,
  flow_start: f.flow_start + SHIFT,
  flow_end: f.flow_end + SHIFT,
  received_at: f.received_at + SHIFT,
}));
const DAY = dayStart(T0 + SHIFT);
// The reference's aggregate rows, biflow evidence included (the tier keeps it: deps/biflow.ts's rule).
const rows = aggregateForDeps(flows);
const synNoAckFlags = (f: number) => (f & 0x12) === 0x02;
const NO_BIFLOW_ROWS = { ...NO_BIFLOW, reverse_syn_no_ack_rows: 0 };

/** The biflow sums per conversation key (src|dst|sport|dport|proto) of the reference rows. */
function referenceBiflow(): Map<string, Omit<ConversationTotalsRow, keyof ConversationRowBase>> {
  const out = new Map<string, Omit<ConversationTotalsRow, keyof ConversationRowBase>>();
  for (const r of rows) {
    const b = r.biflow;
    if (!b) continue;
    const key = [r.src_ip, r.dst_ip, r.src_port, r.dst_port, r.ip_protocol].join('|');
    const t = out.get(key) ?? { ...NO_BIFLOW_ROWS };
    out.set(key, t);
    addBiflowTotals(t, b);
  }
  return out;
}
type ConversationRowBase = Pick<
  ConversationTotalsRow,
  | 'src_ip'
  | 'dst_ip'
  | 'src_port'
  | 'dst_port'
  | 'ip_protocol'
  | 'first_window'
  | 'last_window'
  | 'flow_count'
  | 'bytes_total'
  | 'packets_total'
  | 'new_sessions'
  | 'tcp_flags_observed'
  | 'syn_no_ack_rows'
>;
const reference = mergeEdges([], inferEdges(rows).edges).edges.map(normalizeEdge);
const signal = new AbortController().signal;
const clientEndpoints = new Set(
  [...net.truth.values()]
    .filter((t) => t.kind !== 'peer')
    .map((t) => `${t.proto}|${t.client_ip}|${t.client_port}`),
);
const byId = (xs: DependencyEdge[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));

function discoveryOnStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`dependency discovery job on ${name}`, () => {
    let store: FlowStore;
    let job: DiscoveryJob;
    beforeAll(async () => {
      store = await open();
      await store.migrate();
      await store.insertFlows(flows);
      await store.aggregateWindows(DAY, DAY + DAY_MS);
      await store.setAggregatedUntil(DAY + DAY_MS);
      job = new DiscoveryJob({ store, everyMs: 60_000 });
    }, 120_000);
    afterAll(async () => {
      await store?.close();
    });

    it('stores the edges the pure core infers from the same aggregate rows, biflow evidence included (none at a client port)', async () => {
      const summary = await job.run(signal);
      expect(summary).toMatchObject({ edges: reference.length, newEdges: reference.length, corrections: 0 });
      const got = byId(await store.listDependencies());
      expect(got).toEqual(byId(reference));
      // No edge points at a client's port: the biflow case of a client on a low port (10.8.3.0/24,
      // 700 -> 3xxxx) is decided by the exporter's initiator evidence, which the tier keeps.
      const toClientPorts = got.filter((e) =>
        clientEndpoints.has(`${e.ip_protocol}|${e.server_ip}|${e.server_port}`),
      );
      expect(toClientPorts.map((e) => `${e.client_ip} -> ${e.server_ip}:${e.server_port}`)).toEqual([]);
      expect(got.some((e) => e.direction_rule === 'biflow')).toBe(true);
      const web = got.filter((e) => e.server_ip === '10.8.0.5' && e.server_port === 443);
      expect(web.length).toBe(6);
      // The web server's biflow exporter names the initiator with no vote the other way: high.
      for (const e of web)
        expect([e.service_name, e.direction_rule, e.confidence]).toEqual(['https', 'biflow', 'high']);
      expect(await store.getSetting(DISCOVERED_UNTIL_KEY)).toBe(String(DAY + DAY_MS));
    });

    it('reads conversations summed across windows (conversationTotals == the tier rows grouped here; in parts alike)', async () => {
      const tier = (await store.query({ kind: 'aggregate_rows', from: DAY, to: DAY + DAY_MS })).rows;
      const want = new Map<string, ConversationTotalsRow>();
      const biflow = referenceBiflow();
      expect(biflow.size).toBeGreaterThan(0); // the truth set has biflow conversations
      for (const r of tier) {
        const n = (k: string) => Number(r[k]);
        const key = [r.src_ip, r.dst_ip, r.src_port, r.dst_port, r.ip_protocol].join('|');
        const w = want.get(key);
        const synNoAck = synNoAckFlags(n('tcp_flags_observed')) ? 1 : 0;
        if (!w) {
          want.set(key, {
            src_ip: String(r.src_ip),
            dst_ip: String(r.dst_ip),
            src_port: n('src_port'),
            dst_port: n('dst_port'),
            ip_protocol: n('ip_protocol'),
            first_window: n('window_start'),
            last_window: n('window_start'),
            flow_count: n('flow_count'),
            bytes_total: n('bytes_total'),
            packets_total: n('packets_total'),
            new_sessions: n('new_sessions'),
            tcp_flags_observed: n('tcp_flags_observed'),
            syn_no_ack_rows: synNoAck,
            ...(biflow.get(key) ?? NO_BIFLOW_ROWS),
          });
          continue;
        }
        w.first_window = Math.min(w.first_window, n('window_start'));
        w.last_window = Math.max(w.last_window, n('window_start'));
        w.flow_count += n('flow_count');
        w.bytes_total += n('bytes_total');
        w.packets_total += n('packets_total');
        w.new_sessions += n('new_sessions');
        w.tcp_flags_observed |= n('tcp_flags_observed');
        w.syn_no_ack_rows += synNoAck;
      }
      const order = (xs: ConversationTotalsRow[]) =>
        [...xs].sort((a, b) => {
          const ka = `${a.src_ip}|${a.dst_ip}|${a.src_port}|${a.dst_port}|${a.ip_protocol}`;
          const kb = `${b.src_ip}|${b.dst_ip}|${b.src_port}|${b.dst_port}|${b.ip_protocol}`;
          return ka < kb ? -1 : ka > kb ? 1 : 0;
        });
      const got = (await store.conversationTotals(DAY, DAY + DAY_MS)).rows;
      expect(want.size).toBeLessThan(tier.length); // the truth set repeats conversations across windows
      expect(order(got)).toEqual(order([...want.values()]));
    });

    it('fills dependency_stats for the discovered edges (bytes, p95, bytes per hour)', async () => {
      const stats = await store.dependencyStats(DAY, DAY + DAY_MS);
      const ids = new Set(reference.map((e) => e.id));
      expect(stats.length).toBeGreaterThan(reference.length / 2);
      for (const s of stats) {
        expect(ids.has(s.dependency_id)).toBe(true);
        expect(s.bytes_per_hour).toHaveLength(24);
        expect(s.bytes_per_hour.reduce((a, b) => a + b, 0)).toBe(s.bytes_total);
      }
      expect(stats.some((s) => (s.bytes_p95 ?? 0) > 0)).toBe(true);
      // Each side as the pure core counts it, biflow reverse counters included: the day is the discovery
      // window, so an edge's stats of the day are its totals.
      const key = (e: { client_ip: string; server_ip: string; server_port: number; ip_protocol: number }) =>
        `${e.client_ip}|${e.server_ip}|${e.server_port}|${e.ip_protocol}`;
      const core = new Map(inferEdges(rows).edges.map((e) => [key(e), e]));
      const stored = new Map((await store.listDependencies()).map((e) => [e.id, key(e)]));
      for (const s of stats) {
        const e = core.get(stored.get(s.dependency_id) ?? '');
        expect(e, s.dependency_id).toBeDefined();
        const sides = (x: typeof s) => [x.bytes_total, x.request_bytes, x.packets_total, x.request_packets];
        expect(sides(s), key(e!)).toEqual([
          e!.request_bytes + e!.response_bytes,
          e!.request_bytes,
          e!.request_packets + e!.response_packets,
          e!.request_packets,
        ]);
        expect([s.flow_count, s.request_flows]).toEqual([
          e!.request_flows + e!.response_flows,
          e!.request_flows,
        ]);
      }
      expect(stats.some((s) => s.request_bytes !== s.bytes_total && (s.request_bytes ?? 0) > 0)).toBe(true);
    });

    it('is idempotent: discovering the same windows again changes nothing', async () => {
      const edges = byId(await store.listDependencies());
      const stats = await store.dependencyStats(DAY, DAY + DAY_MS);
      await store.putSetting(DISCOVERED_UNTIL_KEY, String(DAY));
      const summary = await job.run(signal);
      expect(summary).toMatchObject({ newEdges: 0, corrections: 0 });
      expect(byId(await store.listDependencies())).toEqual(edges);
      expect(await store.dependencyStats(DAY, DAY + DAY_MS)).toEqual(stats);
      expect(await job.run(signal)).toBeNull(); // nothing new aggregated
    });

    it('answers the map around a host and a service, and prints every format (DOT that Graphviz renders)', async () => {
      const range = { from: DAY, to: DAY + DAY_MS };
      const all = await depsMap(store, range);
      expect(all.length).toBe(reference.length);
      const web = await depsMap(store, { ...range, service: 'https', minBytes: 1 });
      expect(web.length).toBeGreaterThan(0);
      for (const r of web) {
        expect(r.service_name).toBe('https');
        expect(r.bytes_total).toBeGreaterThan(0);
        expect(r.bytes_p95).not.toBeNull();
        expect(r.sessions).toBeGreaterThanOrEqual(0);
      }
      const host = web[0].client_ip;
      const up = await depsMap(store, { ...range, host, direction: 'upstream' });
      expect(up.every((r) => r.client_ip === host)).toBe(true);
      const down = await depsMap(store, { ...range, host: web[0].server_ip, direction: 'downstream' });
      expect(down.every((r) => r.server_ip === web[0].server_ip)).toBe(true);
      expect(down.length).toBeGreaterThan(1);
      const deeper = await depsMap(store, { ...range, host, direction: 'upstream', depth: 3 });
      expect(deeper.length).toBeGreaterThanOrEqual(up.length);

      const json = JSON.parse(formatDeps(web, 'json'));
      // The CLI prints the labelled columns (null labels for a plain depsMap row).
      expect(Object.keys(json[0])).toEqual([...VIEW_COLUMNS]);
      const csv = formatDeps(web, 'csv').trimEnd().split('\n');
      expect(csv[0]).toBe(VIEW_COLUMNS.join(','));
      expect(csv).toHaveLength(web.length + 1);
      expect(formatDeps(web, 'table')).toMatch(/client_ip\s+server_ip\s+server_port/);
      const dot = formatDeps(all, 'dot');
      expect(dot).toMatch(/^digraph flowlens \{/);
      // Graphviz renders it (.ci/run installs Debian's graphviz; without `dot` this fails, it is not skipped).
      const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
      expect(r.error, 'Graphviz `dot` is not installed (apt-get install graphviz)').toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/<svg/);
    });

    it('turns a stored edge round in place when stronger evidence says so, and keeps the change', async () => {
      const target = reference.find(
        (e) => e.direction_rule === 'tcp_flags' || e.direction_rule === 'service_port',
      );
      expect(target).toBeDefined();
      const t = target!;
      const reversed: DependencyEdge = {
        ...t,
        client_ip: t.server_ip,
        server_ip: t.client_ip,
        direction_rule: 'lower_port',
        confidence: 'low',
      };
      // The reversed form of the conversation is the only stored edge of it.
      await store.removeDependencies([t.id]);
      await store.upsertDependencies([{ ...reversed, server_port: 0 }]);
      job.noteReaggregated([DAY + 9 * 3_600_000]);
      await store.putSetting(DISCOVERED_UNTIL_KEY, String(DAY + DAY_MS));
      const summary = await job.run(signal);
      expect(summary).toMatchObject({ lateDays: 1 });
      const now = (await store.listDependencies()).find((e) => e.id === t.id)!;
      expect([now.client_ip, now.server_ip, now.server_port, now.direction_rule]).toEqual([
        t.client_ip,
        t.server_ip,
        t.server_port,
        t.direction_rule,
      ]);
      const changes = await store.listDependencyChanges(DAY - DAY_MS, DAY + 2 * DAY_MS);
      expect(changes.map((c) => [c.dependency_id, c.from.rule, c.to.rule, c.to.server_ip])).toEqual([
        [t.id, 'lower_port', t.direction_rule, t.server_ip],
      ]);
    });
  });
}

const dirs: string[] = [];
const dbs: TestDatabase[] = [];
discoveryOnStore('chdb', async () => {
  const d = tempDir('flowlens-deps-');
  dirs.push(d);
  return openStore({ data: d });
});
discoveryOnStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_deps');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
