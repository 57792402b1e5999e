/**
 * Discovery against a store: aggregate rows of a span in, edges merged into `dependencies` (corrections
 * kept in `dependency_changes`, stored duplicates removed), the span's days rolled up into
 * `dependency_stats`. Idempotent: the same aggregates give the same edges, ids and stats, so a run cut
 * short or repeated (late windows, a restart) is simply run again.
 */
import { DAY_MS, dayStart } from '../core/rules.js';
import type { DependencyChange, DependencyEdge, FlowStore } from '../storage/port.js';
import { type InferOptions, type InferReport, inferEdges } from './infer.js';
import { type DirectionCorrection, mergeEdges } from './merge.js';
import type { ConversationRow } from './types.js';

export interface DiscoverOptions {
  infer?: InferOptions;
  /**
   * Each pass infers over this much of the aggregate tier ending at the pass's end, so fan-in and the
   * scanner rule see enough peers (a 5-minute window alone has too few). Default 24 h.
   */
  windowMs?: number;
  signal?: AbortSignal;
}

export interface DiscoverReport {
  passes: number;
  /** Edges written (new or changed). */
  edges: number;
  newEdges: number;
  corrections: number;
  removed: number;
  rolledDays: number;
  dailyRows: number;
  /** Conversations decided by each rule, summed over the passes. */
  byRule: InferReport['byRule'];
  unanswered: number;
  scanners: string[];
}

export const DEFAULT_DISCOVERY_WINDOW_MS = DAY_MS;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** An aggregate_rows result row as discovery reads it (stores return numbers, maybe numeric strings). */
export function conversationRow(r: Record<string, string | number | null>): ConversationRow {
  return {
    window_start: num(r.window_start),
    src_ip: String(r.src_ip),
    dst_ip: String(r.dst_ip),
    src_port: num(r.src_port),
    dst_port: num(r.dst_port),
    ip_protocol: num(r.ip_protocol),
    flow_count: num(r.flow_count),
    bytes_total: num(r.bytes_total),
    packets_total: num(r.packets_total),
    tcp_flags_observed: num(r.tcp_flags_observed),
    new_sessions: num(r.new_sessions),
    exporter_ip: r.exporter_ip === null ? undefined : String(r.exporter_ip),
  };
}

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
    removed: 0,
    rolledDays: 0,
    dailyRows: 0,
    byRule: { biflow: 0, tcp_flags: 0, service_port: 0, fan_in: 0, lower_port: 0, given: 0 },
    unanswered: 0,
    scanners: [],
  };
}

/**
 * A pass reads the aggregate tier a quarter of an hour at a time: the embedded engine answers in one text,
 * and a busy day's answer (about a million aggregate rows) is longer than a JavaScript string may be, so one
 * query for the whole window failed; each part's rows are converted and dropped before the next is read.
 * Only the columns discovery uses, unsorted (FlowStore.conversationRows): the generic aggregate_rows
 * query cost about five times as much CPU, most of discovery's time.
 */
export const READ_CHUNK_MS = 15 * 60_000;

export async function readConversationRows(
  store: FlowStore,
  from: number,
  to: number,
): Promise<ConversationRow[]> {
  const out: ConversationRow[] = [];
  for (let t = from; t < to; t += READ_CHUNK_MS) {
    const rows = await store.conversationRows(t, Math.min(to, t + READ_CHUNK_MS));
    for (const row of rows) out.push(conversationRow(row));
  }
  return out;
}

/** One pass: infer over [from, to) and merge into the store. */
async function pass(
  store: FlowStore,
  from: number,
  to: number,
  options: DiscoverOptions,
  rep: DiscoverReport,
) {
  const { edges, report } = inferEdges(await readConversationRows(store, from, to), options.infer);
  const stored = await store.listDependencies();
  const known = new Set(stored.map((e) => e.id));
  const merged = mergeEdges(stored, edges);
  // Corrections first: they are keyed, so a run that dies before the upsert records them once on re-run
  // (after the upsert the edge already points the new way and the correction would not be found again).
  await store.recordDependencyChanges(merged.corrections.map(toChange));
  // Duplicates out before the upsert: PostgreSQL keeps one edge per (client, server, port, protocol).
  await store.removeDependencies(merged.redundant);
  await store.upsertDependencies(merged.edges);
  rep.passes++;
  rep.edges += merged.edges.length;
  rep.newEdges += merged.edges.filter((e) => !known.has(e.id)).length;
  rep.corrections += merged.corrections.length;
  rep.removed += merged.redundant.length;
  rep.unanswered += report.unanswered;
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
export async function markIdle(store: FlowStore, now: number, idleAfterMs: number): Promise<number> {
  const idle: DependencyEdge[] = (await store.listDependencies())
    .filter((e) => (e.idle_since ?? null) === null && e.last_seen < now - idleAfterMs)
    .map((e) => ({ ...e, idle_since: e.last_seen }));
  await store.upsertDependencies(idle);
  return idle.length;
}
