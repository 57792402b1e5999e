/**
 * `flowlens token`: the first admin token made directly on the store (no serve running), then the same
 * commands through a running API with that token from FLOWLENS_TOKEN, which is never printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/server.js';
import { openStore } from '../../app/store.js';
import { Authenticator } from '../../auth/authenticator.js';
import { captureIO } from '../testing/io.js';
import { runToken } from './token.js';

let data: string;
beforeAll(() => {
  data = mkdtempSync(join(tmpdir(), 'flowlens-token-cli-'));
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('flowlens token', () => {
  let admin = '';

  it('bootstraps the first admin token on the store itself', async () => {
    const io = captureIO();
    await runToken({ kind: 'create' }, { role: 'admin', name: 'first', data }, io, { env: {} });
    expect(io.code()).toBe(0);
    admin = io.out().trim();
    expect(admin).toMatch(/^flk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(io.err()).toMatch(/token [0-9a-f]{16} \(admin, expires 20\d\d-.*\): shown this once/);
    const list = captureIO();
    await runToken({ kind: 'list' }, { data }, list, { env: {} });
    expect(list.out()).toMatch(/id\s+name\s+role/);
    expect(list.out()).toContain(admin.slice(4, 20));
    expect(list.out()).not.toContain(admin.slice(21));
  });

  it('refuses bad arguments naming the flag (exit 2)', async () => {
    const io = captureIO();
    await runToken({ kind: 'create' }, { role: 'root', data }, io, { env: {} });
    expect(io.code()).toBe(2);
    expect(io.err()).toMatch(/--role: expected viewer \| operator \| admin/);
  });

  it('goes through a running serve with FLOWLENS_TOKEN, never printing it', async () => {
    const store = await openStore({ data });
    await store.migrate();
    const app = await buildApi({
      registry: new Registry(),
      readiness: () => ({ ready: true, checks: {} }),
      store,
      auth: { authenticator: new Authenticator({ mode: 'required', tokens: store }) },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const via = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const env = { FLOWLENS_TOKEN: admin };
      const created = captureIO();
      await runToken({ kind: 'create' }, { role: 'viewer', tenant: 'team-a', via, data }, created, { env });
      expect(created.code()).toBe(0);
      const viewer = created.out().trim();
      expect(viewer).toMatch(/^flk_/);
      const id = viewer.slice(4, 20);
      const json = captureIO();
      await runToken({ kind: 'list' }, { via, json: true, data }, json, { env });
      const listed = JSON.parse(json.out()) as { id: string; tenant: string | null; created_by: string }[];
      expect(listed.find((t) => t.id === id)).toMatchObject({
        tenant: 'team-a',
        created_by: expect.stringMatching(/\(first\)$/),
      });
      // A viewer may not manage tokens; no token at all gets the hint.
      const denied = captureIO();
      await runToken({ kind: 'list' }, { via, data }, denied, { env: { FLOWLENS_TOKEN: viewer } });
      expect(denied.code()).toBe(1);
      expect(denied.err()).toMatch(/Forbidden: this route needs role admin/);
      const anonymous = captureIO();
      await runToken({ kind: 'list' }, { via, data }, anonymous, { env: {} });
      expect(anonymous.err()).toMatch(/Unauthorized.*give a token: --token or FLOWLENS_TOKEN/);
      const revoked = captureIO();
      await runToken({ kind: 'revoke', id }, { via, data }, revoked, { env });
      expect(revoked.err()).toBe(`token ${id} revoked\n`);
      const after = captureIO();
      await runToken({ kind: 'list' }, { via, data }, after, { env: { FLOWLENS_TOKEN: viewer } });
      expect(after.err()).toMatch(/Unauthorized: API token revoked/);
      for (const io of [created, json, denied, anonymous, revoked, after]) {
        expect(io.out() + io.err()).not.toContain(admin);
        if (io !== created) expect(io.err()).not.toContain(viewer);
      }
    } finally {
      await app.close();
      await store.close();
    }
  });
});
