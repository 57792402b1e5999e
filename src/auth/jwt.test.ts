/**
 * JWT verification against keys from configuration: a valid token gives its principal; every kind of
 * forgery and mistake the issue names is refused, with its reason.
 */
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtError, type JwtSettings, JwtVerifier } from './jwt.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'flowlens';
let dir: string;
let rsa: { publicKey: KeyObject; privateKey: KeyObject };
let other: { publicKey: KeyObject; privateKey: KeyObject };
let ec: { publicKey: KeyObject; privateKey: KeyObject };
let jwks: JwtVerifier;
let pem: JwtVerifier;
let ecPem: JwtVerifier;

const settings = (o: Partial<JwtSettings>): JwtSettings => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  clock_skew: 30_000,
  role_claim: 'flowlens_role',
  tenant_claim: 'flowlens_tenant',
  ...o,
});

const now = () => Math.floor(Date.now() / 1000);

interface SignOptions {
  key?: KeyObject;
  alg?: string;
  kid?: string;
  claims?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
}

function sign(o: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT({ flowlens_role: 'operator', flowlens_tenant: 'team-a', ...o.claims })
    .setProtectedHeader({ alg: o.alg ?? 'RS256', ...(o.kid ? { kid: o.kid } : { kid: 'k1' }) })
    .setSubject('alice')
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(o.exp ?? now() + 600);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(o.key ?? rsa.privateKey);
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function reason(v: JwtVerifier, token: string): Promise<string> {
  try {
    await v.verify(token);
    return 'accepted';
  } catch (err) {
    if (err instanceof JwtError) return err.reason;
    throw err;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-jwt-'));
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', use: 'sig' };
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  writeFileSync(join(dir, 'rsa.pem'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'ec.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
  jwks = new JwtVerifier(settings({ jwks_file: join(dir, 'jwks.json') }));
  pem = new JwtVerifier(settings({ pem_file: join(dir, 'rsa.pem') }));
  ecPem = new JwtVerifier(settings({ pem_file: join(dir, 'ec.pem') }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('valid tokens', () => {
  it('give the principal from the configured claims (JWKS and PEM)', async () => {
    const t = await sign();
    for (const v of [jwks, pem])
      expect(await v.verify(t)).toEqual({
        name: 'jwt:alice',
        role: 'operator',
        tenant: 'team-a',
        auth: 'jwt',
        key: `jwt:${ISSUER}:alice`,
      });
    expect((await ecPem.verify(await sign({ key: ec.privateKey, alg: 'ES256' }))).role).toBe('operator');
  });

  it('a list-valued role claim at a dotted path counts its highest role; no tenant claim is no tenant', async () => {
    const v = new JwtVerifier(
      settings({ pem_file: join(dir, 'rsa.pem'), role_claim: 'realm.roles', tenant_claim: 'org' }),
    );
    const p = await v.verify(await sign({ claims: { realm: { roles: ['viewer', 'admin', 'other'] } } }));
    expect(p).toMatchObject({ role: 'admin', tenant: null });
  });

  it('clock skew: expired 10 s ago is accepted within 30 s of skew', async () => {
    expect(await reason(pem, await sign({ exp: now() - 10 }))).toBe('accepted');
  });
});

describe('refused', () => {
  it('alg none (unsecured JWT)', async () => {
    const t = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: now() + 60, flowlens_role: 'admin' })}.`;
    expect(await reason(pem, t)).toBe('alg_not_allowed');
    expect(await reason(jwks, t)).toBe('alg_not_allowed');
  });

  it('wrong issuer, wrong audience', async () => {
    expect(await reason(pem, await sign({ iss: 'https://evil.example' }))).toBe('wrong_issuer');
    expect(await reason(pem, await sign({ aud: 'other-app' }))).toBe('wrong_audience');
  });

  it('expired beyond the skew, not yet valid beyond the skew', async () => {
    expect(await reason(pem, await sign({ exp: now() - 120 }))).toBe('expired');
    expect(await reason(pem, await sign({ nbf: now() + 120 }))).toBe('not_yet_valid');
  });

  it('signed with a key that is not configured', async () => {
    const t = await sign({ key: other.privateKey });
    expect(await reason(pem, t)).toBe('bad_signature');
    expect(await reason(jwks, t)).toBe('bad_signature');
    // Another key id than the JWKS holds.
    expect(await reason(jwks, await sign({ key: other.privateKey, kid: 'k2' }))).toBe('unknown_key');
  });

  it('HMAC signed with the public key as the secret (algorithm confusion)', async () => {
    const secret = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const head = b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' });
    const body = b64({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: now() + 60, flowlens_role: 'admin' });
    const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
    expect(await reason(pem, `${head}.${body}.${sig}`)).toBe('alg_not_allowed');
    expect(await reason(jwks, `${head}.${body}.${sig}`)).toBe('alg_not_allowed');
  });

  it('a forged signature (payload changed after signing)', async () => {
    const [h, , s] = (await sign()).split('.');
    const forged = `${h}.${b64({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now() + 60, flowlens_role: 'admin' })}.${s}`;
    expect(await reason(pem, forged)).toBe('bad_signature');
  });

  it('a role claim missing or not a role; a tenant claim that is not a tenant name', async () => {
    expect(await reason(pem, await sign({ claims: { flowlens_role: 'root' } }))).toBe('bad_claims');
    expect(await reason(pem, await sign({ claims: { flowlens_role: undefined } }))).toBe('bad_claims');
    expect(await reason(pem, await sign({ claims: { flowlens_tenant: "a' or 1=1" } }))).toBe('bad_claims');
  });

  it('garbage', async () => {
    for (const t of ['a.b.c', 'not-a-jwt', `${b64('{')}.${b64('{}')}.x`])
      expect(await reason(pem, t)).toBe('malformed');
  });
});

describe('configuration', () => {
  it('refuses a JWKS with a symmetric key, both or neither key source, a file that is not a key', () => {
    writeFileSync(join(dir, 'oct.json'), JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    expect(() => new JwtVerifier(settings({ jwks_file: join(dir, 'oct.json') }))).toThrow(/symmetric/);
    expect(() => new JwtVerifier(settings({}))).toThrow(/exactly one/);
    writeFileSync(join(dir, 'bad.pem'), 'hello');
    expect(() => new JwtVerifier(settings({ pem_file: join(dir, 'bad.pem') }))).toThrow(/pem_file/);
  });
});
