/**
 * Access control of the HTTP API on the real embedded store: the authorization matrix (every route of the
 * OpenAPI document x every kind of credential), whoami, the token and audit routes, /metrics, open paths,
 * hostile Authorization headers, body and rate limits, the failure metric and log. Every response of a
 * documented route is checked against the document.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { TokenAdmin } from '../auth/admin.js';
import { Authenticator } from '../auth/authenticator.js';
import { JwtVerifier } from '../auth/jwt.js';
import type { Role } from '../auth/roles.js';
import { TenantAdmin } from '../auth/tenants.js';
import type { FlowStore } from '../storage/port.js';
import type { ApiAuth } from './auth-hook.js';
import { buildApi } from './server.js';
import { OpenApiCheck } from './testing/openapi-check.js';

const ISSUER = 'https://idp.example';
const METRICS_TOKEN = 'scrape-0123456789abcdef';
let dir: string;
let store: FlowStore;
let app: FastifyInstance;
let openapi: OpenApiCheck;
let registry: Registry;
const logged: unknown[] = [];
const creds: Record<string, string | undefined> = {};
let privateKey: import('node:crypto').KeyObject;
let jwt: JwtVerifier;

const jwtFor = (claims: Record<string, unknown>, exp = Math.floor(Date.now() / 1000) + 600) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256' })
    .setSubject('alice')
    .setIssuer(ISSUER)
    .setAudience('flowlens')
    .setExpirationTime(exp)
    .sign(privateKey);

async function build(o: Partial<ApiAuth> = {}, mode: 'required' | 'none' = 'required') {
  const reg = new Registry();
  const a = await buildApi({
    registry: reg,
    readiness: () => ({ ready: true, checks: {} }),
    store,
    auth: {
      authenticator: new Authenticator({ mode, tokens: store, jwt }),
      log: (fields, message) => logged.push({ fields, message }),
      ...o,
    },
  });
  return { app: a, registry: reg };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-auth-api-'));
  store = await openStore({ data: dir });
  await store.migrate();
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  privateKey = keys.privateKey;
  writeFileSync(join(dir, 'idp.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
  jwt = new JwtVerifier({
    pem_file: join(dir, 'idp.pem'),
    issuer: ISSUER,
    audience: 'flowlens',
    clock_skew: 0,
    role_claim: 'flowlens_role',
    tenant_claim: 'flowlens_tenant',
  });
  const admin = new TokenAdmin(store);
  for (const role of ['viewer', 'operator', 'admin'] as Role[])
    creds[role] = `Bearer ${(await admin.create({ role, name: role }, 'test')).token}`;
  const revoked = await admin.create({ role: 'admin' }, 'test');
  await admin.revoke(revoked.info.id, 'test');
  creds.revoked = `Bearer ${revoked.token}`;
  const past = new TokenAdmin(store, () => Date.now() - 7_200_000);
  creds.expired = `Bearer ${(await past.create({ role: 'admin', expires: '1h' }, 'test')).token}`;
  creds.none = undefined;
  creds.malformed = 'Bearer not a token';
  const good = await jwtFor({ flowlens_role: 'viewer' });
  const [h, , s] = good.split('.');
  const body = Buffer.from(
    JSON.stringify({ sub: 'alice', iss: ISSUER, aud: 'flowlens', exp: 4e9, flowlens_role: 'admin' }),
  );
  creds.forged_jwt = `Bearer ${h}.${body.toString('base64url')}.${s}`;
  creds.expired_jwt = `Bearer ${await jwtFor({ flowlens_role: 'admin' }, Math.floor(Date.now() / 1000) - 60)}`;
  creds.jwt_operator = `Bearer ${await jwtFor({ flowlens_role: 'operator', flowlens_tenant: 'team-a' })}`;
  // The tenant the JWT names exists: a token of an unknown tenant is refused on every data route.
  await new TenantAdmin(store).create({ name: 'team-a', networks: ['10.0.0.0/8'] }, 'test');
  ({ app, registry } = await build({ metricsToken: METRICS_TOKEN }));
  openapi = await OpenApiCheck.of((await app.inject({ url: '/api/openapi.json' })).json());
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(o: {
  method?: string;
  url: string;
  route?: string | null;
  auth?: string;
  body?: unknown;
  on?: FastifyInstance;
}) {
  const method = (o.method ?? (o.body === undefined ? 'GET' : 'POST')) as 'GET';
  const res = await (o.on ?? app).inject({
    method,
    url: o.url,
    headers: o.auth === undefined ? {} : { authorization: o.auth },
    ...(o.body !== undefined ? { payload: o.body as object } : {}),
  });
  const route = o.route === undefined ? o.url.split('?')[0] : o.route;
  if (route !== null)
    expect(openapi.check(method, route, res), `${method} ${o.url} -> ${res.statusCode} ${res.body}`).toEqual(
      [],
    );
  return res;
}

/**
 * The role each route needs, from the rules of the issue (not from the routes' own declarations): tokens,
 * tenants, settings and the audit log are admin; changes to labels, groups, service names and saved
 * filters are operator; every other route reads traffic or the dependency map: viewer.
 */
