/**
 * Discovery against a store: aggregate rows of a span in, edges merged into `dependencies` (corrections
 * kept in `dependency_changes`), the span's days rolled up into
 * `dependency_stats`. Idempotent: the same aggregates give the same edges, ids and stats, so a run cut
 * short or repeated (late windows, a restart) is simply run again.
 */
import { DAY_MS, dayStart } from '../core/rules.js';
import type { ConversationTotalsRow, DependencyChange, FlowStore, HostPair } from '../storage/port.js';
import { type InferOptions, type InferReport, inferEdges } from './infer.js';
import { inferOffThread } from './infer-thread.js';
import { type DirectionCorrection, mergeEdges } from './merge.js';
import type { ConversationRow, DiscoveredEdge } from './types.js';

export interface DiscoverOptions {
  infer?: InferOptions;
  /**
   * Each pass infers over this much of the aggregate tier ending at the pass's end, so fan-in and the
   * scanner rule see enough peers (a 5-minute window alone has too few). Default 24 h.
   */
  windowMs?: number;
  /**
   * Conversations (endpoint pairs) a pass reads at most: the heaviest by bytes; the rest are counted in
   * the report, not inferred. Bounds the pass's memory (about 3 kB of heap per conversation read).
   * Default: no bound (config deps.maxConversations sets one for serve).
   */
  maxConversations?: number;
  signal?: AbortSignal;
}

export interface DiscoverReport {
  passes: number;
  /** Edges written (new or changed). */
  edges: number;
  newEdges: number;
  corrections: number;
  rolledDays: number;
  dailyRows: number;
  /** Conversations decided by each rule, summed over the passes. */
  byRule: InferReport['byRule'];
  unanswered: number;
  /** Conversations between two ephemeral ports with no evidence of a server: no edge (InferReport). */
  undecided: number;
  scanners: string[];
  /** Conversations over maxConversations left out of the passes (the lightest), and their bytes. */
  leftOut: number;
  leftOutBytes: number;
}

export const DEFAULT_DISCOVERY_WINDOW_MS = DAY_MS;

/** A conversation's direction summed over the span, as discovery reads it (window_start: the first window). */
export function conversationRow(t: ConversationTotalsRow): ConversationRow {
  return {
    window_start: t.first_window,
    window_last: t.last_window,
    syn_no_ack_rows: t.syn_no_ack_rows,
    src_ip: t.src_ip,
    dst_ip: t.dst_ip,
    src_port: t.src_port,
    dst_port: t.dst_port,
    ip_protocol: t.ip_protocol,
    flow_count: t.flow_count,
    bytes_total: t.bytes_total,
    packets_total: t.packets_total,
    tcp_flags_observed: t.tcp_flags_observed,
    new_sessions: t.new_sessions,
    ...(hasBiflow(t)
      ? {
          biflow: {
            src_initiated: t.src_initiated,
            dst_initiated: t.dst_initiated,
            reverse_bytes: t.reverse_bytes,
            reverse_packets: t.reverse_packets,
            reverse_flows: t.reverse_flows,
            reverse_tcp_flags: t.reverse_tcp_flags,
            reverse_syn_no_ack_rows: t.reverse_syn_no_ack_rows,
          },
        }
      : {}),
  };
}

/** Rows from which a pass's inference runs off the main thread: ~80 ms of it here. */
const OFF_THREAD_ROWS = 10_000;

/** Converted one by one as inference reads them: no second array of a pass's rows. */
export function* mapRows(rows: readonly ConversationTotalsRow[]): Iterable<ConversationRow> {
  for (const r of rows) yield conversationRow(r);
}

const hasBiflow = (t: ConversationTotalsRow) =>
  t.src_initiated + t.dst_initiated + t.reverse_bytes + t.reverse_packets + t.reverse_tcp_flags > 0;

export const toChange = (c: DirectionCorrection): DependencyChange => ({
  dependency_id: c.id,
  at: c.at,
  from: c.from,
  to: c.to,
});

function emptyReport(): DiscoverReport {
  return {
    passes: 0,
    edges: 0,
    newEdges: 0,
    corrections: 0,
    rolledDays: 0,
    dailyRows: 0,
    byRule: { biflow: 0, tcp_flags: 0, service_port: 0, fan_in: 0, lower_port: 0, given: 0 },
    unanswered: 0,
    undecided: 0,
    scanners: [],
    leftOut: 0,
    leftOutBytes: 0,
  };
}

