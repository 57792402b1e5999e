/**
 * auth/verify: what authentication costs a request (README "Access control", target < 1 ms).
 *
 * - API token, cached: Authenticator.authenticate of a verified token (SHA-256 of the token, a map lookup,
 *   expiry check), per call.
 * - API token, first use: the scrypt verification a token pays once per cache period (30 s).
 * - JWT RS256 / ES256: jose verification against a configured PEM key, every request.
 * - Through fastify: GET /api/v1/whoami injected with an API token, minus the same request in no-auth mode
 *   (the hook, the role check, the rate limiter keyed by principal).
 * Figures are the median of --repeats runs; targets are requests per second (>= 1000: < 1 ms each).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Registry } from 'prom-client';
import { buildApi } from '../src/api/server.js';
import { Authenticator } from '../src/auth/authenticator.js';
import { JwtVerifier } from '../src/auth/jwt.js';
import { hashSecret, newToken } from '../src/auth/tokens.js';
import type { ApiTokenRecord } from '../src/storage/port.js';
import type { Benchmark, BenchResult } from './harness.js';
import { median } from './harness.js';

/** Microseconds per call of fn (async), the median of `repeats` runs of n calls. */
async function usPer(n: number, repeats: number, fn: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    runs.push(((performance.now() - t0) * 1000) / n);
  }
  return median(runs);
}

async function run(opts: { scale: number; repeats: number }): Promise<BenchResult> {
  const n = Math.max(100, Math.round(20_000 * opts.scale));
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-auth-'));
  try {
    const { token, id, secret } = newToken();
    const rec: ApiTokenRecord = {
      id,
      name: 'bench',
      role: 'viewer',
      tenant: null,
      hash: await hashSecret(secret),
      created_at: Date.now(),
      created_by: 'bench',
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
    };
    // An in-memory token source: the figure is the authenticator's cost, not a store round trip.
    const tokens = { getApiToken: async () => rec, touchApiToken: async () => {} };
    const header = `Bearer ${token}`;
    const cached = new Authenticator({ mode: 'required', tokens });
    await cached.authenticate(header);
    const cachedUs = await usPer(n, opts.repeats, () => cached.authenticate(header));
    const coldUs = await usPer(Math.max(3, Math.round(10 * opts.scale)), opts.repeats, () =>
      new Authenticator({ mode: 'required', tokens }).authenticate(header),
    );

    const figures = [
      { label: 'API token (cached) us/request', value: cachedUs, unit: 'us' },
      { label: 'API token (cached) requests/s', value: 1e6 / cachedUs },
      { label: 'API token first use (scrypt) ms', value: coldUs / 1000, unit: 'ms' },
    ];
    for (const [alg, pair] of [
      ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ] as const) {
      writeFileSync(join(dir, `${alg}.pem`), pair.publicKey.export({ type: 'spki', format: 'pem' }));
      const v = new JwtVerifier({
        pem_file: join(dir, `${alg}.pem`),
        issuer: 'https://idp',
        audience: 'flowlens',
        clock_skew: 30_000,
        role_claim: 'role',
        tenant_claim: 'tenant',
      });
      const jwt = await new SignJWT({ role: 'viewer' })
        .setProtectedHeader({ alg })
        .setSubject('bench')
        .setIssuer('https://idp')
        .setAudience('flowlens')
        .setExpirationTime('1h')
        .sign(pair.privateKey);
      const us = await usPer(Math.max(100, Math.round(n / 4)), opts.repeats, () => v.verify(jwt));
      figures.push({ label: `JWT ${alg} us/request`, value: us, unit: 'us' });
      figures.push({ label: `JWT ${alg} requests/s`, value: 1e6 / us });
    }

    const inject = async (mode: 'required' | 'none') => {
      const app = await buildApi({
        registry: new Registry(),
        readiness: () => ({ ready: true, checks: {} }),
        auth: {
          authenticator: new Authenticator({ mode, tokens }),
          rateLimit: { max: 1e9, windowMs: 60_000 },
        },
      });
      const m = Math.max(100, Math.round(n / 4));
      const us = await usPer(m, opts.repeats, () =>
        app.inject({ url: '/api/v1/whoami', headers: { authorization: header } }),
      );
      await app.close();
      return us;
    };
    const withAuth = await inject('required');
    const without = await inject('none');
    figures.push({ label: 'whoami with an API token us/request', value: withAuth, unit: 'us' });
    figures.push({ label: 'whoami, no-auth mode us/request', value: without, unit: 'us' });
    figures.push({ label: 'auth hook cost us/request', value: Math.max(0, withAuth - without), unit: 'us' });
    return {
      figures,
      targets: [
        { figure: 'API token (cached) requests/s', min: 1000 },
        { figure: 'JWT RS256 requests/s', min: 1000 },
        { figure: 'JWT ES256 requests/s', min: 1000 },
      ],
      notes: [
        'A token pays scrypt once per cache period (30 s) and process; every other request pays the cached cost.',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const authBenchmarks: Benchmark[] = [
  {
    group: 'auth',
    name: 'verify',
    description:
      'per-request authentication cost: API token (cached, first use), JWT RS256/ES256, the fastify hook',
    run,
  },
];
