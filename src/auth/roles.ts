/**
 * Roles and the principal every authenticated request carries (shared contract with the API and tenants):
 * viewer reads traffic and the dependency map; operator also manages labels, groups, service names and
 * saved filters; admin also manages tokens, tenants and settings.
 */
import type { ApiRole } from '../storage/port.js';

export type Role = ApiRole;

/** Lowest to highest: a role holds every right of the roles before it. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Whether `have` may use a route that requires `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export type AuthKind = 'none' | 'token' | 'jwt';

/** Who is asking: on the request as `req.principal` (README "Access control"). */
export interface Principal {
  /** `token:<id> (<name>)`, `jwt:<sub>`, or `anonymous` in no-auth mode. */
  name: string;
  role: Role;
  /** Tenant name; null: no tenant (everything, for an admin). */
  tenant: string | null;
  auth: AuthKind;
  /** What the rate limit is keyed by: the token id, the JWT subject. */
  key: string;
}

/** Tenant names: what `--tenant` and JWT tenant claims may carry. */
export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