function expectedRole(method: string, path: string): Role {
  // deps-labels: the map, its diff and an edge's history are reads; PUT /api/v1/labels is below (operator).
  if (/^\/api\/v1\/deps(\/|$)/.test(path)) return 'viewer';
  if (/^\/api\/v1\/(tokens|tenants|settings|audit)(\/|$)/.test(path)) return 'admin';
  // Exporter health, scans and the example queries are reads: viewer.
  if (/^\/api\/v1\/(exporters|scans|examples)(\/|$)/.test(path)) return 'viewer';
  if (
    method !== 'get' &&
    /^\/api\/v1\/(labels|groups|services|service-names|saved-filters|filters\/saved)(\/|$)/.test(path)
  )
    return 'operator';
  return 'viewer';
}

const ORDER: Role[] = ['viewer', 'operator', 'admin'];
const REFUSED = ['none', 'malformed', 'forged_jwt', 'expired_jwt', 'expired', 'revoked'];
const ROLE_OF: Record<string, Role> = {
  viewer: 'viewer',
  operator: 'operator',
  admin: 'admin',
  jwt_operator: 'operator',
};

describe('authorization matrix: every documented route x every kind of credential', () => {
  it('401 without a valid credential, 403 below the route role, neither at or above it', async () => {
    const ops = Object.entries(openapi.doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ path, method })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(17);
    for (const { path, method } of ops) {
      const url = path
        .replace('{code}', 'not_found')
        .replace('{id}', '0000000000000000')
        .replace('{name}', 'nobody')
        .replace('{n}', '1');
      const body = method === 'get' || method === 'delete' ? undefined : {};
      const need = expectedRole(method, path);
      for (const cred of [...REFUSED, ...Object.keys(ROLE_OF)]) {
        const res = await call({ method: method.toUpperCase(), url, route: path, auth: creds[cred], body });
        const what = `${method.toUpperCase()} ${path} as ${cred}: ${res.statusCode} ${res.body}`;
        if (REFUSED.includes(cred)) {
          expect(res.statusCode, what).toBe(401);
          expect(res.json().type, what).toBe('/api/problems/unauthorized');
        } else if (ORDER.indexOf(ROLE_OF[cred]) < ORDER.indexOf(need)) {
          expect(res.statusCode, what).toBe(403);
          expect(res.json().type, what).toBe('/api/problems/forbidden');
        } else expect([401, 403], what).not.toContain(res.statusCode);
      }
    }
  }, 120_000);

  it('open without a credential: health, readiness, the document, the web UI paths', async () => {
    for (const url of ['/healthz', '/readyz', '/api/openapi.json'])
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    const ui = await app.inject({ url: '/index.html' });
    expect(ui.statusCode).toBe(404); // no UI in this build: not found, but not refused
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ auth: 'required' });
  });

  it('an unknown /api route: 401 without a credential, 404 with one', async () => {
    expect((await call({ url: '/api/v1/nope', route: null })).statusCode).toBe(401);
    expect((await call({ url: '/api/v1/nope', route: null, auth: creds.viewer })).statusCode).toBe(404);
  });
});

