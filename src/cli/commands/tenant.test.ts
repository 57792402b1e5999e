/**
 * `flowlens tenant`: create/list/delete directly on the store (bad input named, exit 2), then through a
 * running API with an admin token from FLOWLENS_TOKEN; a token bound to the tenant then sees only its rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/server.js';
import { openStore } from '../../app/store.js';
import { TokenAdmin } from '../../auth/admin.js';
import { Authenticator } from '../../auth/authenticator.js';
import { captureIO } from '../testing/io.js';
import { runTenant } from './tenant.js';

let data: string;
const env = {};
beforeAll(() => {
  data = mkdtempSync(join(tmpdir(), 'flowlens-tenant-cli-'));
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('flowlens tenant', () => {
  it('creates, lists and deletes on the store; canonical lists', async () => {
    const io = captureIO();
    await runTenant(
      { kind: 'create', name: 'team-a' },
      {
        data,
        exporters: '192.0.2.1, ::ffff:192.0.2.2',
        networks: '10.1.2.3/16,2001:db8::/32',
        groups: 'web',
      },
      io,
      { env },
    );
    expect(io.err()).toBe('');
    expect(io.code()).toBe(0);
    expect(io.out()).toMatch(/team-a\s+192\.0\.2\.1,192\.0\.2\.2\s+10\.1\.0\.0\/16,2001:db8::\/32\s+web/);
    const again = captureIO();
    await runTenant({ kind: 'create', name: 'team-a' }, { data }, again, { env });
    expect(again.code()).toBe(1);
    expect(again.err()).toMatch(/tenant team-a already exists/);
    const json = captureIO();
    await runTenant({ kind: 'list' }, { data, json: true }, json, { env });
    expect(JSON.parse(json.out())).toEqual([
      expect.objectContaining({ name: 'team-a', networks: ['10.1.0.0/16', '2001:db8::/32'] }),
    ]);
  });

  it('refuses a bad CIDR, address or name, naming it (exit 2)', async () => {
    for (const [name, flags, want] of [
      ['b', { networks: '10.0.0.0/8,10.0.0.0/33' }, /--networks: not a CIDR .*"10\.0\.0\.0\/33"/],
      ['b', { networks: '10.0.0.1' }, /--networks: not a CIDR .*"10\.0\.0\.1"/],
      ['b', { exporters: 'router1' }, /--exporters: not an IP address: "router1"/],
      ['no spaces', {}, /name: expected a tenant name/],
    ] as const) {
      const io = captureIO();
      await runTenant({ kind: 'create', name }, { data, ...flags }, io, { env });
      expect(io.code(), name).toBe(2);
      expect(io.err()).toMatch(want);
    }
  });

  it('goes through a running serve with FLOWLENS_TOKEN; the tenant bounds a bound token', async () => {
    const store = await openStore({ data });
    await store.migrate();
    const admin = (await new TokenAdmin(store).create({ role: 'admin' }, 'test')).token;
    const viewer = (await new TokenAdmin(store).create({ role: 'viewer', tenant: 'team-b' }, 'test')).token;
    const app = await buildApi({
      registry: new Registry(),
      readiness: () => ({ ready: true, checks: {} }),
      store,
      auth: { authenticator: new Authenticator({ mode: 'required', tokens: store }) },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const via = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const as = { env: { FLOWLENS_TOKEN: admin } };
      const created = captureIO();
      await runTenant(
        { kind: 'create', name: 'team-b' },
        { via, data, networks: '10.9.0.0/16' },
        created,
        as,
      );
      expect(created.err()).toBe('');
      expect(created.out()).toMatch(/team-b\s+-\s+10\.9\.0\.0\/16/);
      const bad = captureIO();
      await runTenant({ kind: 'create', name: 'team-c' }, { via, data, networks: 'fd00::/200' }, bad, as);
      expect(bad.code()).toBe(1);
      expect(bad.err()).toMatch(/networks: not a CIDR .*fd00::\/200/);
      const listed = captureIO();
      await runTenant({ kind: 'list' }, { via, data, json: true }, listed, as);
      expect(JSON.parse(listed.out()).map((t: { name: string }) => t.name)).toEqual(['team-a', 'team-b']);
      // The bound viewer reads (its tenant exists) but may not manage tenants.
      const who = await fetch(`${via}/api/v1/top?by=src_ip`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(who.status).toBe(200);
      const denied = captureIO();
      await runTenant({ kind: 'list' }, { via, data }, denied, { env: { FLOWLENS_TOKEN: viewer } });
      expect(denied.err()).toMatch(/Forbidden/);
      expect(denied.err()).not.toContain(viewer);
      const del = captureIO();
      await runTenant({ kind: 'delete', name: 'team-b' }, { via, data }, del, as);
      expect(del.err()).toBe('tenant team-b deleted\n');
      const gone = await fetch(`${via}/api/v1/top?by=src_ip`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(gone.status).toBe(403);
      const missing = captureIO();
      await runTenant({ kind: 'delete', name: 'team-b' }, { via, data }, missing, as);
      expect(missing.err()).toMatch(/no tenant team-b/);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
