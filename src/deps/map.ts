/**
 * The dependency map as the query layer answers it (the CLI's `flowlens deps` and, next, the HTTP API):
 * stored edges with their daily stats over a range, optionally around one host or one service, walked
 * upstream (what it depends on), downstream (what depends on it) or both, to a depth.
 */
import { parseIp } from '../core/ip.js';
import { DAY_MS, dayStart } from '../core/rules.js';
import { inNetworks, type Scope } from '../query/scope.js';
import type {
  Confidence,
  DependencyEdge,
  DependencyStatsRow,
  DirectionRule,
  FlowStore,
} from '../storage/port.js';

export type MapDirection = 'upstream' | 'downstream' | 'both';

export interface DepsMapOptions {
  from: number;
  to: number;
  /** Edges around this address (client or server). */
  host?: string;
  /** Edges of this service: its IANA/operator name, or a port number. */
  service?: string;
  /**
   * The service name an edge shows (depsView: a label's name for its server address:port, else the
   * stored name), so `service` selects what the reader sees. Default: the stored name.
   */
  serviceOf?: (e: DependencyEdge) => string | null;
  /** From the host/service: upstream = what it depends on, downstream = who depends on it. Default both. */
  direction?: MapDirection;
  /** Hops from the host/service. Default 1. */
  depth?: number;
  /** Leave out edges with fewer bytes over the range. Default 0. */
  minBytes?: number;
  /**
   * A tenant's scope: only edges whose client or server is inside one of its networks (an edge has no
   * exporter, so a scope's exporters do not apply), removed before the walk so it never leaves the scope.
   */
  scope?: Scope;
}

export interface DepsMapRow {
  id: string;
  client_ip: string;
  server_ip: string;
  server_port: number;
  ip_protocol: number;
  service_name: string | null;
  /** Both directions' bytes over the range (daily tier: request and response together). */
  bytes_total: number;
  /**
   * The two sides of bytes_total: what the clients sent (requests) and what the server sent back
   * (responses). Null when a day of the range was rolled up before the split was kept.
   */
  request_bytes: number | null;
  response_bytes: number | null;
  packets_total: number;
  flow_count: number;
  sessions: number;
  /** The highest daily p95 of 5-minute bytes over the range (null: no daily stats). */
  bytes_p95: number | null;
  first_seen: number;
  last_seen: number;
  direction_rule: DirectionRule;
  confidence: Confidence;
  idle_since: number | null;
}

export const MAP_COLUMNS: readonly (keyof DepsMapRow)[] = [
  'client_ip',
  'server_ip',
  'server_port',
  'ip_protocol',
  'service_name',
  'bytes_total',
  'request_bytes',
  'response_bytes',
  'packets_total',
  'flow_count',
  'sessions',
  'bytes_p95',
  'first_seen',
  'last_seen',
  'direction_rule',
  'confidence',
  'idle_since',
];

function matchesService(e: DependencyEdge, service: string, o: DepsMapOptions): boolean {
  if (/^\d+$/.test(service)) return e.server_port === Number(service);
  return (o.serviceOf ? o.serviceOf(e) : e.service_name) === service;
}

/** Edges reachable from the seeds within `depth` hops, following the direction asked. */
function walk(
  edges: readonly DependencyEdge[],
  seeds: readonly string[],
  direction: MapDirection,
  depth: number,
): Set<DependencyEdge> {
  const out = new Set<DependencyEdge>();
  const expand = (up: boolean) => {
    let frontier = new Set(seeds);
    const seen = new Set(seeds);
    for (let d = 0; d < depth && frontier.size > 0; d++) {
      const next = new Set<string>();
      for (const e of edges) {
        const [from, to] = up ? [e.client_ip, e.server_ip] : [e.server_ip, e.client_ip];
        if (!frontier.has(from)) continue;
        out.add(e);
        if (!seen.has(to)) {
          seen.add(to);
          next.add(to);
        }
      }
      frontier = next;
    }
  };
  if (direction !== 'downstream') expand(true);
  if (direction !== 'upstream') expand(false);
  return out;
}

/** Whether a tenant's scope sees an edge: its client or server inside one of the scope's networks. */
export const edgeInScope = (e: { client_ip: string; server_ip: string }, scope: Scope | undefined) =>
  !scope || inNetworks(e.client_ip, scope.networks) || inNetworks(e.server_ip, scope.networks);

/** The edges the options choose (around a host/service, to a depth) and every daily stats row of the range. */
export async function mapInputs(
  store: FlowStore,
  o: DepsMapOptions,
): Promise<{ edges: DependencyEdge[]; stats: DependencyStatsRow[] }> {
  const edges = await chooseEdges(store, o);
  // Every day overlapping the range (a range inside one day still shows that day's stats).
  return { edges, stats: await store.dependencyStats(dayStart(o.from), o.to) };
}

/** The edges the options choose: all seen in the range, or those around a host/service to a depth. */
export async function chooseEdges(
  store: FlowStore,
  o: DepsMapOptions,
  /** Every stored edge, when the caller has them already (a diff reads them once for both periods). */
  stored?: readonly DependencyEdge[],
): Promise<DependencyEdge[]> {
  // Out-of-scope edges go before any walk, so a walk never leaves the tenant's scope.
  const inRange = (e: DependencyEdge) =>
    e.last_seen > o.from && e.first_seen < o.to && edgeInScope(e, o.scope);
  const direction = o.direction ?? 'both';
  const depth = o.depth ?? 1;
  if (o.host !== undefined && stored === undefined)
    return aroundHost(store, o.host, { inRange, direction, depth });
  const all = (stored ?? (await store.listDependencies())).filter(inRange);
  let chosen: Iterable<DependencyEdge> = all;
  if (o.host !== undefined) {
    chosen = walk(all, [o.host], direction, depth);
  } else if (o.service !== undefined) {
    const svc = o.service;
    const seeds = all.filter((e) => matchesService(e, svc, o));
    // The service's own edges, then onwards from its servers (upstream) or its clients (downstream).
    const set = new Set(seeds);
    if (depth > 1) {
      const servers = [...new Set(seeds.map((e) => e.server_ip))];
      const clients = [...new Set(seeds.map((e) => e.client_ip))];
      if (direction !== 'downstream') for (const e of walk(all, servers, 'upstream', depth - 1)) set.add(e);
      if (direction !== 'upstream') for (const e of walk(all, clients, 'downstream', depth - 1)) set.add(e);
    }
    chosen = set;
  }
  return [...chosen];
}

