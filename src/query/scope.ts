/**
 * Tenant scopes (README "Tenants"). A scope is the part of the data a tenant-bound principal may read: a
 * flow or aggregate row is in scope when its exporter is one of `exporters` OR its source or destination
 * address is inside one of `networks`. A tenant's `groups` become networks when its scope is resolved
 * (auth/tenants.ts: the prefixes of the labels of those groups valid now).
 *
 * The scope is applied as a filter ANDed outside the caller's filter (scopeQuery): the compiler turns the
 * AST into one parenthesized condition per node, so an `or` or `not` in the caller's filter stays inside
 * its own parentheses and cannot widen what the scope lets through. The planner sees the scope's fields
 * too, so a scope naming exporters is never answered from the daily tier (which has no exporter).
 */

import { ipv6ToString } from '../core/ip.js';
import { canonicalIp, cidrToRange, type Ipv6Range, inRanges } from '../core/rules.js';
import type { Filter, Query } from './ast.js';

export interface Scope {
  /** The tenant's name (PostgreSQL also sets it for row-level security); absent for an ad-hoc scope. */
  tenant?: string;
  /** Exporter addresses, canonical (IPv4 as a.b.c.d). */
  exporters: string[];
  /** CIDRs, canonical (host bits cleared, IPv4 as a.b.c.d/n). */
  networks: string[];
  /** Group names; resolved into `networks` by TenantScopes (auth/tenants.ts). */
  groups: string[];
}

/** A bad exporter or network of a tenant; the message names it. */
export class ScopeInputError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'ScopeInputError';
  }
}

const GROUP_NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.:/-]{0,99}$/u;

/** One network as stored: its first address and prefix length; IPv4 (and IPv4-mapped /96+) as IPv4. */
export function canonicalCidr(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const r = cidrToRange(text.trim());
  if (!r) return null;
  let bits = Number(text.slice(slash + 1));
  const v4 = !text.includes(':');
  if (v4) bits += 96;
  const mapped = r.lo.slice(0, 10).every((x) => x === 0) && r.lo[10] === 0xff && r.lo[11] === 0xff;
  if (mapped && bits >= 96) return `${r.lo[12]}.${r.lo[13]}.${r.lo[14]}.${r.lo[15]}/${bits - 96}`;
  return `${ipv6ToString(r.lo)}/${bits}`;
}

/** Validates and canonicalizes a scope's lists; ScopeInputError naming the first bad entry. */
export function checkScope(input: { exporters?: string[]; networks?: string[]; groups?: string[] }): Scope {
  const exporters = (input.exporters ?? []).map((e) => {
    const ip = cidrToRange(e) && !e.includes('/') ? canonicalIp(e.trim()) : null;
    if (!ip) throw new ScopeInputError('exporters', `not an IP address: ${JSON.stringify(e)}`);
    return ip;
  });
  const networks = (input.networks ?? []).map((n) => {
    const c = canonicalCidr(n);
    if (!c) throw new ScopeInputError('networks', `not a CIDR (address/length): ${JSON.stringify(n)}`);
    // PostgreSQL keeps IPv4 addresses as IPv4, outside every IPv6 prefix: such a prefix would mean one
    // thing to the query module and another to row-level security. IPv4 networks are given as IPv4.
    if (c.includes(':') && inNetworks('::ffff:0.0.0.0', [c]))
      throw new ScopeInputError(
        'networks',
        `${JSON.stringify(n)} covers the IPv4-mapped range ::ffff:0:0/96: give IPv4 networks as IPv4 (e.g. 0.0.0.0/0)`,
      );
    return c;
  });
  const groups = (input.groups ?? []).map((g) => {
    if (!GROUP_NAME.test(g)) throw new ScopeInputError('groups', `not a group name: ${JSON.stringify(g)}`);
    return g;
  });
  const uniq = (a: string[]) => [...new Set(a)];
  return { exporters: uniq(exporters), networks: uniq(networks), groups: uniq(groups) };
}

/**
 * The scope as a filter on flow and aggregate rows. An empty scope is `or []`, which compiles to false:
 * a tenant with nothing in it sees nothing.
 */
export function scopeFilter(scope: Scope): Filter {
  const leaves: Filter[] = [];
  for (const e of scope.exporters) leaves.push({ op: 'eq', field: 'exporter_ip', value: e });
  for (const n of scope.networks) {
    leaves.push({ op: 'in_cidr', field: 'src_ip', cidr: n });
    leaves.push({ op: 'in_cidr', field: 'dst_ip', cidr: n });
  }
  return { op: 'or', filters: leaves };
}

/** A filter restricted to the scope: `scope AND (filter)`; no scope: unchanged. */
export function scopeAnd(filter: Filter | undefined, scope: Scope | undefined): Filter | undefined {
  if (!scope) return filter;
  const s = scopeFilter(scope);
  return filter ? { op: 'and', filters: [s, filter] } : s;
}

/** The query restricted to the scope: its filter becomes `scope AND (filter)`; no scope: unchanged. */
export function scopeQuery<Q extends Query>(q: Q, scope: Scope | undefined): Q {
  if (!scope) return q;
  return { ...q, filter: scopeAnd(q.filter, scope) };
}

/** Parsed ranges per networks list (a scope's list is checked once per edge of a map: parse it once). */
const rangesOf = new WeakMap<readonly string[], Ipv6Range[]>();

/** Whether an address is inside one of the scope's networks (dependency edges, reference checks). */
export function inNetworks(ip: string | null, networks: readonly string[]): boolean {
  let ranges = rangesOf.get(networks);
  if (!ranges) {
    ranges = networks.flatMap((n) => cidrToRange(n) ?? []);
    rangesOf.set(networks, ranges);
  }
  return inRanges(ip, ranges);
}

/** The reference rule on one flow-like row (tests compare stores against it). */
export function rowInScope(
  row: { exporter_ip?: string | null; src_ip: string | null; dst_ip: string | null },
  scope: Scope,
): boolean {
  const ex = row.exporter_ip == null ? null : canonicalIp(row.exporter_ip);
  if (ex !== null && scope.exporters.includes(ex)) return true;
  return inNetworks(row.src_ip, scope.networks) || inNetworks(row.dst_ip, scope.networks);
}
