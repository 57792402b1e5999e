/** conversationTotals on the embedded store: one GROUP BY over flow_aggregates, read in parts (port.ts). */
import { TCP_ACK, TCP_SYN } from '../../core/rules.js';
import type { ConversationTotals, ConversationTotalsOptions, ConversationTotalsRow } from '../port.js';
import { JOB_SETTINGS } from './aggregate.js';
import { type Db, ipOut, num } from './db.js';

/**
 * Groups per part. The engine answers in one text and a JavaScript string holds at most ~512 M characters
 * (a grouped row is ~250): a busy day is read as several disjoint shares of the groups (by a hash of the
 * key), each converted before the next is read. Smaller parts also keep each parse on serve's main thread
 * (which receives the datagrams) short: 200 k rows parse in about 0.2 s.
 */
const ROWS_PER_PART = 200_000;

const KEY = 'src_ip, dst_ip, src_port, dst_port, ip_protocol';
/** The same for both directions of an endpoint pair (the sum commutes): what `limit` counts and ranks. */
const PAIR = 'cityHash64(ip_protocol, cityHash64(src_ip, src_port) + cityHash64(dst_ip, dst_port))';
const SPAN = `window_start >= toDateTime({f:Int64}, 'UTC') AND window_start < toDateTime({t:Int64}, 'UTC')`;
const PAIR_BYTES = `SELECT ${PAIR} AS pair, sum(bytes_total) AS b FROM flow_aggregates WHERE ${SPAN} GROUP BY pair`;

/** The limit-th heaviest pair (ranked by bytes, then pair hash, both descending), with every pair's count. */
interface Threshold {
  b: string;
  pair: string;
  n: number;
  total: number;
}

export async function conversationTotals(
  db: Db,
  from: number,
  to: number,
  options: ConversationTotalsOptions & {
    /** Tests: a small value reads in many parts. */
    rowsPerPart?: number;
  } = {},
): Promise<ConversationTotals> {
  const rowsPerPart = options.rowsPerPart ?? ROWS_PER_PART;
  const range = { f: Math.ceil(from / 1000), t: Math.ceil(to / 1000) };
  // The groups, estimated (uniq: HyperLogLog, one light scan): rows are far more (one per window and
  // exporter), so counting them would read a day of 90 k conversations in 28 parts, 28 scans.
  const [est] = await db.rows<{ n: number | string; pairs: number | string }>(
    `SELECT uniq(${KEY}) AS n, uniq(${PAIR}) AS pairs FROM flow_aggregates WHERE ${SPAN} SETTINGS ${JOB_SETTINGS}`,
    range,
  );
  const limit = options.limit;
  const cut = limit !== undefined && num(est.pairs) > limit ? await threshold(db, range, limit) : undefined;
  const parts = Math.max(1, Math.ceil((cut ? 2 * (limit ?? 0) : num(est.n)) / rowsPerPart));
  const out: ConversationTotalsRow[] = [];
  let keptBytes = 0;
  for (let part = 0; part < parts; part++) {
    const share = parts > 1 ? ` AND ${PAIR} % {parts:UInt64} = {part:UInt64}` : '';
    // Only the pairs at or above the threshold (the same order as threshold() ranks them).
    const heaviest = cut
      ? ` AND ${PAIR} IN (SELECT pair FROM (${PAIR_BYTES}) WHERE (b, pair) >= ({tb:UInt64}, {tp:UInt64}))`
      : '';
    const rows = await db.rows<Record<string, unknown>>(
      `SELECT ${KEY},
         toInt64(toUnixTimestamp(min(window_start))) * 1000 AS fw,
         toInt64(toUnixTimestamp(max(window_start))) * 1000 AS lw,
         sum(flow_count) AS fc, sum(bytes_total) AS b, sum(packets_total) AS pk, sum(new_sessions) AS ns,
         groupBitOr(tcp_flags_observed) AS fl,
         countIf(bitAnd(tcp_flags_observed, {mask:UInt16}) = {syn:UInt16}) AS sna,
         sum(src_initiated) AS si, sum(dst_initiated) AS di, sum(reverse_bytes) AS rb,
         sum(reverse_packets) AS rp, sum(reverse_flows) AS rf,
         -- reverse flags count only on rows with reverse traffic (as deps/conversations.ts reads a row)
         groupBitOr(if(reverse_bytes > 0 OR reverse_packets > 0, reverse_tcp_flags, 0)) AS rfl,
         countIf((reverse_bytes > 0 OR reverse_packets > 0)
           AND bitAnd(reverse_tcp_flags, {mask:UInt16}) = {syn:UInt16}) AS rsna
       FROM flow_aggregates
       WHERE ${SPAN}${share}${heaviest}
       GROUP BY ${KEY}
       SETTINGS ${JOB_SETTINGS}`,
      {
        ...range,
        mask: TCP_SYN | TCP_ACK,
        syn: TCP_SYN,
        parts,
        part,
        ...(cut ? { tb: cut.b, tp: cut.pair } : {}),
      },
    );
    for (const r of rows) {
      const row = totalsRow(r);
      keptBytes += row.bytes_total;
      out.push(row);
    }
  }
  if (!cut) return { rows: out, leftOut: 0, leftOutBytes: 0 };
  return { rows: out, leftOut: cut.n - (limit ?? 0), leftOutBytes: Math.max(0, cut.total - keptBytes) };
}

/**
 * The pair ranked limit-th (undefined when there are not more than limit: the estimate was high), and
 * how many pairs and bytes there are in all (window functions over every pair, before the LIMIT).
 */
async function threshold(
  db: Db,
  range: { f: number; t: number },
  limit: number,
): Promise<Threshold | undefined> {
  const [r] = await db.rows<Record<string, unknown>>(
    `SELECT toString(b) AS tb, toString(pair) AS tp, count() OVER () AS n, sum(b) OVER () AS total
     FROM (${PAIR_BYTES})
     ORDER BY b DESC, pair DESC LIMIT 1 OFFSET {skip:UInt64}
     SETTINGS ${JOB_SETTINGS}`,
    { ...range, skip: limit - 1 },
  );
  if (!r || num(r.n) <= limit) return undefined;
  return { b: String(r.tb), pair: String(r.tp), n: num(r.n), total: num(r.total) };
}

function totalsRow(r: Record<string, unknown>): ConversationTotalsRow {
  return {
    src_ip: ipOut(r.src_ip) as string,
    dst_ip: ipOut(r.dst_ip) as string,
    src_port: num(r.src_port),
    dst_port: num(r.dst_port),
    ip_protocol: num(r.ip_protocol),
    first_window: num(r.fw),
    last_window: num(r.lw),
    flow_count: num(r.fc),
    bytes_total: num(r.b),
    packets_total: num(r.pk),
    new_sessions: num(r.ns),
    tcp_flags_observed: num(r.fl),
    syn_no_ack_rows: num(r.sna),
    src_initiated: num(r.si),
    dst_initiated: num(r.di),
    reverse_bytes: num(r.rb),
    reverse_packets: num(r.rp),
    reverse_flows: num(r.rf),
    reverse_tcp_flags: num(r.rfl),
    reverse_syn_no_ack_rows: num(r.rsna),
  };
}
