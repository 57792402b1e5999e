/**
 * Tenants over HTTP on the real embedded store: an admin creates a tenant (validated, canonical, audited),
 * a viewer token bound to it sees only its rows on every query route and the dependency map whatever its
 * filter tries, a tenant-bound admin cannot manage tenants, and a deleted tenant's token reads nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { TokenAdmin } from '../auth/admin.js';
import { Authenticator } from '../auth/authenticator.js';
import { TenantAdmin, TenantScopes } from '../auth/tenants.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import { checkScope, rowInScope } from '../query/scope.js';
import { generateFlows } from '../storage/conformance/generator.js';
import type { FlowStore } from '../storage/port.js';
import { buildApi } from './server.js';

let dir: string;
let store: FlowStore;
let app: FastifyInstance;
const day = dayStart(Date.now()) - DAY_MS;
const flows = generateFlows({ seed: 42, day, conversations: 300 });
const tok: Record<string, string> = {};
const NETB = { name: 'net-b', networks: ['10.1.0.0/24', 'fd00::/16'] };
const scope = checkScope(NETB);

async function api(o: { method?: string; url: string; as: string; body?: unknown }) {
  return app.inject({
    method: (o.method ?? (o.body === undefined ? 'GET' : 'POST')) as 'GET',
    url: o.url,
    headers: { authorization: `Bearer ${tok[o.as]}` },
    ...(o.body !== undefined ? { payload: o.body as object } : {}),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-api-tenants-'));
  store = await openStore({ data: dir });
  await store.migrate();
  await store.insertFlows(flows);
  await store.aggregateWindows(day, day + DAY_MS);
  await store.setAggregatedUntil(day + DAY_MS);
  await store.upsertDependencies([
    {
      id: '00000000-0000-4000-8000-000000000001',
      client_ip: '10.2.0.1',
      server_ip: '10.1.0.10',
      server_port: 443,
      ip_protocol: 6,
      first_seen: day,
      last_seen: day + 1000,
      service_name: null,
      direction_rule: 'given',
    },
    {
      id: '00000000-0000-4000-8000-000000000002',
      client_ip: '10.2.0.2',
      server_ip: '198.51.100.7',
      server_port: 443,
      ip_protocol: 6,
      first_seen: day,
      last_seen: day + 1000,
      service_name: null,
      direction_rule: 'given',
    },
  ]);
  const admin = new TokenAdmin(store);
  const mk = async (name: string, role: string, tenant: string | null) => {
    tok[name] = (await admin.create({ role, tenant, name }, 'test')).token;
  };
  await mk('admin', 'admin', null);
  await mk('tenantAdmin', 'admin', 'net-b');
  await mk('viewerB', 'viewer', 'net-b');
  await mk('ghost', 'viewer', 'no-such-tenant');
  app = await buildApi({
    registry: new Registry(),
    readiness: () => ({ ready: true, checks: {} }),
    store,
    auth: { authenticator: new Authenticator({ mode: 'required', tokens: store }) },
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tenants API', () => {
  it('an admin creates a tenant: canonical lists, 201, listed, audited; duplicates and bad input refused', async () => {
    const res = await api({
      url: '/api/v1/tenants',
      as: 'admin',
      body: { ...NETB, exporters: ['::ffff:192.0.2.9'], groups: ['web'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      name: 'net-b',
      exporters: ['192.0.2.9'],
      networks: ['10.1.0.0/24', 'fd00::/16'],
      groups: ['web'],
    });
    expect(typeof res.json().createdAt).toBe('string');
    expect((await api({ url: '/api/v1/tenants', as: 'admin', body: NETB })).statusCode).toBe(409);
    const bad = await api({
      url: '/api/v1/tenants',
      as: 'admin',
      body: { name: 'x', networks: ['10.1.0.0/24', '10.300.0.0/16'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ parameter: 'networks' });
    expect(bad.json().detail).toContain('10.300.0.0/16');
    const badIp = await api({
      url: '/api/v1/tenants',
      as: 'admin',
      body: { name: 'x', exporters: ['router-1'] },
    });
    expect(badIp.json().detail).toContain('router-1');
    const badName = await api({ url: '/api/v1/tenants', as: 'admin', body: { name: "a'; drop" } });
    expect(badName.json()).toMatchObject({ parameter: 'name' });
    const list = await api({ url: '/api/v1/tenants', as: 'admin' });
    expect(list.json().tenants.map((t: { name: string }) => t.name)).toEqual(['net-b']);
    const audit = await api({ url: '/api/v1/audit', as: 'admin' });
    expect(audit.json().entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'tenant.create', target: 'net-b' })]),
    );
    // Fix the exporter out again: the scope under test is networks only.
    await store.deleteTenant('net-b');
    await api({ url: '/api/v1/tenants', as: 'admin', body: NETB });
  });

  it('a tenant-bound admin may not manage tenants (403)', async () => {
    for (const [method, url, body] of [
      ['GET', '/api/v1/tenants', undefined],
      ['POST', '/api/v1/tenants', { name: 'wider', networks: ['0.0.0.0/0'] }],
      ['DELETE', '/api/v1/tenants/net-b', undefined],
    ] as const) {
      const res = await api({ method, url, as: 'tenantAdmin', body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().type).toBe('/api/problems/forbidden');
    }
  });

  it('a viewer bound to the tenant sees only its rows on every query route, whatever the filter', async () => {
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    const want = flows.filter((f) => rowInScope(f, scope)).length;
    expect(want).toBeGreaterThan(0);
    expect(want).toBeLessThan(flows.length);
    for (const filter of [
      '',
      'not src net 10.1.0.0/24 or src net 0.0.0.0/0',
      'not (dst net 10.1.0.0/24)',
      'src net ::/0 or src net 0.0.0.0/0',
    ]) {
      const top = await api({
        url: '/api/v1/top',
        as: 'viewerB',
        body: {
          from,
          to,
          by: ['exporter_ip', 'src_ip', 'dst_ip'],
          metric: 'flows',
          limit: 10_000,
          tier: 'raw',
          filter,
        },
      });
      expect(top.statusCode, top.body).toBe(200);
      for (const r of top.json().rows)
        expect(rowInScope(r, scope), `${filter} ${JSON.stringify(r)}`).toBe(true);
      const search = await api({
        url: '/api/v1/flows',
        as: 'viewerB',
        body: { from, to, limit: 1000, filter },
      });
      expect(search.statusCode, search.body).toBe(200);
      for (const r of search.json().rows) expect(rowInScope(r, scope), filter).toBe(true);
    }
    const total = await api({
      url: '/api/v1/top',
      as: 'viewerB',
      body: { from, to, by: [], metric: 'flows', limit: 1, tier: 'raw' },
    });
    expect(total.json().rows[0].flows).toBe(want);
    const adminTotal = await api({
      url: '/api/v1/top',
      as: 'admin',
      body: { from, to, by: [], metric: 'flows', limit: 1, tier: 'raw' },
    });
    expect(adminTotal.json().rows[0].flows).toBe(flows.length);
    // The query AST route too.
    const ast = await api({
      url: '/api/v1/query',
      as: 'viewerB',
      body: {
        kind: 'top',
        from: day,
        to: day + DAY_MS,
        by: [],
        metric: 'flows',
        limit: 1,
        tier: 'raw',
        filter: { op: 'not', filter: { op: 'and', filters: [] } },
      },
    });
    expect(ast.statusCode, ast.body).toBe(200);
    expect(ast.json().rows[0].flows).toBe(0);
    const series = await api({
      url: '/api/v1/series',
      as: 'viewerB',
      body: { from, to, by: [], metric: 'flows', tier: 'raw' },
    });
    expect(series.statusCode, series.body).toBe(200);
    expect(series.json().rows.reduce((s: number, r: { flows: number }) => s + r.flows, 0)).toBe(want);
  });

  it('the dependency map shows only edges with an end in the networks; whoami names the tenant', async () => {
    const deps = await api({
      url: '/api/v1/deps',
      as: 'viewerB',
      body: { from: new Date(day).toISOString(), to: new Date(day + DAY_MS).toISOString() },
    });
    expect(deps.statusCode, deps.body).toBe(200);
    expect(deps.json().rows.map((r: { server_ip: string }) => r.server_ip)).toEqual(['10.1.0.10']);
    const all = await api({
      url: '/api/v1/deps',
      as: 'admin',
      body: { from: new Date(day).toISOString(), to: new Date(day + DAY_MS).toISOString() },
    });
    expect(all.json().rows).toHaveLength(2);
    expect((await api({ url: '/api/v1/whoami', as: 'viewerB' })).json()).toMatchObject({
      tenant: 'net-b',
      role: 'viewer',
    });
  });

  it("scans and the example queries run in the scope too (the scans equal an admin's with the scope as filter)", async () => {
    const range = { from: new Date(day).toISOString(), to: new Date(day + DAY_MS).toISOString() };
    const scans = (as: string, filter?: string) =>
      api({
        url: '/api/v1/scans',
        as,
        body: { ...range, minTargets: 1, minSampledTargets: 1, limit: 10_000, ...(filter ? { filter } : {}) },
      });
    const mine = await scans('viewerB');
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().rows.length).toBeGreaterThan(0);
    const all = await scans('admin');
    expect(all.json().rows.length).toBeGreaterThan(mine.json().rows.length);
    const asFilter = await scans('admin', 'net 10.1.0.0/24 or net fd00::/16');
    expect(mine.json().rows).toEqual(asFilter.json().rows);
    const example = await api({ url: `/api/v1/examples/2?from=${range.from}&to=${range.to}`, as: 'viewerB' });
    expect(example.statusCode, example.body).toBe(200);
  });

  it('an edge history and the map diff stay inside the scope', async () => {
    const iso = (t: number) => new Date(t).toISOString();
    const history = (as: string) =>
      api({
        url: `/api/v1/deps/history?client=10.2.0.2&server=198.51.100.7&port=443&protocol=6&from=${iso(day)}&to=${iso(day + DAY_MS)}`,
        as,
      });
    const outside = await history('viewerB');
    expect(outside.statusCode, outside.body).toBe(200);
    expect(outside.json().id).toBeNull();
    expect((await history('admin')).json().id).toBe('00000000-0000-4000-8000-000000000002');
    const period = { from: iso(day), to: iso(day + DAY_MS), baseFrom: iso(day - DAY_MS), baseTo: iso(day) };
    const diff = (as: string) => api({ url: '/api/v1/deps/diff', as, body: period });
    const ids = async (as: string) =>
      (await diff(as))
        .json()
        .rows.flatMap((r: { client_ip: string; server_ip: string }) => [r.client_ip, r.server_ip]);
    expect(await ids('viewerB')).not.toContain('198.51.100.7');
    expect((await diff('viewerB')).statusCode).toBe(200);
  });

  it('a token of a tenant that does not exist (or no longer) reads nothing: 403', async () => {
    const ghost = await api({ url: '/api/v1/top', as: 'ghost', body: { by: ['src_ip'] } });
    expect(ghost.statusCode).toBe(403);
    expect(ghost.json().detail).toContain('no-such-tenant');
    const del = await api({ method: 'DELETE', url: '/api/v1/tenants/net-b', as: 'admin' });
    expect(del.statusCode).toBe(204);
    expect((await api({ method: 'DELETE', url: '/api/v1/tenants/net-b', as: 'admin' })).statusCode).toBe(404);
    expect((await api({ url: '/api/v1/top', as: 'viewerB', body: { by: ['src_ip'] } })).statusCode).toBe(403);
    const audit = await api({ url: '/api/v1/audit', as: 'admin' });
    expect(audit.json().entries[0]).toMatchObject({ action: 'tenant.delete', target: 'net-b' });
  });
  it("a tenant's groups add the networks of their labels valid now (expired labels and other groups do not)", async () => {
    const now = Date.now();
    const label = (cidr: string, group: string, valid_to: number | null) => ({
      cidr,
      name: cidr,
      group,
      service: null,
      port: null,
      valid_from: null,
      valid_to,
    });
    await store.replaceLabels([
      label('10.9.0.0/16', 'payments', null),
      label('10.8.0.0/16', 'payments', now - DAY_MS),
      label('10.7.0.0/16', 'web', null),
    ]);
    await new TenantAdmin(store).create(
      { name: 'grp', networks: ['10.1.0.0/24'], groups: ['payments'] },
      't',
    );
    const scope = await new TenantScopes(store).of({ tenant: 'grp' });
    expect(scope?.networks.sort()).toEqual(['10.1.0.0/24', '10.9.0.0/16']);
    await store.replaceLabels([]);
  });
});
