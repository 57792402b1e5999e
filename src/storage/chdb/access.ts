/**
 * Access-control tables of the embedded store (migration 5): api_tokens (ReplacingMergeTree by id: the
 * highest version is the token), api_token_uses (last use, apart so a use never overwrites a revocation)
 * and audit_log.
 */
import type { ApiRole, ApiTokenRecord, AuditEntry, TenantRecord } from '../port.js';
import { type Db, dt64, num } from './db.js';

interface TokenRow {
  id: string;
  name: string;
  role: string;
  tenant: string | null;
  hash: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const ms = (v: string | null): number | null => (v === null ? null : Date.parse(`${v.replace(' ', 'T')}Z`));

const SELECT = `SELECT t.id AS id, t.name AS name, t.role AS role, t.tenant AS tenant, t.hash AS hash,
  toString(t.created_at) AS created_at, t.created_by AS created_by,
  if(isNull(t.expires_at), NULL, toString(t.expires_at)) AS expires_at,
  if(isNull(t.revoked_at), NULL, toString(t.revoked_at)) AS revoked_at,
  if(u.id = '', NULL, toString(u.at)) AS last_used_at
FROM (SELECT * FROM api_tokens FINAL) AS t
LEFT JOIN (SELECT id, max(at) AS at FROM api_token_uses GROUP BY id) AS u ON u.id = t.id`;

function fromRow(r: TokenRow): ApiTokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as ApiRole,
    tenant: r.tenant,
    hash: r.hash,
    created_at: ms(r.created_at) as number,
    created_by: r.created_by,
    expires_at: ms(r.expires_at),
    revoked_at: ms(r.revoked_at),
    last_used_at: ms(r.last_used_at),
  };
}

export async function writeToken(db: Db, t: ApiTokenRecord, version: number): Promise<void> {
  await db.insertJson('api_tokens', [
    {
      id: t.id,
      name: t.name,
      role: t.role,
      tenant: t.tenant,
      hash: t.hash,
      created_at: dt64(t.created_at),
      created_by: t.created_by,
      expires_at: t.expires_at === null ? null : dt64(t.expires_at),
      revoked_at: t.revoked_at === null ? null : dt64(t.revoked_at),
      version,
    },
  ]);
}

export async function readToken(db: Db, id: string): Promise<ApiTokenRecord | null> {
  const [r] = await db.rows<TokenRow>(`${SELECT} WHERE t.id = {id:String} LIMIT 1`, { id });
  return r ? fromRow(r) : null;
}

export async function readTokens(db: Db): Promise<ApiTokenRecord[]> {
  const rows = await db.rows<TokenRow>(`${SELECT} ORDER BY t.created_at DESC, t.id`);
  return rows.map(fromRow);
}

export async function revokeToken(db: Db, id: string, at: number, version: number): Promise<boolean> {
  const t = await readToken(db, id);
  if (!t) return false;
  if (t.revoked_at === null) await writeToken(db, { ...t, revoked_at: at }, version);
  return true;
}

export function touchToken(db: Db, id: string, at: number): Promise<void> {
  return db.insertJson('api_token_uses', [{ id, at: dt64(at) }]);
}

export function appendAudit(db: Db, e: AuditEntry): Promise<void> {
  return db.insertJson('audit_log', [{ ...e, at: dt64(e.at) }]);
}

export async function readAudit(
  db: Db,
  range: { from: number; to: number; limit: number },
): Promise<AuditEntry[]> {
  // The alias differs from the column: `AS at` would be what the WHERE compares.
  const rows = await db.rows<{
    at_text: string;
    actor: string;
    action: string;
    target: string;
    detail: string;
  }>(
    `SELECT toString(at) AS at_text, actor, action, target, detail FROM audit_log
     WHERE at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     ORDER BY at DESC LIMIT {limit:UInt32}`,
    { from: range.from, to: range.to, limit: num(range.limit) },
  );
  return rows.map(({ at_text, ...r }) => ({ at: ms(at_text) as number, ...r }));
}

type TenantRow = Omit<TenantRecord, 'created_at'> & { created_at: string };

const TENANT_SELECT = `SELECT name, exporters, networks, groups, toString(created_at) AS created_at
FROM tenants FINAL WHERE deleted = 0`;

const tenantOf = (r: TenantRow): TenantRecord => ({ ...r, created_at: ms(r.created_at) as number });

export async function readTenant(db: Db, name: string): Promise<TenantRecord | null> {
  const [r] = await db.rows<TenantRow>(`${TENANT_SELECT} AND name = {name:String} LIMIT 1`, { name });
  return r ? tenantOf(r) : null;
}

export async function readTenants(db: Db): Promise<TenantRecord[]> {
  return (await db.rows<TenantRow>(`${TENANT_SELECT} ORDER BY name`)).map(tenantOf);
}

/** false when the name is taken (one process owns the embedded store: read then write does not race). */
export async function writeTenant(db: Db, t: TenantRecord, version: number): Promise<boolean> {
  if (await readTenant(db, t.name)) return false;
  await db.insertJson('tenants', [{ ...t, created_at: dt64(t.created_at), deleted: 0, version }]);
  return true;
}

export async function removeTenant(db: Db, name: string, version: number): Promise<boolean> {
  const t = await readTenant(db, name);
  if (!t) return false;
  await db.insertJson('tenants', [{ ...t, created_at: dt64(t.created_at), deleted: 1, version }]);
  return true;
}