describe('whoami', () => {
  it('names the principal of each kind of credential', async () => {
    const me = async (auth?: string) => (await call({ url: '/api/v1/whoami', auth })).json();
    expect(await me(creds.viewer)).toMatchObject({
      auth: 'token',
      role: 'viewer',
      tenant: null,
      name: expect.stringMatching(/^token:[0-9a-f]{16} \(viewer\)$/),
    });
    expect(await me(creds.jwt_operator)).toEqual({
      auth: 'jwt',
      name: 'jwt:alice',
      role: 'operator',
      tenant: 'team-a',
    });
  });

  it('no-auth mode: every request is admin without tenant; /readyz warns', async () => {
    const { app: open } = await build({}, 'none');
    try {
      expect((await call({ url: '/api/v1/whoami', on: open })).json()).toEqual({
        auth: 'none',
        name: 'anonymous',
        role: 'admin',
        tenant: null,
      });
      expect((await call({ url: '/api/v1/tokens', on: open })).statusCode).toBe(200);
      expect((await open.inject({ url: '/readyz' })).json()).toMatchObject({
        auth: 'none',
        warning: expect.stringContaining('auth.mode: none'),
      });
    } finally {
      await open.close();
    }
  });
});

describe('token and audit routes', () => {
  it('admin creates a token (shown once), it works, list hides secrets, revoke refuses it at once, audit records both', async () => {
    const created = await call({
      url: '/api/v1/tokens',
      auth: creds.admin,
      body: { role: 'viewer', tenant: 'team-b', name: 'grafana', expires: '30d' },
    });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    expect(token).toMatch(new RegExp(`^flk_${id}_`));
    expect((await call({ url: '/api/v1/whoami', auth: `Bearer ${token}` })).json()).toMatchObject({
      role: 'viewer',
      tenant: 'team-b',
    });
    const list = await call({ url: '/api/v1/tokens', auth: creds.admin });
    expect(list.json().tokens.find((t: { id: string }) => t.id === id)).toMatchObject({
      name: 'grafana',
      role: 'viewer',
    });
    expect(list.body).not.toContain('scrypt');
    expect(list.body).not.toContain(token.slice(21));
    expect(
      (
        await call({
          method: 'DELETE',
          url: `/api/v1/tokens/${id}`,
          route: '/api/v1/tokens/{id}',
          auth: creds.admin,
        })
      ).statusCode,
    ).toBe(200);
    const after = await call({ url: '/api/v1/whoami', auth: `Bearer ${token}` });
    expect(after.statusCode).toBe(401);
    expect(after.json().detail).toBe('API token revoked');
    const audit = (
      await call({ url: '/api/v1/audit?from=-1h', route: '/api/v1/audit', auth: creds.admin })
    ).json().entries;
    const mine = audit.filter((e: { target: string }) => e.target === id);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(['token.revoke', 'token.create']);
    expect(mine[0].actor).toMatch(/^token:[0-9a-f]{16} \(admin\)$/);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('bad arguments are problems naming the parameter', async () => {
    const r = await call({
      url: '/api/v1/tokens',
      auth: creds.admin,
      body: { role: 'viewer', expires: 'soon' },
    });
    expect(r.json()).toMatchObject({ type: '/api/problems/invalid_parameter', parameter: 'expires' });
    const t = await call({
      url: '/api/v1/tokens',
      auth: creds.admin,
      body: { role: 'viewer', tenant: "a'b" },
    });
    expect(t.json()).toMatchObject({ parameter: 'tenant' });
  });
});

describe('/metrics', () => {
  it('takes only the scrape token when one is configured', async () => {
    const get = (auth?: string) =>
      app.inject({ url: '/metrics', headers: auth ? { authorization: auth } : {} });
    expect((await get()).statusCode).toBe(401);
    expect((await get(creds.admin)).statusCode).toBe(401);
    expect((await get(`Bearer ${METRICS_TOKEN}x`)).statusCode).toBe(401);
    const ok = await get(`Bearer ${METRICS_TOKEN}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/flowlens_auth_failures_total\{reason="missing"\} \d+/);
  });

  it('without a scrape token: any valid token', async () => {
    const { app: other } = await build();
    try {
      expect((await other.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect(
        (await other.inject({ url: '/metrics', headers: { authorization: creds.viewer! } })).statusCode,
      ).toBe(200);
    } finally {
      await other.close();
    }
  });
});

const HOSTILE = [
  'Bearer "flk_0000000000000000_x"',
  "Bearer ' OR '1'='1",
  `Bearer flk_0000000000000000_${"'".repeat(43)}`,
  'Bearer flk_ünïcødé_𝔣𝔩𝔨',
  'Bearer ../../../etc/passwd',
  'Bearer a.b.c',
  `Bearer ${'A'.repeat(20_000)}`,
  `Bearer ${'x'.repeat(1 << 20)}`,
  'Bearer',
  'bearer  ',
  `Bearer ${'('.repeat(5000)}`,
  'Digest username="admin"',
];

describe('hostile Authorization headers', () => {
  it.each(HOSTILE.map((h) => [h.length > 60 ? `${h.slice(0, 40)}... (${h.length} chars)` : h, h]))(
    '%s: 401 problem document',
    async (_label, header) => {
      const res = await call({ url: '/api/v1/whoami', auth: header });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().type).toBe('/api/problems/unauthorized');
      expect(res.body.length).toBeLessThan(500); // the header is never echoed
    },
  );

  it('over a real socket: a 1 MB header is a 431 problem document, raw UTF-8 a 401', async () => {
    const { app: live } = await build();
    await live.listen({ host: '127.0.0.1', port: 0 });
    const port = (live.server.address() as net.AddressInfo).port;
    const raw = (header: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
        s.on('error', reject);
        s.end(
          Buffer.concat([
            Buffer.from(
              'GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ',
            ),
            header,
            Buffer.from('\r\n\r\n'),
          ]),
        );
      });
    try {
      const big = await raw(Buffer.alloc(1 << 20, 'a'));
      expect(big).toMatch(/^HTTP\/1.1 431/);
      expect(big).toContain('"type":"/api/problems/headers_too_large"');
      const utf8 = await raw(Buffer.from('flk_ünï_𝔣𝔩𝔨', 'utf8'));
      expect(utf8).toMatch(/^HTTP\/1.1 401/);
      expect(utf8).toContain('application/problem+json');
    } finally {
      await live.close();
    }
  });
});

describe('limits', () => {
  it('an oversize body is 413 for a valid token, 401 without one (refused before it is read)', async () => {
    const big = { by: ['src_ip'], filter: 'x'.repeat(300_000) };
    const r = await call({ url: '/api/v1/top', auth: creds.viewer, body: big });
    expect(r.statusCode).toBe(413);
    expect(r.json().type).toBe('/api/problems/body_too_large');
    expect((await call({ url: '/api/v1/top', body: big })).statusCode).toBe(401);
  });

  it('rate limit per token: over it 429 with a problem document, another token unaffected', async () => {
    const { app: limited } = await build({ rateLimit: { max: 3, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await call({ url: '/api/v1/whoami', auth: creds.viewer, on: limited })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const r = await call({ url: '/api/v1/whoami', auth: creds.viewer, on: limited });
      expect(r.json().type).toBe('/api/problems/rate_limited');
      expect(r.headers['retry-after']).toBeDefined();
      expect((await call({ url: '/api/v1/whoami', auth: creds.operator, on: limited })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('failures are counted and logged without the credential', () => {
  it('by reason', async () => {
    const text = await registry.metrics();
    for (const reason of ['missing', 'malformed', 'revoked', 'expired', 'bad_signature', 'forbidden'])
      expect(text, reason).toMatch(new RegExp(`flowlens_auth_failures_total\\{reason="${reason}"\\} [1-9]`));
    const log = JSON.stringify(logged);
    expect(logged.length).toBeGreaterThan(10);
    for (const c of Object.values(creds)) if (c) expect(log).not.toContain(c.slice(7));
    expect(log).not.toContain(METRICS_TOKEN);
  });

  it('the log is bounded per reason, the counter is not', async () => {
    const text = await registry.metrics();
    const counted = Number(/flowlens_auth_failures_total\{reason="missing"\} (\d+)/.exec(text)?.[1]);
    const lines = logged.filter((l) => (l as { fields: { reason: string } }).fields.reason === 'missing');
    expect(counted).toBeGreaterThan(20);
    expect(lines.length).toBeLessThanOrEqual(20 * 5); // 20 per minute and app built in this file
  });
});
