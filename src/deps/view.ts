/**
 * The map with names: host rows gain the labels of both sides, and the group and service views aggregate
 * host edges per day by the labels valid on that day (an address that changed hands counts for its old
 * group before the change and its new one after). An aggregated edge carries the sum of its host edges.
 */

import { readLabels } from '../core/label-file.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import type { DependencyEdge, DependencyTotalsRow, FlowStore, HostLabel } from '../storage/port.js';
import { parseEdgeFilter } from './filter.js';
import { LabelResolver } from './labels.js';
import {
  addRequest,
  chooseEdges,
  type DepsMapOptions,
  type DepsMapRow,
  edgeRow,
  MAP_COLUMNS,
  setResponse,
} from './map.js';

export type MapView = 'host' | 'group' | 'service';

export interface DepsViewOptions extends DepsMapOptions {
  view?: MapView;
  /** Edges with a side in this group (upstream: the client's, downstream: the server's). */
  group?: string;
  /** The role filter (src/deps/filter.ts). */
  filter?: string;
  /** Labels to use instead of reading them (tests, a diff reusing them). */
  labels?: readonly HostLabel[];
  /** The configuration's labels (config/labels.ts), read before the store's (core readLabels). */
  configLabels?: readonly HostLabel[];
  /** Every stored edge, instead of listing them again (a diff reuses them). */
  stored?: readonly DependencyEdge[];
  /**
   * Totals already read over a wider range, split at this range's (day-aligned) bounds and at
   * labelSplits: the periods inside the range are used (a diff reads both periods in one query).
   */
  totals?: readonly DependencyTotalsRow[];
  /** Also each row's bytes per period of `totals` (ViewResult.days); a diff gives one period per day. */
  history?: boolean;
}

export interface LabelledRow extends DepsMapRow {
  client_name: string | null;
  client_group: string | null;
  server_name: string | null;
  server_group: string | null;
}

export const VIEW_COLUMNS: readonly (keyof LabelledRow)[] = [
  ...MAP_COLUMNS,
  'client_name',
  'client_group',
  'server_name',
  'server_group',
];

const CONF_ORDER = { high: 2, medium: 1, low: 0 } as const;
const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** The instant an edge's labels are read at when no day says otherwise: its last moment in the range. */
const labelTime = (e: DependencyEdge, o: { to: number }) => Math.min(e.last_seen, o.to - 1);

function hostRow(e: DependencyEdge, r: LabelResolver, at: number): LabelledRow {
  const c = r.resolve(e.client_ip, at);
  const s = r.resolve(e.server_ip, at);
  return {
    ...edgeRow(e),
    service_name: r.service(e.server_ip, e.server_port, at) ?? e.service_name,
    client_name: c.name,
    client_group: c.group,
    server_name: s.name,
    server_group: s.group,
  };
}

/** The node of an aggregated view: the group, else the host itself (so no traffic is lost). */
function aggregateRow(h: LabelledRow, view: MapView): LabelledRow {
  const client = h.client_group ?? h.client_ip;
  const server =
    view === 'group'
      ? (h.server_group ?? h.server_ip)
      : `${h.service_name ?? h.server_port}/${PROTO[h.ip_protocol] ?? h.ip_protocol}`;
  const port = h.server_port;
  return {
    ...h,
    id: view === 'group' ? `${client} > ${server}:${port}/${h.ip_protocol}` : `${client} > ${server}`,
    client_ip: client,
    server_ip: server,
    client_name: h.client_group === null ? h.client_name : null,
    server_name: view === 'group' && h.server_group === null ? h.server_name : null,
    server_group: view === 'group' ? h.server_group : null,
    bytes_total: 0,
    request_bytes: 0,
    response_bytes: 0,
    packets_total: 0,
    flow_count: 0,
    sessions: 0,
    bytes_p95: null,
  };
}

function add(r: LabelledRow, s: DependencyTotalsRow): void {
  r.bytes_total += s.bytes_total;
  addRequest(r, s.request_bytes);
  r.packets_total += s.packets_total;
  r.flow_count += s.flow_count;
  r.sessions += s.sessions_total;
  if (s.bytes_p95 !== null) r.bytes_p95 = Math.max(r.bytes_p95 ?? 0, s.bytes_p95);
}

