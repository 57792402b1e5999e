/**
 * The conformance suite's ground truth: aggregation, daily rollup and top-N computed in plain TypeScript
 * straight from the flows, following the rules as written in src/jobs/README.md (not the SQL of any
 * backend). Percentiles here materialize the whole 288-window day, zeros included, and index it, which is
 * a different computation from the backends' "count the idle windows" shortcut.
 */
import { FIELD_CATALOG } from '../../core/columns.js';
import { parseIp, toIpv6Bytes } from '../../core/ip.js';
import type { FlowRecord } from '../../core/record.js';
import {
  canonicalIp,
  collapsePorts,
  DAY_MS,
  type Ipv6Range,
  inRanges,
  trafficDirection,
  WINDOW_MS,
} from '../../core/rules.js';
import { type ExtGroupKey, type GroupBy, type GroupField, isExtKey, type Metric } from '../../query/ast.js';
import type { DependencyEdge, DependencyStatsRow } from '../port.js';
import { type RowBiflow, rowBiflow } from './reference-biflow.js';

export type Row = Record<string, string | number | null>;

/** Canonical text of an address as backends print it (IPv4 dotted, IPv6 RFC 5952), null as '::'. */
function keyIp(ip: string | null): string {
  return canonicalIp(ip) ?? '::';
}

const IP_FIELDS = new Set(['src_ip', 'dst_ip', 'exporter_ip', 'next_hop']);

/** An aggregate row; its biflow columns (RowBiflow) are computed in reference-biflow.ts. */
export interface RefAggregate extends RowBiflow {
  window_start: number;
  window_end: number;
  exporter_ip: string;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  ip_protocol: number;
  flow_count: number;
  bytes_total: number;
  packets_total: number;
  bytes_sampled: number;
  packets_sampled: number;
  sampling_rate: number;
  tcp_flags_observed: number;
  new_sessions: number;
  closed_sessions: number;
  min_duration_ms: number;
  max_duration_ms: number;
  avg_duration_ms: number;
  protocol_sources: Record<string, number>;
  interfaces: { input: number[]; output: number[] };
  is_internal: number;
  traffic_direction: string;
}

export function referenceAggregates(
  flows: readonly FlowRecord[],
  internal: readonly Ipv6Range[],
): RefAggregate[] {
  const groups = new Map<string, { rows: FlowRecord[]; key: RefAggregate }>();
  for (const f of flows) {
    const ws = Math.floor(f.flow_start / WINDOW_MS) * WINDOW_MS;
    const [sp, dp] = collapsePorts(f.src_port, f.dst_port, f.ip_protocol);
    const src = keyIp(f.src_ip);
    const dst = keyIp(f.dst_ip);
    const proto = f.ip_protocol ?? 0;
    const k = `${ws}|${keyIp(f.exporter_ip)}|${src}|${dst}|${sp}|${dp}|${proto}`;
    let g = groups.get(k);
    if (!g) {
      const si = inRanges(src, internal);
      const di = inRanges(dst, internal);
      g = {
        rows: [],
        key: {
          window_start: ws,
          window_end: ws + WINDOW_MS,
          exporter_ip: keyIp(f.exporter_ip),
          src_ip: src,
          dst_ip: dst,
          src_port: sp,
          dst_port: dp,
          ip_protocol: proto,
          is_internal: si && di ? 1 : 0,
          traffic_direction: trafficDirection(si, di),
        } as RefAggregate,
      };
      groups.set(k, g);
    }
    g.rows.push(f);
  }
  const out: RefAggregate[] = [];
  for (const { rows, key } of groups.values()) {
    let bytes = 0;
    let packets = 0;
    let bs = 0;
    let ps = 0;
    let rate = 0;
    let flags = 0;
    let syn = 0;
    let fin = 0;
    let minD = Number.POSITIVE_INFINITY;
    let maxD = 0;
    let sumD = 0;
    const sources: Record<string, number> = {};
    const ins = new Set<number>();
    const outs = new Set<number>();
    for (const f of rows) {
      const r = Math.max(f.sampling_rate, 1);
      bytes += Number(f.bytes_total) * r;
      packets += Number(f.packets_total) * r;
      bs += Number(f.bytes_total);
      ps += Number(f.packets_total);
      rate = Math.max(rate, r);
      const fl = f.tcp_flags ?? 0;
      flags |= fl;
      if (key.ip_protocol === 6 && fl & 0x02) syn++;
      if (key.ip_protocol === 6 && fl & 0x05) fin++;
      const d = Math.max(f.flow_end - f.flow_start, 0);
      minD = Math.min(minD, d);
      maxD = Math.max(maxD, d);
      sumD += d;
      sources[f.protocol_type] = (sources[f.protocol_type] ?? 0) + 1;
      if (f.input_interface !== null) ins.add(f.input_interface);
      if (f.output_interface !== null) outs.add(f.output_interface);
    }
    out.push({
      ...key,
      flow_count: rows.length,
      bytes_total: bytes,
      packets_total: packets,
      bytes_sampled: bs,
      packets_sampled: ps,
      sampling_rate: rate,
      tcp_flags_observed: flags,
      new_sessions: syn,
      closed_sessions: fin,
      min_duration_ms: minD,
      max_duration_ms: maxD,
      avg_duration_ms: Math.floor(sumD / rows.length),
      protocol_sources: sources,
      interfaces: { input: [...ins].sort((a, b) => a - b), output: [...outs].sort((a, b) => a - b) },
      ...rowBiflow(rows),
    });
  }
  return out;
}

