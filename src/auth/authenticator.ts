/**
 * Who a request is, from its Authorization header: `Bearer flk_...` (an API token, looked up by id in the
 * store and checked against its scrypt hash) or `Bearer <JWT>` (JwtVerifier). A verified API token is
 * cached for a short time, keyed by the SHA-256 of the presented token, so a request costs a hash and a
 * map lookup instead of a scrypt (README "Access control": < 1 ms per request). Expiry is checked on
 * every request and a revocation made through this process applies at once; one made by another process
 * (the CLI on PostgreSQL) applies when the entry expires (cacheTtlMs). Failed secrets are remembered too,
 * so guessing costs the guesser, not the server.
 */
import { createHash } from 'node:crypto';
import type { ApiTokenRecord } from '../storage/port.js';
import { JwtError, type JwtRefusal, type JwtVerifier } from './jwt.js';
import type { Principal } from './roles.js';
import { parseToken, verifySecret } from './tokens.js';

export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'unknown_token'
  | 'bad_secret'
  | 'revoked'
  | 'expired'
  | 'jwt_not_configured'
  | 'no_store'
  | JwtRefusal;

/** A refused credential; `reason` is the metric label, the message never contains the credential. */
export class AuthError extends Error {
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** What the authenticator needs of the store (FlowStore has it). */
export interface TokenLookup {
  getApiToken(id: string): Promise<ApiTokenRecord | null>;
  touchApiToken(id: string, at: number): Promise<void>;
}

export interface AuthenticatorOptions {
  mode: 'required' | 'none';
  tokens?: TokenLookup;
  jwt?: JwtVerifier;
  now?: () => number;
  /** How long a verified token is trusted without asking the store again (default 30 s). */
  cacheTtlMs?: number;
  /** Last use is written at most this often per token (default 1 min). */
  touchEveryMs?: number;
  /** A failed last-use write (logged by the caller; never fails the request). */
  onTouchError?: (err: unknown) => void;
}

/** Longest Authorization header taken (a JWT with many claims fits); longer is malformed. */
export const MAX_AUTHORIZATION_CHARS = 8192;
const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i;
const NEGATIVE_ENTRIES = 10_000;

export const ANONYMOUS: Principal = {
  name: 'anonymous',
  role: 'admin',
  tenant: null,
  auth: 'none',
  key: 'anonymous',
};

interface Cached {
  token: ApiTokenRecord;
  until: number;
}

export class Authenticator {
  readonly mode: 'required' | 'none';
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly touchEvery: number;
  private readonly verified = new Map<string, Cached>();
  private readonly refused = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<ApiTokenRecord>>();
  private readonly touched = new Map<string, number>();
  private readonly revokedHere = new Set<string>();

  constructor(private readonly opts: AuthenticatorOptions) {
    this.mode = opts.mode;
    this.now = opts.now ?? Date.now;
    this.ttl = opts.cacheTtlMs ?? 30_000;
    this.touchEvery = opts.touchEveryMs ?? 60_000;
  }

  /** The principal of a request's Authorization header; AuthError otherwise. No-auth mode: ANONYMOUS. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (this.mode === 'none') return ANONYMOUS;
    const token = bearerToken(authorization);
    if (token.startsWith('flk_')) return this.apiToken(token);
    if (!this.opts.jwt)
      throw new AuthError('jwt_not_configured', 'not an API token, and no JWT issuer is configured');
    try {
      return await this.opts.jwt.verify(token);
    } catch (err) {
      if (err instanceof JwtError) throw new AuthError(err.reason, `JWT refused: ${err.reason}`);
      throw err;
    }
  }

  /** A token revoked through this process: refused from now on, whatever is cached. */
  revoked(id: string): void {
    this.revokedHere.add(id);
    for (const [k, v] of this.verified) if (v.token.id === id) this.verified.delete(k);
  }

  private async apiToken(token: string): Promise<Principal> {
    const parsed = parseToken(token);
    if (!parsed) throw new AuthError('malformed', 'malformed API token');
    const now = this.now();
    const key = createHash('sha256').update(token).digest('base64');
    let t = this.verified.get(key);
    if (!t || t.until <= now) {
      if ((this.refused.get(key) ?? 0) > now) throw new AuthError('bad_secret', 'API token refused');
      let p = this.inflight.get(key);
      if (!p) {
        p = this.lookup(parsed.id, parsed.secret, key).finally(() => this.inflight.delete(key));
        this.inflight.set(key, p);
      }
      t = { token: await p, until: now + this.ttl };
      this.verified.set(key, t);
    }
    const rec = t.token;
    if (rec.revoked_at !== null || this.revokedHere.has(rec.id))
      throw new AuthError('revoked', 'API token revoked');
    if (rec.expires_at !== null && rec.expires_at <= now) throw new AuthError('expired', 'API token expired');
    this.touch(rec.id, now);
    return {
      name: `token:${rec.id} (${rec.name})`,
      role: rec.role,
      tenant: rec.tenant,
      auth: 'token',
      key: `token:${rec.id}`,
    };
  }

  private async lookup(id: string, secret: string, key: string): Promise<ApiTokenRecord> {
    if (!this.opts.tokens) throw new AuthError('no_store', 'API tokens need a store');
    const rec = await this.opts.tokens.getApiToken(id);
    const ok = rec !== null && (await verifySecret(secret, rec.hash));
    if (rec && ok) return rec;
    if (this.refused.size >= NEGATIVE_ENTRIES) this.refused.clear();
    this.refused.set(key, this.now() + this.ttl);
    throw new AuthError(rec ? 'bad_secret' : 'unknown_token', 'API token refused');
  }

  private touch(id: string, now: number): void {
    if (now - (this.touched.get(id) ?? 0) < this.touchEvery) return;
    this.touched.set(id, now);
    this.opts.tokens?.touchApiToken(id, now).catch((err) => this.opts.onTouchError?.(err));
  }
}

/** The credential of `Authorization: Bearer <credential>`; AuthError('missing' | 'malformed') otherwise. */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '')
    throw new AuthError('missing', 'no Authorization header');
  if (authorization.length > MAX_AUTHORIZATION_CHARS)
    throw new AuthError(
      'malformed',
      `Authorization header longer than ${MAX_AUTHORIZATION_CHARS} characters`,
    );
  const m = BEARER.exec(authorization.trim());
  if (!m) throw new AuthError('malformed', 'expected Authorization: Bearer <token>');
  return m[1];
}
