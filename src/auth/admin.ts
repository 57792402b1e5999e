/**
 * Token administration, the same for the CLI on the store and the HTTP API: create (the token shown once),
 * list, revoke; every change recorded in the audit log with who did it.
 */
import { formatDuration, parseDuration } from '../core/duration.js';
import type { ApiTokenRecord, AuditEntry, FlowStore } from '../storage/port.js';
import { isRole, ROLES, type Role, TENANT_NAME } from './roles.js';
import { hashSecret, newToken } from './tokens.js';

export type AccessStore = Pick<
  FlowStore,
  'createApiToken' | 'getApiToken' | 'listApiTokens' | 'revokeApiToken' | 'appendAudit' | 'listAudit'
>;

/** A bad argument of a token command or route; the message names it. */
export class TokenInputError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'TokenInputError';
  }
}

export interface CreateTokenInput {
  role: string;
  tenant?: string | null;
  /** A duration (`90d`) or `never`; default 90d. */
  expires?: string;
  name?: string;
}

/** What list and create show: everything but the hash. */
export type TokenInfo = Omit<ApiTokenRecord, 'hash'>;

export const DEFAULT_EXPIRY = '90d';

export function tokenInfo(t: ApiTokenRecord): TokenInfo {
  const { hash: _hash, ...info } = t;
  return info;
}

export class TokenAdmin {
  constructor(
    private readonly store: AccessStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates, stores the hash, records the action; the token itself is in the answer only. */
  async create(input: CreateTokenInput, actor: string): Promise<{ token: string; info: TokenInfo }> {
    if (!isRole(input.role))
      throw new TokenInputError('role', `expected ${ROLES.join(' | ')}, got ${JSON.stringify(input.role)}`);
    const tenant = input.tenant ?? null;
    if (tenant !== null && !TENANT_NAME.test(tenant))
      throw new TokenInputError(
        'tenant',
        `expected a tenant name (letters, digits, _ . -; at most 64), got ${JSON.stringify(tenant)}`,
      );
    const name = input.name ?? '';
    if (name.length > 100 || /[\p{Cc}]/u.test(name))
      throw new TokenInputError('name', 'at most 100 characters, no control characters');
    const expiresText = input.expires ?? DEFAULT_EXPIRY;
    const now = this.now();
    let expires_at: number | null = null;
    if (expiresText !== 'never') {
      try {
        expires_at = now + parseDuration(expiresText, 'expires', { min: 60_000, max: 10 * 365 * 86_400_000 });
      } catch (err) {
        throw new TokenInputError(
          'expires',
          `${(err as Error).message.replace(/^expires: /, '')} (or never)`,
        );
      }
    }
    const { token, id, secret } = newToken();
    const rec: ApiTokenRecord = {
      id,
      name,
      role: input.role as Role,
      tenant,
      hash: await hashSecret(secret),
      created_at: now,
      created_by: actor,
      expires_at,
      revoked_at: null,
      last_used_at: null,
    };
    await this.store.createApiToken(rec);
    await this.audit(actor, 'token.create', id, {
      role: rec.role,
      tenant,
      name,
      expires: expires_at === null ? 'never' : formatDuration(expires_at - now),
    });
    return { token, info: tokenInfo(rec) };
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.store.listApiTokens()).map(tokenInfo);
  }

  /** false when there is no such token. */
  async revoke(id: string, actor: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id))
      throw new TokenInputError('id', `expected 16 hex digits, got ${JSON.stringify(id.slice(0, 40))}`);
    const ok = await this.store.revokeApiToken(id, this.now());
    if (ok) await this.audit(actor, 'token.revoke', id, {});
    return ok;
  }

  audit(actor: string, action: string, target: string, detail: object): Promise<void> {
    return this.store.appendAudit({ at: this.now(), actor, action, target, detail: JSON.stringify(detail) });
  }

  listAudit(range: { from: number; to: number; limit: number }): Promise<AuditEntry[]> {
    return this.store.listAudit(range);
  }
}