/**
 * The walk around one host reading only the edges it needs: level by level, the edges touching every
 * address reached so far (the walk at level k only follows edges from addresses reached by level k - 1, so
 * the partial list walks exactly as the whole one would).
 */
async function aroundHost(
  store: FlowStore,
  host: string,
  o: { inRange: (e: DependencyEdge) => boolean; direction: MapDirection; depth: number },
): Promise<DependencyEdge[]> {
  if (!parseIp(host)) return [];
  const fetched = new Map<string, DependencyEdge>();
  const asked = new Set<string>();
  let ask = [host];
  for (let level = 1; ; level++) {
    for (const e of await store.listDependencies(ask)) if (o.inRange(e)) fetched.set(e.id, e);
    for (const a of ask) asked.add(a);
    if (level >= o.depth) break;
    const reached = walk([...fetched.values()], [host], o.direction, level);
    ask = [...new Set([...reached].flatMap((e) => [e.client_ip, e.server_ip]))].filter((a) => !asked.has(a));
    if (ask.length === 0) break;
  }
  return [...walk([...fetched.values()], [host], o.direction, o.depth)];
}

/** An edge's map row before its daily stats are added (traffic zero). */
export const edgeRow = (e: DependencyEdge): DepsMapRow => ({
  id: e.id,
  client_ip: e.client_ip,
  server_ip: e.server_ip,
  server_port: e.server_port,
  ip_protocol: e.ip_protocol,
  service_name: e.service_name,
  bytes_total: 0,
  request_bytes: 0,
  response_bytes: 0,
  packets_total: 0,
  flow_count: 0,
  sessions: 0,
  bytes_p95: null,
  first_seen: e.first_seen,
  last_seen: e.last_seen,
  direction_rule: e.direction_rule,
  confidence: e.confidence ?? 'low',
  idle_since: e.idle_since ?? null,
});

/** Adds a day's (or period's) request bytes; one unknown (null) makes the sum unknown. */
export function addRequest(r: DepsMapRow, request: number | null): void {
  r.request_bytes = r.request_bytes === null || request === null ? null : r.request_bytes + request;
}

/** The response side once every day is added: the rest of bytes_total. */
export function setResponse(r: DepsMapRow): void {
  r.response_bytes = r.request_bytes === null ? null : r.bytes_total - r.request_bytes;
}

/** Whether a daily stats row counts for the range (every day overlapping it). */
export const dayInRange = (stat_date: number, o: { from: number; to: number }) =>
  stat_date + DAY_MS > o.from && stat_date < o.to;

export async function depsMap(store: FlowStore, o: DepsMapOptions): Promise<DepsMapRow[]> {
  const { edges: chosen, stats } = await mapInputs(store, o);
  const byId = new Map<string, DepsMapRow>();
  for (const e of chosen) byId.set(e.id, edgeRow(e));
  for (const s of stats) {
    const r = byId.get(s.dependency_id);
    if (!r || !dayInRange(s.stat_date, o)) continue;
    r.bytes_total += s.bytes_total;
    addRequest(r, s.request_bytes);
    r.packets_total += s.packets_total;
    r.flow_count += s.flow_count;
    r.sessions += s.sessions_total;
    if (s.bytes_p95 !== null) r.bytes_p95 = Math.max(r.bytes_p95 ?? 0, s.bytes_p95);
  }
  for (const r of byId.values()) setResponse(r);
  return [...byId.values()]
    .filter((r) => r.bytes_total >= (o.minBytes ?? 0))
    .sort((a, b) => b.bytes_total - a.bytes_total || (a.id < b.id ? -1 : 1));
}

const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz DOT: hosts as nodes, one arrow client -> server per edge, labelled service and traffic. */
export function toDot(rows: readonly DepsMapRow[]): string {
  const hosts = [...new Set(rows.flatMap((r) => [r.client_ip, r.server_ip]))].sort();
  // Labelled rows (view.ts) name their hosts: the node shows the name above the address.
  const names = new Map<string, string>();
  for (const r of rows as readonly (DepsMapRow & {
    client_name?: string | null;
    server_name?: string | null;
  })[]) {
    if (r.client_name) names.set(r.client_ip, r.client_name);
    if (r.server_name) names.set(r.server_ip, r.server_name);
  }
  const node = (h: string) =>
    names.has(h) ? `  ${quote(h)} [label=${quote(`${names.get(h)}\n${h}`)}];` : `  ${quote(h)};`;
  const lines = [
    'digraph flowlens {',
    '  rankdir=LR;',
    '  node [shape=box, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    ...hosts.map(node),
    ...rows.map((r) => {
      const svc = `${r.service_name ?? r.server_port}/${PROTO[r.ip_protocol] ?? r.ip_protocol}`;
      const style = r.confidence === 'low' ? ', style=dashed' : r.idle_since !== null ? ', style=dotted' : '';
      return `  ${quote(r.client_ip)} -> ${quote(r.server_ip)} [label=${quote(`${svc}\n${humanBytes(r.bytes_total)}`)}${style}];`;
    }),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