/** Sort key of an aggregate row independent of any backend's address ordering. */
export function aggKey(r: Record<string, unknown>): string {
  return [r.window_start, r.exporter_ip, r.src_ip, r.dst_ip, r.src_port, r.dst_port, r.ip_protocol].join('|');
}

const sameIp = (a: string, b: string) => {
  const x = parseIp(a);
  const y = parseIp(b);
  return !!x && !!y && Buffer.from(toIpv6Bytes(x)).equals(Buffer.from(toIpv6Bytes(y)));
};

/** Daily stats of the day starting at `day` for every edge with traffic (see src/jobs/README.md). */
export function referenceRollup(
  aggs: readonly RefAggregate[],
  edges: readonly DependencyEdge[],
  day: number,
): DependencyStatsRow[] {
  const out: DependencyStatsRow[] = [];
  for (const e of edges) {
    const perWindow = new Map<number, { b: number; p: number; f: number; s: number }>();
    for (const a of aggs) {
      if (a.window_start < day || a.window_start >= day + DAY_MS || a.ip_protocol !== e.ip_protocol) continue;
      const fwd =
        sameIp(a.src_ip, e.client_ip) && sameIp(a.dst_ip, e.server_ip) && a.dst_port === e.server_port;
      const rev =
        sameIp(a.src_ip, e.server_ip) && a.src_port === e.server_port && sameIp(a.dst_ip, e.client_ip);
      // A row matching both directions (client == server) counts once per direction, like the SQL.
      for (const [hit, isFwd] of [
        [fwd, true],
        [rev, false],
      ]) {
        if (!hit) continue;
        const w = perWindow.get(a.window_start) ?? { b: 0, p: 0, f: 0, s: 0 };
        // A biflow row carries the other direction's traffic too (reverse_*): the edge's either way.
        w.b += a.bytes_total + a.reverse_bytes;
        w.p += a.packets_total + a.reverse_packets;
        w.f += a.flow_count + a.reverse_flows;
        if (isFwd) w.s += a.new_sessions;
        perWindow.set(a.window_start, w);
      }
    }
    if (perWindow.size === 0) continue;
    // The whole day, 288 values, idle windows as 0; nearest rank: v[ceil(k/100 * 288)] (1-based).
    const all = new Array<number>(DAY_MS / WINDOW_MS).fill(0);
    const perHour = new Array<number>(24).fill(0);
    let bytes = 0;
    let packets = 0;
    let flows = 0;
    let sessions = 0;
    let peak = 0;
    const request = { bytes: 0, packets: 0, flows: 0 };
    for (const a of aggs) {
      // The request side: what the client sent, i.e. the client -> server rows' own counters and the
      // reverse counters of the server -> client biflow rows.
      if (a.window_start < day || a.window_start >= day + DAY_MS || a.ip_protocol !== e.ip_protocol) continue;
      if (sameIp(a.src_ip, e.client_ip) && sameIp(a.dst_ip, e.server_ip) && a.dst_port === e.server_port) {
        request.bytes += a.bytes_total;
        request.packets += a.packets_total;
        request.flows += a.flow_count;
      }
      if (sameIp(a.src_ip, e.server_ip) && a.src_port === e.server_port && sameIp(a.dst_ip, e.client_ip)) {
        request.bytes += a.reverse_bytes;
        request.packets += a.reverse_packets;
        request.flows += a.reverse_flows;
      }
    }
    for (const [ws, v] of perWindow) {
      all[(ws - day) / WINDOW_MS] = v.b;
      perHour[Math.floor((ws - day) / 3_600_000)] += v.b;
      bytes += v.b;
      packets += v.p;
      flows += v.f;
      sessions += v.s;
      peak = Math.max(peak, v.s);
    }
    all.sort((a, b) => a - b);
    const rank = (k: number) => all[Math.ceil((k / 100) * all.length) - 1];
    const starts = [...perWindow.keys()];
    out.push({
      stat_date: day,
      dependency_id: e.id,
      bytes_total: bytes,
      packets_total: packets,
      flow_count: flows,
      sessions_total: sessions,
      sessions_peak: peak,
      first_seen_today: Math.min(...starts),
      last_seen_today: Math.max(...starts) + WINDOW_MS,
      active_minutes: perWindow.size * 5,
      bytes_per_hour: perHour,
      bytes_p50: rank(50),
      bytes_p95: rank(95),
      bytes_p99: rank(99),
      request_bytes: request.bytes,
      request_packets: request.packets,
      request_flows: request.flows,
    });
  }
  return out.sort((a, b) => (a.dependency_id < b.dependency_id ? -1 : 1));
}

