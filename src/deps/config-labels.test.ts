/**
 * Labels from the configuration (deps.labels, deps.labelsFile): checked at load like a label file, read
 * before the store's by every reader (the map, the diff, tenant groups, GET /api/v1/labels), so a stored
 * label wins over a configured one of the same prefix length; PUT replaces only the store's. Real stores.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/server.js';
import { openStore } from '../app/store.js';
import { tempDir } from '../app/testing/harness.js';
import { Authenticator } from '../auth/authenticator.js';
import { TenantAdmin, TenantScopes } from '../auth/tenants.js';
import { ConfigError, configLabels, loadConfig } from '../config/load.js';
import { readLabels } from '../core/label-file.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import type { FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { depsDiff } from './history.js';
import { groupLabel as L, seedMap } from './testing/seed.js';
import { depsView } from './view.js';

const DAYS = 4;
const DAY0 = dayStart(Date.now()) - DAYS * DAY_MS;
const at = (d: number) => DAY0 + d * DAY_MS;

const dir = tempDir('flowlens-config-labels-');
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const yaml = (text: string) => file(`c${Math.random().toString(36).slice(2)}.yaml`, text);
function loadError(f: string): string {
  try {
    loadConfig({ file: f });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration labels: loading', () => {
  it('reads deps.labels, then deps.labelsFile, as label file entries', () => {
    const csv = file('hosts.csv', 'cidr,name,group\n10.2.0.0/24,,web\n10.2.0.7,web-7,\n');
    const c = loadConfig({
      file: yaml(
        `deps:\n  labels:\n    - {cidr: 10.1.0.0/24, group: payments, validFrom: "${new Date(at(1)).toISOString()}"}\n    - {cidr: 10.1.0.5, service: orders-db, port: 5432}\n  labelsFile: ${csv}\n`,
      ),
    });
    expect(configLabels(c.deps)).toEqual([
      L('10.1.0.0/24', 'payments', { valid_from: at(1) }),
      L('10.1.0.5', '', { service: 'orders-db', port: 5432 }),
      L('10.2.0.0/24', 'web'),
      L('10.2.0.7', '', { name: 'web-7' }),
    ]);
    // No labels configured: none, and nothing to read.
    expect(configLabels(loadConfig().deps)).toEqual([]);
  });

  it('a bad entry or label file fails loading with one error naming the key and the entry', () => {
    const bad = (labels: string) => loadError(yaml(`deps:\n  labels:\n${labels}`));
    expect(bad('    - {cidr: 10.0.0.0/8, group: corp}\n    - {cidr: 10.0.0.1/8, group: x}\n')).toMatch(
      /^deps\.labels: entry 2: cidr: expected an address or prefix \(host bits clear\), got "10\.0\.0\.1\/8" \(in .*\.yaml\)$/,
    );
    expect(bad('    - {cidr: 10.0.0.0/8, grup: corp}\n')).toMatch(
      /^deps\.labels: entry 1: unknown key "grup"/,
    );
    expect(bad('    - {cidr: 10.0.0.0/8, group: a, validFrom: soon}\n')).toMatch(
      /^deps\.labels: entry 1: valid_from: expected an ISO-8601 time, got "soon"/,
    );
    expect(bad('    - {cidr: 10.0.0.0/8, port: 80}\n')).toMatch(
      /^deps\.labels: entry 1: port: given without/,
    );
    expect(bad('    - 10.0.0.0/8\n')).toMatch(/^deps\.labels: entry 1: expected a mapping/);
    const csv = file('bad.csv', 'cidr,group\n10.0.0.0/8,corp\n10.0.0.0/33,oops\n');
    expect(loadError(yaml(`deps:\n  labelsFile: ${csv}\n`))).toMatch(
      new RegExp(`^deps\\.labelsFile: ${csv}: line 3: cidr: expected an address or prefix`),
    );
    expect(loadError(yaml(`deps:\n  labelsFile: ${dir}/none.yaml\n`))).toMatch(
      new RegExp(`^deps\\.labelsFile: cannot read ${dir}/none\\.yaml: no such file \\(in .*\\.yaml\\)$`),
    );
    expect(loadError(yaml(`deps:\n  labelsFile: ${file('l.txt', '')}\n`))).toMatch(
      /^deps\.labelsFile: .*l\.txt: .*expected a \.csv, \.yaml or \.yml file/,
    );
  });
});

// Hosts are 10.K.0.1-64 (testing/seed.ts). 10.1.0.0/24 is labelled by both: the stored label wins.
const CONFIG = [L('10.0.0.0/8', 'corp'), L('10.1.0.0/24', 'cfg-payments'), L('10.2.0.0/24', 'cfg-web')];
const STORED = [L('10.1.0.0/24', 'stored-payments'), L('10.3.0.9', '', { name: 'nine' })];
/** The reference: the group each address must get with both lists. */
const groupOf = (ip: string) =>
  ip.startsWith('10.1.0.') ? 'stored-payments' : ip.startsWith('10.2.0.') ? 'cfg-web' : 'corp';

