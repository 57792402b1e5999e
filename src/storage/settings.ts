/**
 * The settings every store keeps about itself (chdb: flowlens_settings, PostgreSQL: flowlens_settings and
 * job_watermarks), in one text form shared by the backends.
 */
import { DEFAULT_RETENTION, FOREVER, type RetentionPolicy } from '../core/retention.js';

export const RETENTION_KEY = 'retention';
export const AGGREGATED_UNTIL_KEY = 'aggregated_until';

/** JSON of a retention policy: milliseconds per tier, null for FOREVER (JSON has no Infinity). */
export function retentionToJson(p: RetentionPolicy): string {
  const ms = (v: number) => (Number.isFinite(v) ? v : null);
  return JSON.stringify({ raw: ms(p.raw), aggregates: ms(p.aggregates), daily: ms(p.daily) });
}

/** The stored policy; a missing or unreadable value (an older store) means the defaults. */
export function retentionFromJson(text: string | null | undefined): RetentionPolicy {
  if (!text) return DEFAULT_RETENTION;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return DEFAULT_RETENTION;
  }
  const o = (v ?? {}) as Record<string, unknown>;
  const tier = (key: keyof RetentionPolicy): number => {
    const x = o[key];
    if (x === null) return FOREVER;
    return typeof x === 'number' && x > 0 ? x : DEFAULT_RETENTION[key];
  };
  return { raw: tier('raw'), aggregates: tier('aggregates'), daily: tier('daily') };
}
