/**
 * An API token's life on both real stores: created (hashed), authenticated (cached: the store is read
 * once), last use recorded (throttled), revoked (refused at once in this process, after the cache time
 * in another), expired; every admin action in the audit log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import type { FlowStore } from '../storage/port.js';
import { createTestDatabase, type TestDatabase } from '../storage/testing/postgres.js';
import { TokenAdmin, TokenInputError } from './admin.js';
import { AuthError, Authenticator } from './authenticator.js';
import { parseToken, verifySecret } from './tokens.js';

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (err instanceof AuthError) return err.reason;
    throw err;
  }
}

/** The store with a counter of token reads, to see what the cache saves. */
function counting(store: FlowStore) {
  const c = { reads: 0, touches: 0 };
  const lookup = {
    getApiToken: (id: string) => {
      c.reads++;
      return store.getApiToken(id);
    },
    touchApiToken: (id: string, at: number) => {
      c.touches++;
      return store.touchApiToken(id, at);
    },
  };
  return { c, lookup };
}

const backends: [string, () => Promise<{ store: FlowStore; done: () => Promise<void> }>][] = [
  [
    'chdb',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flowlens-tokens-'));
      const store = await openStore({ data: dir });
      return { store, done: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'postgres',
    async () => {
      const db: TestDatabase = await createTestDatabase('flowlens_tokens');
      return { store: await openStore({ store: db.url }), done: () => db.drop() };
    },
  ],
];

describe.each(backends)('token lifecycle on %s', (_name, open) => {
  let store: FlowStore;
  let done: () => Promise<void>;
  let clock = Date.now();
  const now = () => clock;

  beforeAll(async () => {
    ({ store, done } = await open());
    await store.migrate();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await done?.();
  });

  it('create, authenticate (cached), record use, revoke, audit', async () => {
    const admin = new TokenAdmin(store, now);
    const { token, info } = await admin.create(
      { role: 'operator', tenant: 'team-a', name: 'ci' },
      'cli:root',
    );
    const parsed = parseToken(token)!;
    expect(parsed.id).toBe(info.id);
    // Stored as a salted scrypt hash, never the secret.
    const stored = (await store.getApiToken(info.id))!;
    expect(stored.hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored.hash).not.toContain(parsed.secret);
    expect(await verifySecret(parsed.secret, stored.hash)).toBe(true);
    expect(stored.expires_at).toBe(clock + 90 * 86_400_000);

    const { c, lookup } = counting(store);
    const auth = new Authenticator({ mode: 'required', tokens: lookup, now });
    const p = await auth.authenticate(`Bearer ${token}`);
    expect(p).toEqual({
      name: `token:${info.id} (ci)`,
      role: 'operator',
      tenant: 'team-a',
      auth: 'token',
      key: `token:${info.id}`,
    });
    for (let i = 0; i < 20; i++) await auth.authenticate(`bearer ${token}`);
    expect(c.reads).toBe(1);
    expect(c.touches).toBe(1);
    clock += 61_000;
    await auth.authenticate(`Bearer ${token}`);
    expect(c.touches).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect((await store.getApiToken(info.id))!.last_used_at).toBe(clock);

    // A second process (the CLI on PostgreSQL, another serve) caches the token too.
    const elsewhere = new Authenticator({ mode: 'required', tokens: store, now, cacheTtlMs: 30_000 });
    await elsewhere.authenticate(`Bearer ${token}`);

    expect(await admin.revoke(info.id, 'cli:root')).toBe(true);
    auth.revoked(info.id);
    expect(await failure(auth.authenticate(`Bearer ${token}`))).toBe('revoked');
    // Elsewhere: until its cache entry ends, then refused.
    expect(await failure(elsewhere.authenticate(`Bearer ${token}`))).toBe('accepted');
    clock += 31_000;
    expect(await failure(elsewhere.authenticate(`Bearer ${token}`))).toBe('revoked');

    const audit = await admin.listAudit({ from: 0, to: clock + 1, limit: 10 });
    expect(audit.map((a) => [a.action, a.target, a.actor])).toEqual([
      ['token.revoke', info.id, 'cli:root'],
      ['token.create', info.id, 'cli:root'],
    ]);
    expect(JSON.parse(audit[1].detail)).toEqual({
      role: 'operator',
      tenant: 'team-a',
      name: 'ci',
      expires: '90d',
    });
    expect(audit.map((a) => a.detail).join()).not.toContain(parsed.secret);
  });

  it('expiry applies on every request, cached or not', async () => {
    const admin = new TokenAdmin(store, now);
    const { token } = await admin.create({ role: 'viewer', expires: '1h' }, 'cli:root');
    const auth = new Authenticator({ mode: 'required', tokens: store, now });
    expect((await auth.authenticate(`Bearer ${token}`)).role).toBe('viewer');
    clock += 3_600_000;
    expect(await failure(auth.authenticate(`Bearer ${token}`))).toBe('expired');
  });

  it('a wrong secret, an unknown id and malformed tokens are refused; guesses are not re-hashed', async () => {
    const { token } = await new TokenAdmin(store, now).create(
      { role: 'admin', expires: 'never' },
      'cli:root',
    );
    const { c, lookup } = counting(store);
    const auth = new Authenticator({ mode: 'required', tokens: lookup, now });
    const wrong = `${token.slice(0, -4)}AAAA`;
    expect(await failure(auth.authenticate(`Bearer ${wrong}`))).toBe('bad_secret');
    expect(await failure(auth.authenticate(`Bearer ${wrong}`))).toBe('bad_secret');
    expect(c.reads).toBe(1);
    expect(await failure(auth.authenticate(`Bearer flk_ffffffffffffffff_${'A'.repeat(43)}`))).toBe(
      'unknown_token',
    );
    expect(await failure(auth.authenticate(`Bearer flk_short`))).toBe('malformed');
    expect(await failure(auth.authenticate(undefined))).toBe('missing');
    expect(await failure(auth.authenticate(`Basic ${token}`))).toBe('malformed');
    expect((await auth.authenticate(`Bearer ${token}`)).role).toBe('admin');
  });

  it('bad arguments name themselves', async () => {
    const admin = new TokenAdmin(store, now);
    const bad = async (input: Parameters<TokenAdmin['create']>[0]) => {
      try {
        await admin.create(input, 'cli:root');
        return 'accepted';
      } catch (err) {
        return err instanceof TokenInputError ? err.parameter : String(err);
      }
    };
    expect(await bad({ role: 'root' })).toBe('role');
    expect(await bad({ role: 'viewer', tenant: "x'; drop table api_tokens; --" })).toBe('tenant');
    expect(await bad({ role: 'viewer', expires: '90' })).toBe('expires');
    expect(await bad({ role: 'viewer', name: 'a\nb' })).toBe('name');
    await expect(admin.revoke('../../etc', 'cli:root')).rejects.toThrow(/id: expected 16 hex digits/);
  });
});
