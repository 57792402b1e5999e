/** Result comparisons that do not depend on how a backend orders equal values. */
import { expect } from 'vitest';
import type { FlowRecord } from '../../core/record.js';
import { canonicalIp } from '../../core/rules.js';
import type { Row } from './reference.js';

const keyOf = (r: Row, metric: string) =>
  JSON.stringify(
    Object.keys(r)
      .filter((k) => k !== metric)
      .sort()
      .map((k) => [k, r[k]]),
  );

/**
 * A top-N result must have the reference's metric values in the same order, and every returned group must
 * be a group of the reference with exactly that value (ties may come in any order, and a tie cut by the
 * limit may keep any of its members).
 */
export function expectTop(
  actual: Row[],
  expected: Row[],
  metric: string,
  limit: number,
  label?: string,
): void {
  const n = Math.min(limit, expected.length);
  expect(
    actual.map((r) => r[metric]),
    label,
  ).toEqual(expected.slice(0, n).map((r) => r[metric]));
  const want = new Map(expected.map((r) => [keyOf(r, metric), r[metric]]));
  const seen = new Set<string>();
  for (const r of actual) {
    const k = keyOf(r, metric);
    expect(want.has(k), `unexpected group ${k}`).toBe(true);
    expect(r[metric], `value of group ${k}`).toBe(want.get(k));
    expect(seen.has(k), `duplicate group ${k}`).toBe(false);
    seen.add(k);
  }
}

/**
 * A canonical record as the `flows` query returns it (times whole ms, counters numbers, extended JSON
 * text, addresses as stored: IPv4-mapped IPv6 reads back as IPv4, see rules.ts canonicalIp).
 */
export function flowRow(f: FlowRecord): Row {
  return {
    received_at: Math.floor(f.received_at),
    flow_start: Math.floor(f.flow_start),
    flow_end: Math.floor(f.flow_end),
    exporter_ip: canonicalIp(f.exporter_ip),
    exporter_id: f.exporter_id,
    protocol_type: f.protocol_type,
    src_ip: canonicalIp(f.src_ip),
    dst_ip: canonicalIp(f.dst_ip),
    src_port: f.src_port,
    dst_port: f.dst_port,
    ip_protocol: f.ip_protocol,
    bytes_total: Number(f.bytes_total),
    packets_total: Number(f.packets_total),
    tcp_flags: f.tcp_flags,
    input_interface: f.input_interface,
    output_interface: f.output_interface,
    src_as: f.src_as,
    dst_as: f.dst_as,
    next_hop: canonicalIp(f.next_hop),
    src_vlan: f.src_vlan,
    dst_vlan: f.dst_vlan,
    tos: f.tos,
    direction: f.direction,
    sampling_rate: f.sampling_rate,
    extended_fields: JSON.stringify(f.extended_fields, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  };
}

/** Rows with their JSON text columns parsed (backends may space or order JSON keys differently). */
export function normalizeRow(r: Row, jsonColumns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r };
  for (const c of jsonColumns) if (typeof r[c] === 'string') out[c] = JSON.parse(r[c] as string);
  return out;
}

export function sortByJson<T>(xs: T[]): T[] {
  return xs
    .map((x) => [JSON.stringify(x), x] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, x]) => x);
}