/** One pass: infer over [from, to) and merge into the store. */
async function pass(
  store: FlowStore,
  from: number,
  to: number,
  options: DiscoverOptions,
  rep: DiscoverReport,
) {
  // Summed across windows by the store: a day of a busy network is millions of window rows, far fewer
  // conversations (each window's rows once read whole took serve past its memory and string limits).
  // A high-cardinality day is more conversations than the heap holds: maxConversations keeps the heaviest.
  const totals = await store.conversationTotals(from, to, { limit: options.maxConversations });
  rep.leftOut += totals.leftOut;
  rep.leftOutBytes += totals.leftOutBytes;
  // Large passes on a worker thread (infer-thread.ts); small ones here, where a worker would cost more to
  // start (tens of ms; seconds under the test hooks) than they take.
  const { edges, report } =
    totals.rows.length >= OFF_THREAD_ROWS
      ? await inferOffThread(totals.rows, options.infer ?? {})
      : inferEdges(mapRows(totals.rows), options.infer);
  // Only the stored edges these conversations can touch (mergeEdges matches by protocol and host pair).
  const stored = await store.dependenciesBetween(hostPairs(edges));
  const known = new Set(stored.map((e) => e.id));
  const merged = mergeEdges(stored, edges);
  // Corrections first: they are keyed, so a run that dies before the upsert records them once on re-run
  // (after the upsert the edge already points the new way and the correction would not be found again).
  await store.recordDependencyChanges(merged.corrections.map(toChange));
  await store.upsertDependencies(merged.edges);
  rep.passes++;
  rep.edges += merged.edges.length;
  rep.newEdges += merged.edges.filter((e) => !known.has(e.id)).length;
  rep.corrections += merged.corrections.length;
  rep.unanswered += report.unanswered;
  rep.undecided += report.undecided;
  for (const [k, v] of Object.entries(report.byRule)) rep.byRule[k as keyof typeof rep.byRule] += v;
  rep.scanners = [...new Set([...rep.scanners, ...report.scanners])].sort();
}

/**
 * Discovers the edges of the aggregate windows in [from, to): passes of `windowMs` ending at to, then
 * every windowMs before it (a long catch-up is several passes, each bounded in memory), then rolls up
 * every day the passes read, so new edges get their daily stats at once.
 */
export async function discoverRange(
  store: FlowStore,
  from: number,
  to: number,
  options: DiscoverOptions = {},
): Promise<DiscoverReport> {
  const rep = emptyReport();
  if (!(to > from)) return rep;
  const windowMs = options.windowMs ?? DEFAULT_DISCOVERY_WINDOW_MS;
  const days = new Set<number>();
  for (let end = to; end > from && !options.signal?.aborted; end -= windowMs) {
    const start = end - windowMs;
    await pass(store, start, end, options, rep);
    for (let d = dayStart(start); d < end; d += DAY_MS) days.add(d);
  }
  for (const d of [...days].sort((a, b) => a - b)) {
    if (options.signal?.aborted) break;
    rep.dailyRows += (await store.rollupDaily(d)).rows;
    rep.rolledDays++;
  }
  return rep;
}

/**
 * Marks edges not seen for `idleAfterMs` before `now` as idle since their last_seen (kept, not deleted:
 * the daily tier is their history). `now` is data time (the aggregation watermark), so an import of old
 * captures does not mark everything idle. Returns how many edges became idle.
 */
export function markIdle(store: FlowStore, now: number, idleAfterMs: number): Promise<number> {
  return store.markIdleDependencies(now - idleAfterMs);
}

/** Each protocol and host pair of `edges` once. */
function hostPairs(edges: readonly DiscoveredEdge[]): HostPair[] {
  const pairs = new Map<string, HostPair>();
  for (const e of edges) {
    const [a, b] = e.client_ip < e.server_ip ? [e.client_ip, e.server_ip] : [e.server_ip, e.client_ip];
    pairs.set(`${e.ip_protocol}|${a}|${b}`, { ip_protocol: e.ip_protocol, a, b });
  }
  return [...pairs.values()];
}