/**
 * The grouped text of an extended_fields path (query/ast.ts ExtGroupKey), worked out here from the record:
 * a string as itself, a bigint or number as its decimal/JSON text, true/false; null when a key on the path
 * is missing (keys name object members only, never array positions) or the value is JSON null, an object
 * or an array.
 */
export function extText(f: FlowRecord, key: ExtGroupKey): string | null {
  let v: unknown = f.extended_fields;
  for (const k of key.slice(4).split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, k)) return null;
    v = (v as Record<string, unknown>)[k];
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  return null;
}

/** A group key's value in a raw flow (addresses canonical). */
export function rawKey(f: FlowRecord, k: GroupBy): string | number | null {
  if (isExtKey(k)) return extText(f, k);
  const rec = f as unknown as Record<string, string | number | null>;
  return IP_FIELDS.has(k) ? canonicalIp(rec[k] as string | null) : (rec[k] ?? null);
}

/** Full ranking (every group) of a top-N over raw flows: estimated real traffic (scaled by rate). */
export function referenceTopRaw(flows: readonly FlowRecord[], by: GroupBy[], metric: Metric): Row[] {
  return rank(
    flows.map((f) => {
      const rate = Math.max(f.sampling_rate, 1);
      const v =
        metric === 'bytes'
          ? Number(f.bytes_total) * rate
          : metric === 'packets'
            ? Number(f.packets_total) * rate
            : 1;
      return { key: by.map((b) => rawKey(f, b)), v };
    }),
    by,
    metric,
  );
}

export function referenceTopAggregates(
  aggs: readonly RefAggregate[],
  by: GroupField[],
  metric: Metric,
): Row[] {
  return rank(
    aggs.map((a) => ({
      key: by.map((b) => {
        // The absent-value sentinel of the aggregate tier reads as NULL (core/columns.ts).
        const v = (a as unknown as Record<string, string | number | null>)[b] ?? null;
        const absent = (FIELD_CATALOG[b] as { absent?: string | number }).absent;
        return absent !== undefined && v === absent ? null : v;
      }),
      v: metric === 'bytes' ? a.bytes_total : metric === 'packets' ? a.packets_total : a.flow_count,
    })),
    by,
    metric,
  );
}

export function referenceTopDaily(
  stats: readonly DependencyStatsRow[],
  edges: readonly DependencyEdge[],
  by: ('src_ip' | 'dst_ip' | 'dst_port' | 'ip_protocol')[],
  metric: Metric,
): Row[] {
  const byId = new Map(edges.map((e) => [e.id, e]));
  const col = {
    src_ip: 'client_ip',
    dst_ip: 'server_ip',
    dst_port: 'server_port',
    ip_protocol: 'ip_protocol',
  } as const;
  return rank(
    stats.map((s) => {
      const e = byId.get(s.dependency_id)!;
      return {
        key: by.map((b) => e[col[b]]),
        v: metric === 'bytes' ? s.bytes_total : metric === 'packets' ? s.packets_total : s.flow_count,
      };
    }),
    by,
    metric,
  );
}

export function rank(
  items: { key: (string | number | null)[]; v: number }[],
  by: string[],
  metric: string,
): Row[] {
  const sums = new Map<string, { key: (string | number | null)[]; v: number }>();
  for (const it of items) {
    const k = JSON.stringify(it.key);
    const s = sums.get(k);
    if (s) s.v += it.v;
    else sums.set(k, { key: it.key, v: it.v });
  }
  return [...sums.values()]
    .sort((a, b) => b.v - a.v)
    .map((s) => {
      const row: Row = {};
      by.forEach((b, i) => {
        row[b] = s.key[i];
      });
      row[metric] = s.v;
      return row;
    });
}
