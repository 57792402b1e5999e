/**
 * Change over time: `depsDiff` compares the map of a period with a base period (new, vanished, grown,
 * shrunk, direction changed, same), `depsHistory` gives one edge's days from the daily tier with its recorded direction corrections.
 */
import { readLabels } from '../core/label-file.js';
import { DAY_MS } from '../core/rules.js';
import type { Scope } from '../query/scope.js';
import type { DependencyChange, EdgeDirection, FlowStore, HostLabel } from '../storage/port.js';
import { edgeInScope } from './map.js';
import { depsView, type LabelledRow, labelSplits, type MapView, VIEW_COLUMNS } from './view.js';

/** How an edge of the period compares with the base period (one class per edge; see classify). */
export type Change = 'new' | 'vanished' | 'grown' | 'shrunk' | 'direction_changed' | 'same';

export interface DiffOptions {
  /** A tenant's scope (map.ts edgeInScope). */
  scope?: Scope;
  from: number;
  to: number;
  baseFrom: number;
  baseTo: number;
  view?: MapView;
  filter?: string;
  /** The configuration's labels, read before the store's (core readLabels). */
  configLabels?: readonly HostLabel[];
  /** Bytes moved by more than this fraction of the base count as grown or shrunk. Default 0.5. */
  factor?: number;
  /** The same for p95 (the highest daily p95 of 5-minute bytes). Default: `factor`. */
  p95Factor?: number;
  /** Each row's daily bytes over the days of both periods (DiffRow.history), from the daily tier. */
  history?: boolean;
}

export interface DiffRow extends LabelledRow {
  change: Change;
  bytes: number;
  bytes_base: number;
  /** The highest daily p95 of 5-minute bytes in the period (null: no stats there). */
  p95: number | null;
  p95_base: number | null;
  /** The edge's direction was corrected during the period. */
  direction_changed: boolean;
  /** With `history`: bytes of every day of the base and the period, in day order (0: no traffic). */
  history?: { day: string; bytes: number }[];
}

export const DIFF_COLUMNS: readonly (keyof DiffRow)[] = [
  'change',
  'bytes',
  'bytes_base',
  'p95',
  'p95_base',
  'direction_changed',
  ...VIEW_COLUMNS,
];

/** Grown or shrunk by more than `factor` of the base (from nothing: grown if anything). */
const moved = (now: number, base: number, factor: number) =>
  base === 0 ? now > 0 : Math.abs(now - base) / base > factor;

/**
 * The classification alone (tests hold the store-backed diff against it): grown or shrunk when the bytes
 * moved by more than their factor, or else the p95 did (a burstier edge with the same daily volume is a
 * change too); otherwise direction_changed when the direction was corrected in the period (the row's
 * direction_changed flag says so whatever the class). A p95 missing on either side (no stats) says
 * nothing.
 */
export function classify(o: {
  inPeriod: boolean;
  inBase: boolean;
  bytes: number;
  bytesBase: number;
  p95: number | null;
  p95Base: number | null;
  ruleOrDirectionChanged: boolean;
  factor: number;
  p95Factor: number;
}): Change {
  if (!o.inBase) return 'new';
  if (!o.inPeriod) return 'vanished';
  if (moved(o.bytes, o.bytesBase, o.factor)) return o.bytes > o.bytesBase ? 'grown' : 'shrunk';
  if (o.p95 !== null && o.p95Base !== null && moved(o.p95, o.p95Base, o.p95Factor))
    return o.p95 > o.p95Base ? 'grown' : 'shrunk';
  return o.ruleOrDirectionChanged ? 'direction_changed' : 'same';
}

/** The UTC days overlapping [from, to). */
function daysOf(from: number, to: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(from / DAY_MS) * DAY_MS; d < to; d += DAY_MS) out.push(d);
  return out;
}

const CHANGE_ORDER: Record<Change, number> = {
  new: 0,
  vanished: 1,
  grown: 2,
  shrunk: 3,
  direction_changed: 4,
  same: 5,
};