/** Folds a member edge into an aggregated one: widest seen, weakest confidence, idle only if all are. */
function fold(into: LabelledRow, h: LabelledRow): void {
  into.first_seen = Math.min(into.first_seen, h.first_seen);
  into.last_seen = Math.max(into.last_seen, h.last_seen);
  if (CONF_ORDER[h.confidence] < CONF_ORDER[into.confidence]) {
    into.confidence = h.confidence;
    into.direction_rule = h.direction_rule;
  }
  into.idle_since =
    into.idle_since === null || h.idle_since === null ? null : Math.max(into.idle_since, h.idle_since);
}

/**
 * Where labels change: every validity bound, moved to the next UTC day start (a day takes the labels
 * valid at its start, so the days between two splits all have the same labels).
 */
export function labelSplits(labels: readonly HostLabel[]): number[] {
  const out = new Set<number>();
  for (const l of labels)
    for (const b of [l.valid_from, l.valid_to]) if (b !== null) out.add(Math.ceil(b / DAY_MS) * DAY_MS);
  return [...out];
}

export interface ViewResult {
  rows: LabelledRow[];
  /** Host edge ids behind each row id (diff uses them to find direction changes). */
  members: Map<string, Set<string>>;
  /** With `history`: row id -> period start (a day, with per-day totals) -> bytes. */
  days?: Map<string, Map<number, number>>;
}

export async function depsView(store: FlowStore, o: DepsViewOptions): Promise<ViewResult> {
  const view = o.view ?? 'host';
  const predicate = parseEdgeFilter(o.filter ?? '');
  const labels = o.labels ?? (await readLabels(store, o.configLabels));
  const resolver = new LabelResolver(labels);
  // `service` selects by the name the rows show: a label's service name wins over the stored one.
  const serviceOf = (e: DependencyEdge) =>
    resolver.service(e.server_ip, e.server_port, labelTime(e, o)) ?? e.service_name;
  const edges = await chooseEdges(store, { ...o, serviceOf }, o.stored);
  // Summed in the store: per edge, and per period of constant labels for the aggregated views.
  const around = o.host !== undefined || o.service !== undefined;
  const totals = o.totals
    ? o.totals.filter((t) => t.period >= dayStart(o.from) && t.period < o.to)
    : await store.dependencyTotals({
        from: o.from,
        to: o.to,
        ids: around ? edges.map((e) => e.id) : undefined,
        splits: view === 'host' ? [] : labelSplits(labels),
      });
  const direction = o.direction ?? 'both';
  const inGroup = (h: LabelledRow) =>
    o.group === undefined ||
    (direction !== 'downstream' && h.client_group === o.group) ||
    (direction !== 'upstream' && h.server_group === o.group);
  const keep = (h: LabelledRow) => inGroup(h) && predicate(h);

  const rows = new Map<string, LabelledRow>();
  const members = new Map<string, Set<string>>();
  const days = o.history ? new Map<string, Map<number, number>>() : undefined;
  const edgeById = new Map<string, DependencyEdge>();
  const rowFor = (h: LabelledRow): LabelledRow => {
    const a = view === 'host' ? h : aggregateRow(h, view);
    const r = rows.get(a.id) ?? { ...a };
    if (rows.has(a.id)) fold(r, h);
    rows.set(a.id, r);
    const m = members.get(r.id) ?? new Set<string>();
    members.set(r.id, m);
    m.add(h.id);
    return r;
  };
  // Every chosen edge appears (with its labels at its last moment in the range) even without stats.
  for (const e of edges) {
    edgeById.set(e.id, e);
    const h = hostRow(e, resolver, labelTime(e, o));
    if (keep(h)) rowFor(h);
  }
  for (const s of totals) {
    const e = edgeById.get(s.dependency_id);
    if (!e) continue;
    // The period's labels: the group an address belonged to on those days gets those days' bytes.
    const h = view === 'host' ? hostRow(e, resolver, labelTime(e, o)) : hostRow(e, resolver, s.period);
    if (!keep(h)) continue;
    const r = rowFor(h);
    add(r, s);
    if (days) {
      const m = days.get(r.id) ?? new Map<number, number>();
      days.set(r.id, m);
      m.set(s.period, (m.get(s.period) ?? 0) + s.bytes_total);
    }
  }
  for (const r of rows.values()) setResponse(r);
  const out = [...rows.values()]
    .filter((r) => r.bytes_total >= (o.minBytes ?? 0))
    .sort((a, b) => b.bytes_total - a.bytes_total || (a.id < b.id ? -1 : 1));
  return { rows: out, members, days };
}
