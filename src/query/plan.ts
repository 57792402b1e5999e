/**
 * The tier planner (DESIGN.md "Answering across tiers"; the real-time aggregate pattern of
 * design-notes/timeseries-platform.md): a query's range is split by what each tier holds, and the parts
 * are answered as one result.
 *
 * With W the aggregation watermark (every 5-minute window before W is aggregated) and the retention in
 * force (both read from the store, never from a reader's flags):
 *
 *   raw         [max(W, now - raw retention), to)       the newest flows, not yet aggregated
 *   aggregates  [day boundary after now - aggregate retention, W)
 *   daily       whole days before that boundary, back to now - daily retention
 *
 * A span whose natural tier cannot answer the query's fields exactly (core/columns.ts) is answered from a
 * finer tier that still holds it (raw while raw retention lasts); where none can, the span is answered
 * approximately (ports from aggregates: the client's ephemeral port collapsed) or not at all, and the
 * plan says so in `gaps`, naming the span, the fields and why. Nothing is ever silently left out.
 *
 * Pure: no clock, no I/O (the caller passes `now` and the tier state).
 */
import { FIELD_CATALOG, type FilterField, type TierFidelity } from '../core/columns.js';
import type { RetentionPolicy } from '../core/retention.js';
import { DAY_MS, WINDOW_MS } from '../core/rules.js';
import type { Filter, PlanGap, PlanPart, Tier } from './ast.js';

export type { PlanGap, PlanPart } from './ast.js';

export interface QueryPlan {
  /** Newest first; adjacent, never overlapping. */
  parts: PlanPart[];
  gaps: PlanGap[];
  /** False when any gap other than 'approx' exists: some of the range is not in the answer. */
  complete: boolean;
}

export interface PlanInput {
  from: number;
  to: number;
  /** Every field the query groups or filters by. */
  fields: readonly FilterField[];
  tier?: Tier;
}

export interface TierStateAt {
  now: number;
  /** Every window before it is aggregated; null: nothing is. */
  aggregatedUntil: number | null;
  retention: RetentionPolicy;
}

const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;
const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

/** Fields a filter reads (the planner needs them like the grouped fields). */
export function filterFields(f: Filter | undefined, out: Set<FilterField> = new Set()): Set<FilterField> {
  if (!f) return out;
  switch (f.op) {
    case 'eq':
    case 'in_cidr':
    case 'cmp':
    case 'range':
    case 'in':
      out.add(f.field);
      break;
    case 'flags':
      out.add('tcp_flags');
      break;
    case 'ext':
      out.add('extended_fields');
      break;
    // Dependency-only leaves read no flow field; compiling them for a flow query is an error anyway.
    case 'label':
      break;
    case 'and':
    case 'or':
      for (const x of f.filters) filterFields(x, out);
      break;
    case 'not':
    case 'role':
      filterFields(f.filter, out);
  }
  return out;
}

function fidelity(tier: Tier, field: FilterField): TierFidelity {
  return tier === 'raw' ? 'exact' : FIELD_CATALOG[field][tier];
}

/** The fields a tier does not keep at all for this query. */
function lacking(tier: Tier, fields: readonly FilterField[]): FilterField[] {
  return fields.filter((f) => fidelity(tier, f) === 'none');
}

/** The fields a tier keeps only approximately. */
function approximate(tier: Tier, fields: readonly FilterField[]): FilterField[] {
  return fields.filter((f) => fidelity(tier, f) === 'approx');
}

/** Where each tier's data begins and ends, from the tier state. */
export function tierBounds(s: TierStateAt): {
  rawFrom: number;
  watermark: number;
  aggregatesFrom: number;
  dailyFrom: number;
} {
  const watermark = s.aggregatedUntil ?? Number.NEGATIVE_INFINITY;
  const rawFrom = s.now - s.retention.raw;
  // Days before this boundary come from the daily tier, so a day is never counted from two tiers.
  const aggregatesFrom = ceilTo(s.now - s.retention.aggregates, DAY_MS);
  const dailyFrom = ceilTo(s.now - s.retention.daily, DAY_MS);
  return { rawFrom, watermark, aggregatesFrom: Math.min(aggregatesFrom, watermark), dailyFrom };
}

