/**
 * Tenant administration, the same for the CLI on the store and the HTTP API (create, list, delete; every
 * change in the audit log with who did it), and the scope of a tenant-bound principal, read from the store
 * and kept a few seconds (every query of a tenant's request needs it; a deletion through this process
 * forgets it at once, elsewhere within the cache time).
 */

import { readLabels } from '../core/label-file.js';
import { checkScope, type Scope, ScopeInputError } from '../query/scope.js';
import type { FlowStore, HostLabel, TenantRecord } from '../storage/port.js';
import { TENANT_NAME } from './roles.js';

export type TenantStore = Pick<
  FlowStore,
  'createTenant' | 'listTenants' | 'getTenant' | 'deleteTenant' | 'appendAudit'
>;

/** A bad argument of a tenant command or route (a name, an exporter, a CIDR); the message names it. */
export class TenantInputError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'TenantInputError';
  }
}

export interface CreateTenantInput {
  name: string;
  exporters?: string[];
  networks?: string[];
  groups?: string[];
}

function checkName(name: string): string {
  if (!TENANT_NAME.test(name))
    throw new TenantInputError(
      'name',
      `expected a tenant name (letters, digits, _ . -; at most 64), got ${JSON.stringify(name.slice(0, 80))}`,
    );
  return name;
}

export class TenantAdmin {
  constructor(
    private readonly store: TenantStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** One audit entry, as token changes write theirs (auth/admin.ts). */
  private audit(actor: string, action: string, target: string, detail: object): Promise<void> {
    return this.store.appendAudit({ at: this.now(), actor, action, target, detail: JSON.stringify(detail) });
  }

  /** Validates (canonical addresses and CIDRs), stores, records; null when the name is taken. */
  async create(input: CreateTenantInput, actor: string): Promise<TenantRecord | null> {
    const name = checkName(input.name);
    let scope: Scope;
    try {
      scope = checkScope(input);
    } catch (err) {
      if (err instanceof ScopeInputError)
        throw new TenantInputError(err.parameter, err.message.replace(/^\w+: /, ''));
      throw err;
    }
    const rec: TenantRecord = { name, ...scope, created_at: this.now() };
    if (!(await this.store.createTenant(rec))) return null;
    await this.audit(actor, 'tenant.create', name, scope);
    return rec;
  }

  list(): Promise<TenantRecord[]> {
    return this.store.listTenants();
  }

  /** false when there is no such tenant. */
  async delete(name: string, actor: string): Promise<boolean> {
    checkName(name);
    const ok = await this.store.deleteTenant(name);
    if (ok) await this.audit(actor, 'tenant.delete', name, {});
    return ok;
  }
}

/** The tenant a principal is bound to does not exist (deleted after its token was made). */
export class UnknownTenantError extends Error {
  constructor(readonly tenant: string) {
    super(`tenant ${tenant} does not exist: its tokens see nothing until it is created again`);
    this.name = 'UnknownTenantError';
  }
}

/** Tenant name -> scope, read from the store and cached for `ttlMs`. */
export class TenantScopes {
  private readonly cache = new Map<string, { at: number; scope: Promise<Scope | null> }>();

  constructor(
    private readonly store: Pick<FlowStore, 'getTenant' | 'getLabels'>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
    /** The configuration's labels (core readLabels puts them before the store's). */
    private readonly configLabels: readonly HostLabel[] = [],
  ) {}

  /** The scope of a principal's tenant; undefined without a tenant (everything); UnknownTenantError. */
  async of(principal: { tenant: string | null } | null | undefined): Promise<Scope | undefined> {
    const tenant = principal?.tenant ?? null;
    if (tenant === null) return undefined;
    const t = this.now();
    let hit = this.cache.get(tenant);
    if (!hit || t - hit.at > this.ttlMs) {
      const scope = this.resolve(tenant);
      hit = { at: t, scope };
      this.cache.set(tenant, hit);
      // A failed read is not kept.
      scope.catch(() => this.cache.delete(tenant));
    }
    const scope = await hit.scope;
    if (!scope) throw new UnknownTenantError(tenant);
    return scope;
  }

  /**
   * A tenant's groups are the networks their labels name (the labels valid now, src/deps/labels): the query
   * module sees them as more networks. A label prefix a scope refuses (an IPv6 prefix over the IPv4-mapped
   * range) is left out, never widened.
   */
  private async resolve(tenant: string): Promise<Scope | null> {
    const r = await this.store.getTenant(tenant);
    if (!r) return null;
    const t = this.now();
    const labels = r.groups.length > 0 ? await readLabels(this.store, this.configLabels) : [];
    const fromGroups = labels
      .filter(
        (l) =>
          r.groups.includes(l.group) &&
          (l.valid_from === null || l.valid_from <= t) &&
          (l.valid_to === null || l.valid_to > t),
      )
      .flatMap((l) => {
        try {
          return checkScope({ networks: [l.cidr] }).networks;
        } catch {
          return [];
        }
      });
    const networks = [...new Set([...r.networks, ...fromGroups])];
    return { tenant, exporters: r.exporters, networks, groups: r.groups };
  }

  /** Drops a tenant's cached scope (after a change through this process). */
  forget(tenant: string): void {
    this.cache.delete(tenant);
  }
}
