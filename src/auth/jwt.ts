/**
 * JWT bearer tokens from an identity provider, verified with `jose` against keys from configuration only
 * (a JWKS file or a PEM public key: FlowLens never fetches keys). Only asymmetric algorithms are accepted,
 * those of the configured keys: `alg: none` and HMAC (a forger signing with the public key as a shared
 * secret) are refused. Issuer and audience must match; exp/nbf are checked with the configured clock skew.
 * Role and tenant come from configurable claims (a dotted path; a role claim may be a list: the highest
 * known role in it counts).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { isRole, type Principal, ROLES, type Role, TENANT_NAME } from './roles.js';

export interface JwtSettings {
  jwks_file?: string;
  pem_file?: string;
  issuer: string;
  audience: string | string[];
  /** Milliseconds of clock difference tolerated on exp and nbf. */
  clock_skew: number;
  role_claim: string;
  tenant_claim: string;
}

const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Why a JWT was refused: a label of flowlens_auth_failures_total. */
export type JwtRefusal =
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'bad_signature'
  | 'alg_not_allowed'
  | 'unknown_key'
  | 'bad_claims'
  | 'malformed';

export class JwtError extends Error {
  constructor(
    readonly reason: JwtRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

/** The algorithms a PEM public key can verify. */
function algorithmsOf(key: KeyObject): string[] {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return RSA;
  if (type === 'rsa-pss') return ['PS256', 'PS384', 'PS512'];
  if (type === 'ed25519') return ['EdDSA', 'Ed25519'];
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[curve ?? ''];
    if (alg) return [alg];
  }
  throw new Error(`auth.jwt.pem_file: unsupported key type ${type}`);
}

function claim(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const k of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

export class JwtVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;
  private readonly algorithms: string[];

  /** Reads the keys now: a bad file is a configuration error at start, naming the key. */
  constructor(private readonly settings: JwtSettings) {
    if (!!settings.jwks_file === !!settings.pem_file)
      throw new Error('auth.jwt: give exactly one of jwks_file and pem_file');
    if (settings.pem_file) {
      let key: KeyObject;
      try {
        key = createPublicKey(readFileSync(settings.pem_file, 'utf8'));
      } catch (err) {
        throw new Error(`auth.jwt.pem_file: not a PEM public key: ${(err as Error).message}`);
      }
      this.key = key;
      this.algorithms = algorithmsOf(key);
    } else {
      const file = settings.jwks_file as string;
      let jwks: { keys?: { kty?: string }[] };
      try {
        jwks = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`auth.jwt.jwks_file: cannot read a JWKS from ${file}: ${(err as Error).message}`);
      }
      if (!Array.isArray(jwks.keys) || jwks.keys.length === 0)
        throw new Error('auth.jwt.jwks_file: no keys in the JWKS');
      if (jwks.keys.some((k) => k.kty === 'oct'))
        throw new Error('auth.jwt.jwks_file: symmetric (oct) keys are not accepted, only public keys');
      this.key = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
      this.algorithms = ASYMMETRIC;
    }
  }

  /** The principal of a valid token; JwtError with the reason otherwise. */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const r = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: Math.round(this.settings.clock_skew / 1000),
        algorithms: this.algorithms,
      });
      payload = r.payload;
    } catch (err) {
      throw refusal(err);
    }
    const raw = claim(payload, this.settings.role_claim);
    const roles = (Array.isArray(raw) ? raw : [raw]).filter(isRole) as Role[];
    if (roles.length === 0)
      throw new JwtError(
        'bad_claims',
        `claim ${this.settings.role_claim}: expected one of ${ROLES.join(', ')}`,
      );
    const role = roles.reduce((a, b) => (ROLES.indexOf(b) > ROLES.indexOf(a) ? b : a));
    const t = claim(payload, this.settings.tenant_claim);
    if (t !== undefined && t !== null && !(typeof t === 'string' && TENANT_NAME.test(t)))
      throw new JwtError('bad_claims', `claim ${this.settings.tenant_claim}: not a tenant name`);
    const sub = typeof payload.sub === 'string' ? payload.sub.slice(0, 200) : 'unknown';
    return {
      name: `jwt:${sub}`,
      role,
      tenant: (t as string | undefined) ?? null,
      auth: 'jwt',
      key: `jwt:${payload.iss}:${sub}`,
    };
  }
}

function refusal(err: unknown): JwtError {
  const msg = (err as Error).message ?? String(err);
  if (err instanceof errors.JWTExpired) return new JwtError('expired', msg);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new JwtError('wrong_issuer', msg);
    if (err.claim === 'aud') return new JwtError('wrong_audience', msg);
    if (err.claim === 'nbf') return new JwtError('not_yet_valid', msg);
    return new JwtError('bad_claims', msg);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return new JwtError('alg_not_allowed', msg);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
    return new JwtError('unknown_key', msg);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new JwtError('bad_signature', msg);
  return new JwtError('malformed', msg);
}
