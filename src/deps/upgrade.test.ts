/**
 * Upgrading a store that holds edges the lower-port rule made between two ephemeral ports (before
 * discovery stopped making them): the migration drops them with their daily stats and corrections, and
 * keeps every other edge. Both stores; the migration is re-applied by forgetting its record, as a store
 * of the older schema would apply it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir } from '../app/testing/harness.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import type { DependencyEdge, FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { seedLegacyDay } from './testing/seed.js';

const DAY = dayStart(Date.now()) - DAY_MS;

const edge = (n: number, rule: DependencyEdge['direction_rule'], port: number): DependencyEdge => ({
  id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
  client_ip: `10.9.0.${n}`,
  server_ip: '10.9.1.1',
  server_port: port,
  ip_protocol: 6,
  first_seen: DAY,
  last_seen: DAY + 3_600_000,
  service_name: null,
  direction_rule: rule,
  confidence: rule === 'lower_port' ? 'low' : 'medium',
  idle_since: null,
});

// What the store holds from before: two guesses between ephemeral ports, and edges that stay.
const GUESSES = [edge(1, 'lower_port', 40000), edge(2, 'lower_port', 55123)];
const KEPT = [edge(3, 'lower_port', 30005), edge(4, 'service_port', 443), edge(5, 'fan_in', 45000)];

type Forget = (store: FlowStore, version: number) => Promise<void>;

function upgradeOn(
  name: string,
  o: { open: () => Promise<FlowStore>; version: number; forget: Forget },
): void {
  describe(`upgrade on ${name}`, () => {
    let store: FlowStore;
    afterAll(async () => {
      await store?.close();
    });

    it('drops the lower-port edges between two ephemeral ports with their stats and corrections, nothing else', async () => {
      store = await o.open();
      await store.migrate();
      await store.upsertDependencies([...GUESSES, ...KEPT]);
      for (const e of [...GUESSES, ...KEPT])
        await seedLegacyDay(store, { edgeId: e.id, day: DAY, bytes: 100 });
      const g = GUESSES[0];
      await store.recordDependencyChanges([
        {
          dependency_id: g.id,
          at: DAY + 60_000,
          from: {
            client_ip: g.server_ip,
            server_ip: g.client_ip,
            server_port: 50000,
            rule: 'lower_port',
            confidence: 'low',
          },
          to: {
            client_ip: g.client_ip,
            server_ip: g.server_ip,
            server_port: 40000,
            rule: 'lower_port',
            confidence: 'low',
          },
        },
      ]);
      await o.forget(store, o.version);
      await store.migrate();
      const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
      expect(ids(await store.listDependencies())).toEqual(ids(KEPT));
      const stats = await store.dependencyStats(DAY, DAY + DAY_MS);
      expect(stats.map((s) => s.dependency_id).sort()).toEqual(ids(KEPT));
      expect(await store.listDependencyChanges(DAY, DAY + DAY_MS)).toEqual([]);
    });
  });
}

const dbs: TestDatabase[] = [];
upgradeOn('chdb', {
  open: () => openStore({ data: tempDir('flowlens-upgrade-') }),
  version: 10,
  forget: (store, v) =>
    (store as unknown as { exec(sql: string): Promise<void> }).exec(
      `DELETE FROM schema_migrations WHERE version = ${v}`,
    ),
});
upgradeOn('postgres', {
  open: async () => {
    const db = await createTestDatabase('flowlens_upgrade');
    dbs.push(db);
    return openStore({ store: db.url });
  },
  version: 11,
  forget: async (store, v) => {
    await (store as unknown as { pool: { query(sql: string): Promise<unknown> } }).pool.query(
      `DELETE FROM schema_version WHERE version = ${v}`,
    );
  },
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