export function planQuery(q: PlanInput, s: TierStateAt): QueryPlan {
  const parts: PlanPart[] = [];
  const gaps: PlanGap[] = [];
  if (q.tier) planForced(q, s, parts, gaps);
  else planNatural(q, s, parts, gaps);
  parts.sort((a, b) => b.from - a.from);
  gaps.sort((a, b) => b.from - a.from);
  return { parts: mergeAdjacent(parts), gaps, complete: gaps.every((g) => g.reason === 'approx') };
}

/** Adjacent parts of the same tier and fidelity become one (one scan instead of two). */
function mergeAdjacent(parts: PlanPart[]): PlanPart[] {
  const out: PlanPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (last && last.tier === p.tier && last.from === p.to && String(last.approx) === String(p.approx))
      last.from = p.from;
    else out.push({ ...p });
  }
  return out;
}

function clip(from: number, to: number, q: PlanInput): [number, number] | null {
  const lo = Math.max(from, q.from);
  const hi = Math.min(to, q.to);
  return hi > lo ? [lo, hi] : null;
}

function planNatural(q: PlanInput, s: TierStateAt, parts: PlanPart[], gaps: PlanGap[]): void {
  const { rawFrom, watermark, aggregatesFrom, dailyFrom } = tierBounds(s);
  const fields = q.fields;
  const add = (tier: Tier, span: [number, number] | null) => {
    if (!span) return;
    const approx = approximate(tier, fields);
    parts.push({ tier, from: span[0], to: span[1], ...(approx.length ? { approx } : {}) });
    const why =
      tier === 'daily'
        ? 'from daily per-dependency statistics: traffic of dependency edges only, both directions counted for the edge (src = client, dst = server, dst_port = server port)'
        : `${approx.join(', ')} approximate (the client's ephemeral port is collapsed to 0 in the aggregate tier)`;
    if (approx.length || tier === 'daily')
      gaps.push({
        from: span[0],
        to: span[1],
        reason: 'approx',
        ...(approx.length ? { fields: approx } : {}),
        message: `${iso(span[0])}..${iso(span[1])}: ${why}`,
      });
  };
  const gap = (span: [number, number] | null, g: Omit<PlanGap, 'from' | 'to' | 'message'>, why: string) => {
    if (span)
      gaps.push({ from: span[0], to: span[1], ...g, message: `${iso(span[0])}..${iso(span[1])}: ${why}` });
  };

  // Newest: raw after the watermark (or everything raw still holds when nothing is aggregated).
  add('raw', clip(Math.max(watermark, rawFrom), Number.POSITIVE_INFINITY, q));
  // Between the watermark and the day boundary after the aggregate retention: aggregates when they keep
  // every field exactly, otherwise raw where it is still retained, then aggregates approximately.
  const aggSpan: [number, number] = [aggregatesFrom, watermark];
  const aggExact =
    approximate('aggregates', fields).length === 0 && lacking('aggregates', fields).length === 0;
  // The aggregate tier answers whole 5-minute windows: the ends of a span that cut a window are answered
  // from raw while it holds them, else the cut window counts when it starts inside the range (noted).
  const addWindows = (span: [number, number] | null) => {
    if (!span) return;
    const w0 = ceilTo(span[0], WINDOW_MS);
    const w1 = Math.floor(span[1] / WINDOW_MS) * WINDOW_MS;
    if (w1 <= w0) {
      edge([span[0], span[1]]);
      return;
    }
    add('aggregates', [w0, w1]);
    if (span[0] < w0) edge([span[0], w0]);
    if (w1 < span[1]) edge([w1, span[1]]);
  };
  const edge = (piece: [number, number]) => {
    if (piece[0] >= rawFrom) add('raw', piece);
    else {
      const w = Math.floor(piece[0] / WINDOW_MS) * WINDOW_MS;
      if (w >= piece[0]) add('aggregates', [w, Math.min(w + WINDOW_MS, piece[1])]);
      gaps.push({
        from: piece[0],
        to: piece[1],
        reason: 'approx',
        message: `${iso(piece[0])}..${iso(piece[1])}: raw flows expired; the aggregate tier answers whole 5-minute windows (a window counts when it starts inside the range)`,
      });
    }
  };
  if (aggExact) addWindows(clip(aggSpan[0], aggSpan[1], q));
  else {
    const rawPart = clip(Math.max(aggSpan[0], rawFrom), aggSpan[1], q);
    add('raw', rawPart);
    const older = clip(aggSpan[0], Math.min(aggSpan[1], rawFrom), q);
    const missing = lacking('aggregates', fields);
    if (missing.length === 0) addWindows(older);
    else
      gap(
        older,
        { reason: 'fields', fields: missing },
        `raw flows expired and aggregates do not keep ${missing.join(', ')}`,
      );
  }
  // A watermark older than the raw retention leaves a span nobody holds (aggregation stalled for days).
  gap(
    clip(Math.max(watermark, dailyFrom), rawFrom, q),
    { reason: 'not_aggregated' },
    'raw flows expired before they were aggregated',
  );
  // Daily: whole days only, per dependency edge.
  const dailySpan = clip(dailyFrom, aggregatesFrom, q);
  if (dailySpan) {
    const missing = lacking('daily', fields);
    if (missing.length > 0) {
      gap(
        dailySpan,
        { reason: 'fields', fields: missing },
        `only daily per-dependency statistics remain, without ${missing.join(', ')}`,
      );
    } else {
      const days: [number, number] = [
        ceilTo(dailySpan[0], DAY_MS),
        Math.floor(dailySpan[1] / DAY_MS) * DAY_MS,
      ];
      const whole = days[1] > days[0];
      if (whole) add('daily', days);
      const partial = (a: number, b: number) =>
        gap(b > a ? [a, b] : null, { reason: 'partial_day' }, 'the daily tier answers whole UTC days only');
      if (whole) {
        partial(dailySpan[0], days[0]);
        partial(days[1], dailySpan[1]);
      } else partial(dailySpan[0], dailySpan[1]);
    }
  }
  gap(clip(Number.NEGATIVE_INFINITY, dailyFrom, q), { reason: 'expired' }, 'older than every retention');
}

