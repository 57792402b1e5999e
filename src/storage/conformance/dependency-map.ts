/**
 * Conformance cases of the dependency map's store methods (confidence, idle mark, corrections history,
 * removal, settings): every backend must give what a plain-TypeScript model of the port's contract gives.
 * The edges here use documentation addresses no generated flow touches, so the rollup cases are unaffected.
 */
import { expect, it } from 'vitest';
import { HOUR_MS } from '../../core/rules.js';
import {
  type DependencyChange,
  type DependencyEdge,
  type FlowStore,
  type HostPair,
  normalizeEdge,
} from '../port.js';
import { sortByJson } from './compare.js';
import { rng } from './generator.js';

/** The port's upsert contract in plain TypeScript: by id, earliest first_seen, latest last_seen, rest given. */
export function referenceUpsert(
  stored: readonly DependencyEdge[],
  given: readonly DependencyEdge[],
): Required<DependencyEdge>[] {
  const byId = new Map(stored.map((e) => [e.id, normalizeEdge(e)]));
  for (const e of given) {
    const old = byId.get(e.id);
    const n = normalizeEdge(e);
    byId.set(
      e.id,
      old
        ? {
            ...n,
            first_seen: Math.min(old.first_seen, n.first_seen),
            last_seen: Math.max(old.last_seen, n.last_seen),
          }
        : n,
    );
  }
  return [...byId.values()];
}

/** Corrections as the port returns them: one per key, in [from, to), ordered by at, id, new server. */
export function referenceChanges(
  all: readonly DependencyChange[],
  from: number,
  to: number,
): DependencyChange[] {
  const key = (c: DependencyChange) => `${c.dependency_id}|${c.at}|${c.to.server_ip}|${c.to.server_port}`;
  const one = new Map<string, DependencyChange>();
  for (const c of all) if (!one.has(key(c))) one.set(key(c), c);
  return [...one.values()]
    .filter((c) => c.at >= from && c.at < to)
    .sort(
      (a, b) =>
        a.at - b.at || (a.dependency_id < b.dependency_id ? -1 : a.dependency_id > b.dependency_id ? 1 : 0),
    );
}

const ID = (n: number) => `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`;