export async function depsDiff(store: FlowStore, o: DiffOptions): Promise<DiffRow[]> {
  // Labels and edges read once for both periods.
  const [labels, stored] = await Promise.all([readLabels(store, o.configLabels), store.listDependencies()]);
  const common = { view: o.view, filter: o.filter, labels, stored, scope: o.scope };
  // Day-aligned periods (the usual case) are read in one query, split at the four bounds; otherwise a day
  // may belong to both periods, so each is read on its own. With the history: one query split at every
  // day of both periods (and where each ends, so a gap between them is one period, read but unused).
  const bounds = [o.from, o.to, o.baseFrom, o.baseTo];
  const historyDays = o.history
    ? [...new Set([...daysOf(o.from, o.to), ...daysOf(o.baseFrom, o.baseTo)])].sort((x, y) => x - y)
    : [];
  const range = { from: Math.min(o.from, o.baseFrom), to: Math.max(o.to, o.baseTo) };
  const totals = o.history
    ? await store.dependencyTotals({
        ...range,
        splits: [...historyDays, ...[o.to, o.baseTo].map((t) => Math.ceil(t / DAY_MS) * DAY_MS)],
      })
    : bounds.every((t) => t % DAY_MS === 0)
      ? await store.dependencyTotals({ ...range, splits: [...bounds, ...labelSplits(labels)] })
      : undefined;
  const history = o.history === true;
  const [a, b] = await Promise.all([
    depsView(store, { ...common, totals, history, from: o.from, to: o.to }),
    depsView(store, { ...common, totals, history, from: o.baseFrom, to: o.baseTo }),
  ]);
  // A day in both periods (bounds inside days) has the same bytes in both views.
  const dailyOf = (id: string) =>
    historyDays.map((d) => ({
      day: new Date(d).toISOString().slice(0, 10),
      bytes: a.days?.get(id)?.get(d) ?? b.days?.get(id)?.get(d) ?? 0,
    }));
  const corrected = new Set((await store.listDependencyChanges(o.from, o.to)).map((c) => c.dependency_id));
  // An edge "is in" a period when it carried traffic there (a stored edge with no bytes did not talk).
  const present = (r: LabelledRow | undefined) => r !== undefined && r.bytes_total > 0;
  const base = new Map(b.rows.map((r) => [r.id, r]));
  const now = new Map(a.rows.map((r) => [r.id, r]));
  const out: DiffRow[] = [];
  for (const id of new Set([...now.keys(), ...base.keys()])) {
    const ra = now.get(id);
    const rb = base.get(id);
    if (!present(ra) && !present(rb)) continue;
    const directionChanged = [...(a.members.get(id) ?? [])].some((m) => corrected.has(m));
    const change = classify({
      inPeriod: present(ra),
      inBase: present(rb),
      bytes: ra?.bytes_total ?? 0,
      bytesBase: rb?.bytes_total ?? 0,
      p95: ra?.bytes_p95 ?? null,
      p95Base: rb?.bytes_p95 ?? null,
      ruleOrDirectionChanged: directionChanged,
      factor: o.factor ?? 0.5,
      p95Factor: o.p95Factor ?? o.factor ?? 0.5,
    });
    const row = (present(ra) ? ra : rb) as LabelledRow;
    out.push({
      ...row,
      change,
      bytes: ra?.bytes_total ?? 0,
      bytes_base: rb?.bytes_total ?? 0,
      p95: ra?.bytes_p95 ?? null,
      p95_base: rb?.bytes_p95 ?? null,
      direction_changed: directionChanged,
      ...(history ? { history: dailyOf(id) } : {}),
    });
  }
  return out.sort(
    (x, y) =>
      CHANGE_ORDER[x.change] - CHANGE_ORDER[y.change] ||
      Math.abs(y.bytes - y.bytes_base) - Math.abs(x.bytes - x.bytes_base) ||
      (x.id < y.id ? -1 : 1),
  );
}

export interface HistoryOptions {
  client: string;
  server: string;
  port: number;
  protocol: number;
  from: number;
  to: number;
}

export interface EdgeHistory {
  /** The stored edge (null: no such edge, in either direction). */
  id: string | null;
  days: { day: string; bytes: number; packets: number; flows: number }[];
  changes: { at: string; field: 'direction'; from: string; to: string }[];
}

const side = (d: EdgeDirection) =>
  `${d.client_ip} -> ${d.server_ip}:${d.server_port} (${d.rule}, ${d.confidence})`;
const sameSides = (d: { client_ip: string; server_ip: string; server_port: number }, o: HistoryOptions) =>
  d.client_ip === o.client && d.server_ip === o.server && d.server_port === o.port;

/**
 * One edge's days and corrections. The edge is found as asked or as it was before a correction (asking
 * for the direction someone remembers still finds an edge turned round since).
 */
export async function depsHistory(
  store: FlowStore,
  /** scope: a tenant's; an edge outside it has no history for this caller. */
  o: HistoryOptions & { scope?: Scope },
): Promise<EdgeHistory> {
  const edges = (await store.listDependencies()).filter(
    (e) => e.ip_protocol === o.protocol && edgeInScope(e, o.scope),
  );
  let edge = edges.find((e) => sameSides(e, o));
  let changes: DependencyChange[] = [];
  const allChanges = await store.listDependencyChanges(0, 8.64e15);
  if (!edge) {
    const ids = new Set(
      allChanges.filter((c) => sameSides(c.from, o) || sameSides(c.to, o)).map((c) => c.dependency_id),
    );
    edge = edges.find((e) => ids.has(e.id));
  }
  if (!edge) return { id: null, days: [], changes: [] };
  const id = edge.id;
  changes = allChanges.filter((c) => c.dependency_id === id);
  // One period per day: the store sums nothing, but reads only this edge's rows.
  const days: number[] = [];
  for (let d = Math.floor(o.from / DAY_MS) * DAY_MS; d < o.to; d += DAY_MS) days.push(d);
  const stats = (await store.dependencyTotals({ from: o.from, to: o.to, ids: [id], splits: days })).map(
    (t) => ({
      ...t,
      stat_date: t.period,
    }),
  );
  return {
    id,
    days: stats
      .sort((a, b) => a.stat_date - b.stat_date)
      .map((s) => ({
        day: new Date(s.stat_date).toISOString().slice(0, 10),
        bytes: s.bytes_total,
        packets: s.packets_total,
        flows: s.flow_count,
      })),
    changes: changes.map((c) => ({
      at: new Date(c.at).toISOString(),
      field: 'direction',
      from: side(c.from),
      to: side(c.to),
    })),
  };
}