/**
 * A forced tier reads the whole range from that tier (what it physically holds answers); the spans it is
 * not expected to hold by the tier state (retention, watermark) are named, so a forced answer that lacks
 * the newest minutes says so.
 */
function planForced(q: PlanInput, s: TierStateAt, parts: PlanPart[], gaps: PlanGap[]): void {
  const tier = q.tier as Tier;
  const { rawFrom, watermark, dailyFrom } = tierBounds(s);
  const missing = lacking(tier, q.fields);
  if (missing.length > 0) {
    gaps.push({
      from: q.from,
      to: q.to,
      reason: 'fields',
      fields: missing,
      message: `the ${tier} tier does not keep ${missing.join(', ')}`,
    });
    return;
  }
  parts.push({ tier, from: q.from, to: q.to });
  const held: [number, number] =
    tier === 'raw'
      ? [rawFrom, Number.POSITIVE_INFINITY]
      : tier === 'aggregates'
        ? [ceilTo(s.now - s.retention.aggregates, WINDOW_MS), watermark]
        : [dailyFrom, Math.floor(watermark / DAY_MS) * DAY_MS];
  const skip = (g: [number, number] | null) => {
    if (g)
      gaps.push({
        from: g[0],
        to: g[1],
        reason: 'forced_tier',
        message: `${iso(g[0])}..${iso(g[1])}: the forced ${tier} tier is not expected to hold this span (retention or aggregation watermark); another tier would answer it`,
      });
  };
  if (!(held[1] > held[0])) skip([q.from, q.to]);
  else {
    skip(clip(Number.NEGATIVE_INFINITY, held[0], q));
    skip(clip(held[1], Number.POSITIVE_INFINITY, q));
  }
}
