/**
 * Which way a scoped top-N tests the tenant scope on this store. Both give the same answer; they cost
 * differently (measured on 10 M flows, README "Tenants"):
 * - per row (the scope ANDed into WHERE): the engine drops the rows outside before grouping, so a
 *   narrow scope is cheaper than no scope at all, but a scope holding most rows pays the whole test on
 *   nearly every row and then groups them all (1.3-1.7 times the unscoped top-N);
 * - per group (compile.ts groupScope): every row is grouped as unscoped, the networks are tested once per
 *   group, the exporters by two conditional aggregates (1.0-1.3 times whatever the share).
 * The share of the rows inside the scope decides; it is sampled on the last aggregate windows (a few
 * thousand rows, a few milliseconds) and remembered a few minutes per scope.
 */
import type { Scope } from '../../query/scope.js';
import { scopeFilter } from '../../query/scope.js';
import { compileFilter } from '../sql/compile.js';
import { type Db, num } from './db.js';
import { chdbDialect } from './query.js';

/** From this share of rows inside the scope on, the per-group test is the cheaper (measured crossover 0.45-0.55). */
export const GROUP_SHARE = 0.5;
const TTL_MS = 5 * 60_000;
/** The sample: the last three aggregate windows (the primary key reads only those). */
const SAMPLE_MS = 15 * 60_000;
const MAX_ENTRIES = 256;

export class ScopeShares {
  private readonly cache = new Map<string, { at: number; share: number }>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /**
   * The share (0..1) of the rows of the last aggregated windows (SAMPLE_MS before `until`, the tier
   * state's aggregatedUntil) inside the scope; 0 with nothing aggregated.
   */
  async share(scope: Scope, until: number | null): Promise<number> {
    if (until === null) return 0;
    const key = JSON.stringify([scope.exporters, scope.networks]);
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < TTL_MS) return hit.share;
    const b = chdbDialect.binder();
    const time = chdbDialect.timeWhere('aggregates', until - SAMPLE_MS, until, b);
    const inside = compileFilter(scopeFilter(scope), 'aggregates', chdbDialect, b);
    const [r] = await this.db.rows<{ inside: unknown; n: unknown }>(
      `SELECT countIf(${inside}) AS inside, count() AS n FROM flow_aggregates WHERE ${time}`,
      b.params() as Record<string, unknown>,
    );
    const n = num(r?.n ?? 0);
    const share = n > 0 ? num(r.inside) / n : 0;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { at: now, share });
    return share;
  }
}