export function dependencyMapCases(store: () => FlowStore, ctx: { day: number; seed: number }): void {
  const { day } = ctx;
  const mapEdges: DependencyEdge[] = [
    {
      id: ID(1),
      client_ip: '198.51.100.10',
      server_ip: '198.51.100.20',
      server_port: 5432,
      ip_protocol: 6,
      first_seen: day,
      last_seen: day + HOUR_MS,
      service_name: 'postgresql',
      direction_rule: 'service_port',
      confidence: 'medium',
    },
    {
      id: ID(2),
      client_ip: '2001:db8::10',
      server_ip: '2001:db8::20',
      server_port: 123,
      ip_protocol: 17,
      first_seen: day,
      last_seen: day + 2 * HOUR_MS,
      service_name: 'ntp',
      direction_rule: 'lower_port',
      confidence: 'low',
      idle_since: day + 2 * HOUR_MS,
    },
    {
      id: ID(3),
      client_ip: '198.51.100.11',
      server_ip: '198.51.100.20',
      server_port: 9200,
      ip_protocol: 6,
      first_seen: day,
      last_seen: day + HOUR_MS,
      service_name: null,
      direction_rule: 'fan_in',
    },
  ];

  it('dependency map: keeps confidence and the idle mark like the reference', async () => {
    const s = store();
    const before = await s.listDependencies();
    await s.upsertDependencies(mapEdges);
    // Seen again (idle mark cleared), rule and confidence upgraded, times widened.
    const again: DependencyEdge = {
      ...mapEdges[1],
      first_seen: day + HOUR_MS,
      last_seen: day + 3 * HOUR_MS,
      direction_rule: 'tcp_flags',
      confidence: 'high',
      idle_since: null,
    };
    await s.upsertDependencies([again, { ...mapEdges[2], confidence: 'low' }]);
    const want = referenceUpsert([...before, ...mapEdges], [again, { ...mapEdges[2], confidence: 'low' }]);
    expect(sortByJson(await s.listDependencies())).toEqual(sortByJson(want));
  });

  it('dependency map: reads the edges between given host pairs like the reference, either way round', async () => {
    const s = store();
    const all = await s.listDependencies();
    expect(all.length).toBeGreaterThan(mapEdges.length);
    const rnd = rng(ctx.seed);
    // Pairs of stored edges as given and turned round, a known pair on another protocol, unknown hosts.
    const pairs: HostPair[] = all
      .filter(() => rnd() < 0.5)
      .map((e) =>
        rnd() < 0.5
          ? { ip_protocol: e.ip_protocol, a: e.client_ip, b: e.server_ip }
          : { ip_protocol: e.ip_protocol, a: e.server_ip, b: e.client_ip },
      );
    pairs.push(
      { ip_protocol: 17, a: mapEdges[0].client_ip, b: mapEdges[0].server_ip },
      { ip_protocol: 6, a: '203.0.113.1', b: '2001:db8::ffff' },
      pairs[0] ?? { ip_protocol: 6, a: mapEdges[0].server_ip, b: mapEdges[0].client_ip },
    );
    const key = (p: number, x: string, y: string) => `${p}|${[x, y].sort().join('|')}`;
    const asked = new Set(pairs.map((p) => key(p.ip_protocol, p.a, p.b)));
    const want = all.filter((e) => asked.has(key(e.ip_protocol, e.client_ip, e.server_ip)));
    expect(want.length).toBeGreaterThan(0);
    expect(sortByJson(await s.dependenciesBetween(pairs))).toEqual(sortByJson(want));
    expect(await s.dependenciesBetween([])).toEqual([]);
  });

  it('dependency map: marks edges idle in the store like the reference', async () => {
    const s = store();
    const before = await s.listDependencies();
    const cutoff = day + 90 * 60_000;
    const want = before.map((e) =>
      e.idle_since === null && e.last_seen < cutoff ? { ...e, idle_since: e.last_seen } : e,
    );
    const marked = want.filter((e, i) => e !== before[i]);
    expect(marked.length).toBeGreaterThan(0);
    expect(marked.length).toBeLessThan(before.length);
    expect(await s.markIdleDependencies(cutoff)).toBe(marked.length);
    expect(sortByJson(await s.listDependencies())).toEqual(sortByJson(want));
    expect(await s.markIdleDependencies(cutoff)).toBe(0); // idle_since never moves once set
    // Back as they were, for the cases after this one.
    await s.upsertDependencies(marked.map((e) => ({ ...e, idle_since: null })));
    expect(sortByJson(await s.listDependencies())).toEqual(sortByJson(before));
  });

  it('dependency map: records corrections once per key and lists them by time', async () => {
    const s = store();
    const side = (client: string, server: string, port: number) => ({
      client_ip: client,
      server_ip: server,
      server_port: port,
      rule: 'lower_port' as const,
      confidence: 'low' as const,
    });
    const changes: DependencyChange[] = [
      {
        dependency_id: ID(2),
        at: day + 3 * HOUR_MS,
        from: side('2001:db8::20', '2001:db8::10', 123),
        to: { ...side('2001:db8::10', '2001:db8::20', 123), rule: 'tcp_flags', confidence: 'high' },
      },
      {
        dependency_id: ID(1),
        at: day + HOUR_MS,
        from: side('198.51.100.20', '198.51.100.10', 800),
        to: { ...side('198.51.100.10', '198.51.100.20', 5432), rule: 'biflow', confidence: 'high' },
      },
    ];
    await s.recordDependencyChanges(changes);
    await s.recordDependencyChanges([changes[0]]); // a re-run after a crash: still one row
    await s.recordDependencyChanges([]);
    const all = [...changes, changes[0]];
    expect(await s.listDependencyChanges(day - 1e15, day + 1e15)).toEqual(
      referenceChanges(all, -Infinity, Infinity),
    );
    expect(await s.listDependencyChanges(day + 2 * HOUR_MS, day + 4 * HOUR_MS)).toEqual(
      referenceChanges(all, day + 2 * HOUR_MS, day + 4 * HOUR_MS),
    );
  });

  it('dependency map: removes edges with their corrections', async () => {
    const s = store();
    const before = await s.listDependencies();
    await s.removeDependencies(mapEdges.map((e) => e.id));
    await s.removeDependencies([]);
    const gone = new Set(mapEdges.map((e) => e.id));
    expect(sortByJson(await s.listDependencies())).toEqual(sortByJson(before.filter((e) => !gone.has(e.id))));
    expect(await s.listDependencyChanges(day - 1e15, day + 1e15)).toEqual([]);
  });

  it('settings: absent is null, the newest write wins', async () => {
    const s = store();
    expect(await s.getSetting('conformance_key')).toBeNull();
    await s.putSetting('conformance_key', 'one');
    await s.putSetting('conformance_key', 'two');
    expect(await s.getSetting('conformance_key')).toBe('two');
  });
}