function onStore(name: string, open: () => Promise<FlowStore>): void {
  describe(`configuration labels with the store's on ${name}`, () => {
    let store: FlowStore;
    beforeAll(async () => {
      store = await open();
      await store.migrate();
      await seedMap(store, { edges: 300, days: DAYS, day0: DAY0 });
      await store.replaceLabels(STORED);
    }, 180_000);
    afterAll(async () => {
      await store?.close();
    });

    it('reads the configuration first, then the store, each with its source', async () => {
      expect(await readLabels(store, CONFIG)).toEqual([
        ...CONFIG.map((l) => ({ ...l, source: 'config' })),
        ...STORED.map((l) => ({ ...l, source: 'store' })),
      ]);
    });

    it('the map and the diff resolve with both; a stored label wins a same-length configured one', async () => {
      const range = { from: DAY0, to: at(DAYS) };
      const { rows } = await depsView(store, { ...range, configLabels: CONFIG });
      expect(rows.length).toBe(300);
      for (const r of rows) {
        expect(r.client_group, r.client_ip).toBe(groupOf(r.client_ip));
        expect(r.server_group, r.server_ip).toBe(groupOf(r.server_ip));
      }
      expect(rows.some((r) => r.client_ip === '10.2.0.1')).toBe(true);
      // Without the configuration only the store's labels apply.
      const bare = (await depsView(store, range)).rows.find((r) => r.client_ip === '10.2.0.1');
      expect(bare?.client_group).toBeNull();
      const groups = (await depsView(store, { ...range, view: 'group', configLabels: CONFIG })).rows;
      const nodes = new Set(groups.flatMap((g) => [g.client_ip, g.server_ip]));
      expect([...nodes].sort()).toEqual(['cfg-web', 'corp', 'stored-payments']);
      const diff = await depsDiff(store, {
        from: at(2),
        to: at(4),
        baseFrom: DAY0,
        baseTo: at(2),
        view: 'group',
        configLabels: CONFIG,
      });
      expect(new Set(diff.flatMap((g) => [g.client_ip, g.server_ip]))).toEqual(nodes);
    });

    it("a tenant's groups take the networks of configured labels too", async () => {
      await new TenantAdmin(store).create({ name: `cfg${name}`, networks: [], groups: ['cfg-web'] }, 't');
      const scope = await new TenantScopes(store, 0, Date.now, CONFIG).of({ tenant: `cfg${name}` });
      expect(scope?.networks).toEqual(['10.2.0.0/24']);
      const none = await new TenantScopes(store).of({ tenant: `cfg${name}` });
      expect(none?.networks).toEqual([]);
    });
  });
}

const dbs: TestDatabase[] = [];
onStore('chdb', async () => openStore({ data: tempDir('flowlens-config-labels-chdb-') }));
onStore('postgres', async () => {
  const db = await createTestDatabase('flowlens_cfglabels');
  dbs.push(db);
  return openStore({ store: db.url });
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

describe('GET/PUT /api/v1/labels with configuration labels', () => {
  it('GET shows both with their source, PUT replaces only the stored ones, the map uses both', async () => {
    const store = await openStore({ data: tempDir('flowlens-config-labels-api-') });
    await store.migrate();
    await seedMap(store, { edges: 100, days: DAYS, day0: DAY0 });
    const app = await buildApi({
      registry: new Registry(),
      readiness: () => ({ ready: true, checks: {} }),
      store,
      auth: { authenticator: new Authenticator({ mode: 'none' }) },
      configLabels: CONFIG,
    });
    try {
      const get = async () => (await app.inject({ url: '/api/v1/labels' })).json().labels;
      const put = await app.inject({
        method: 'PUT',
        url: '/api/v1/labels',
        payload: { labels: [{ cidr: '10.1.0.0/24', group: 'stored-payments' }] },
      });
      expect(put.json()).toEqual({ count: 1 });
      const listed = await get();
      expect(
        listed.map((l: { cidr: string; group: string; source: string }) => [l.source, l.cidr, l.group]),
      ).toEqual([
        ['config', '10.0.0.0/8', 'corp'],
        ['config', '10.1.0.0/24', 'cfg-payments'],
        ['config', '10.2.0.0/24', 'cfg-web'],
        ['store', '10.1.0.0/24', 'stored-payments'],
      ]);
      await app.inject({ method: 'PUT', url: '/api/v1/labels', payload: { labels: [] } });
      expect((await get()).map((l: { source: string }) => l.source)).toEqual(['config', 'config', 'config']);
      const map = await app.inject({
        method: 'POST',
        url: '/api/v1/deps',
        payload: { from: DAY0, to: at(DAYS) },
      });
      const rows: { client_ip: string; client_group: string | null }[] = map.json().rows;
      expect(rows.length).toBe(100);
      for (const r of rows)
        expect(r.client_group).toBe(
          r.client_ip.startsWith('10.1.0.') ? 'cfg-payments' : groupOf(r.client_ip),
        );
    } finally {
      await app.close();
      await store.close();
    }
  }, 120_000);
});
