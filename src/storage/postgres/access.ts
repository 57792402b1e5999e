/** Access-control tables of the PostgreSQL store (migration 6): api_tokens and audit_log. */
import type pg from 'pg';
import type { ApiRole, ApiTokenRecord, AuditEntry, TenantRecord } from '../port.js';

interface TokenRow {
  id: string;
  name: string;
  role: string;
  tenant: string | null;
  hash: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

// TIMESTAMPTZ arrives as epoch ms (db.ts type parsers).
const COLUMNS = 'id, name, role, tenant, hash, created_at, created_by, expires_at, revoked_at, last_used_at';

const fromRow = (r: TokenRow): ApiTokenRecord => ({ ...r, role: r.role as ApiRole });

const ts = (v: number | null) => (v === null ? null : new Date(v).toISOString());

export async function writeToken(pool: pg.Pool, t: ApiTokenRecord): Promise<void> {
  await pool.query(`INSERT INTO api_tokens (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
    t.id,
    t.name,
    t.role,
    t.tenant,
    t.hash,
    ts(t.created_at),
    t.created_by,
    ts(t.expires_at),
    ts(t.revoked_at),
    ts(t.last_used_at),
  ]);
}

export async function readToken(pool: pg.Pool, id: string): Promise<ApiTokenRecord | null> {
  const r = await pool.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
  return r.rows[0] ? fromRow(r.rows[0]) : null;
}

export async function readTokens(pool: pg.Pool): Promise<ApiTokenRecord[]> {
  const r = await pool.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC, id`);
  return r.rows.map(fromRow);
}

export async function revokeToken(pool: pg.Pool, id: string, at: number): Promise<boolean> {
  const r = await pool.query('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1', [
    id,
    ts(at),
  ]);
  return (r.rowCount ?? 0) > 0;
}

export async function touchToken(pool: pg.Pool, id: string, at: number): Promise<void> {
  await pool.query('UPDATE api_tokens SET last_used_at = greatest(last_used_at, $2) WHERE id = $1', [
    id,
    ts(at),
  ]);
}

export async function appendAudit(pool: pg.Pool, e: AuditEntry): Promise<void> {
  await pool.query('INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)', [
    ts(e.at),
    e.actor,
    e.action,
    e.target,
    e.detail,
  ]);
}

export async function readAudit(
  pool: pg.Pool,
  range: { from: number; to: number; limit: number },
): Promise<AuditEntry[]> {
  const r = await pool.query<AuditEntry>(
    `SELECT at, actor, action, target, detail FROM audit_log WHERE at >= $1 AND at < $2
     ORDER BY at DESC, id DESC LIMIT $3`,
    [ts(range.from), ts(range.to), range.limit],
  );
  return r.rows;
}

// Addresses come back as inet text (host() drops a /32 or /128, keeps a network's length).
const TENANT_COLUMNS = `name, ARRAY(SELECT host(e) FROM unnest(exporters) AS e) AS exporters,
  ARRAY(SELECT text(n) FROM unnest(networks) AS n) AS networks, groups, created_at`;

export async function writeTenant(pool: pg.Pool, t: TenantRecord): Promise<boolean> {
  const r = await pool.query(
    `INSERT INTO tenants (name, exporters, networks, groups, created_at) VALUES ($1, $2::inet[], $3::inet[], $4, $5)
     ON CONFLICT (name) DO NOTHING`,
    [t.name, t.exporters, t.networks, t.groups, ts(t.created_at)],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function readTenant(pool: pg.Pool, name: string): Promise<TenantRecord | null> {
  const r = await pool.query<TenantRecord>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE name = $1`, [name]);
  return r.rows[0] ?? null;
}

export async function readTenants(pool: pg.Pool): Promise<TenantRecord[]> {
  return (await pool.query<TenantRecord>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY name`)).rows;
}

export async function removeTenant(pool: pg.Pool, name: string): Promise<boolean> {
  const r = await pool.query('DELETE FROM tenants WHERE name = $1', [name]);
  return (r.rowCount ?? 0) > 0;
}
