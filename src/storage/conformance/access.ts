/**
 * The access-control part of the FlowStore port (tokens, last use, audit log), one suite for every
 * backend: what one writes, every store reads back the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTokenRecord, AuditEntry, FlowStore } from '../port.js';

const T = Date.UTC(2026, 11, 1, 12);

const token = (id: string, o: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
  id,
  name: `token ${id}`,
  role: 'viewer',
  tenant: null,
  hash: `scrypt$16384$8$1$salt${id}$hash${id}`,
  created_at: T,
  created_by: 'cli:test',
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  ...o,
});

export function runAccessConformance(name: string, open: () => Promise<FlowStore>): void {
  describe(`FlowStore access conformance: ${name}`, () => {
    let store: FlowStore;
    beforeAll(async () => {
      store = await open();
      await store.migrate();
    }, 120_000);
    afterAll(async () => {
      await store?.close();
    });

    it('stores tokens as given and reads them back by id and newest first', async () => {
      const a = token('00000000000000a1', { role: 'admin', expires_at: T + 86_400_000 });
      const b = token('00000000000000b2', { created_at: T + 1000, tenant: 'team-a', name: 'quote \' " ünï' });
      await store.createApiToken(a);
      await store.createApiToken(b);
      expect(await store.getApiToken(a.id)).toEqual(a);
      expect(await store.getApiToken(b.id)).toEqual(b);
      expect(await store.getApiToken('ffffffffffffffff')).toBeNull();
      const ids = (await store.listApiTokens()).map((t) => t.id);
      expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    });

    it('revokes once: the first revocation time stays, an unknown id is false', async () => {
      const c = token('00000000000000c3');
      await store.createApiToken(c);
      expect(await store.revokeApiToken(c.id, T + 5000)).toBe(true);
      expect(await store.revokeApiToken(c.id, T + 9000)).toBe(true);
      expect((await store.getApiToken(c.id))?.revoked_at).toBe(T + 5000);
      expect(await store.revokeApiToken('eeeeeeeeeeeeeeee', T)).toBe(false);
    });

    it('records the latest use, and a use never undoes a revocation', async () => {
      const d = token('00000000000000d4');
      await store.createApiToken(d);
      await store.touchApiToken(d.id, T + 2000);
      await store.touchApiToken(d.id, T + 1000); // late write of an older use
      expect((await store.getApiToken(d.id))?.last_used_at).toBe(T + 2000);
      await store.revokeApiToken(d.id, T + 3000);
      await store.touchApiToken(d.id, T + 4000);
      const after = await store.getApiToken(d.id);
      expect(after).toMatchObject({ revoked_at: T + 3000, last_used_at: T + 4000, role: 'viewer' });
    });

    it('keeps the audit log: a range, newest first, limited', async () => {
      const entries: AuditEntry[] = [0, 1, 2, 3].map((i) => ({
        at: T + i * 1000,
        actor: `cli:user${i}`,
        action: i % 2 ? 'token.revoke' : 'token.create',
        target: `id${i}`,
        detail: JSON.stringify({ i, text: 'ünï "q"' }),
      }));
      for (const e of entries) await store.appendAudit(e);
      expect(await store.listAudit({ from: T, to: T + 10_000, limit: 100 })).toEqual([...entries].reverse());
      expect(await store.listAudit({ from: T + 1000, to: T + 3000, limit: 100 })).toEqual([
        entries[2],
        entries[1],
      ]);
      expect(await store.listAudit({ from: T, to: T + 10_000, limit: 1 })).toEqual([entries[3]]);
    });
  });
}
