/**
 * Result rows of the embedded store as every store returns them: addresses as text, numbers as numbers
 * (text beyond 2^53), JSON and enum columns as text, the few columns the SQL renders under another alias
 * renamed back.
 */
import { CANONICAL_COLUMNS } from '../../core/record.js';
import { AGGREGATE_COLUMNS, isExtKey } from '../../query/ast.js';
import { ipOut } from './db.js';

const IP_OUT = new Set(['src_ip', 'dst_ip', 'exporter_ip', 'next_hop']);

export function outValue(field: string, v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (isExtKey(field)) return String(v); // grouped as text (query/ast.ts ExtGroupKey)
  if (IP_OUT.has(field)) return ipOut(v);
  if (typeof v === 'number') return v;
  if (field === 'protocol_type' || field === 'traffic_direction') return String(v);
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

type OutSpec = [name: string, source: string][];

/** The few output columns the SQL renders under another alias (converted times, JSON text, 0/1). */
const RENAMED: Record<string, string> = {
  received_at: 'received_at_o',
  flow_start: 'flow_start_o',
  flow_end: 'flow_end_o',
  window_start: 'window_start_o',
  window_end: 'window_end_o',
  protocol_sources: 'protocol_sources_o',
  interfaces: 'interfaces_o',
  is_internal: 'is_internal_o',
};
const outSpec = (columns: readonly string[]): OutSpec => columns.map((c) => [c, RENAMED[c] ?? c]);
export const AGG_OUT = outSpec(AGGREGATE_COLUMNS);
export const FLOW_OUT = outSpec(CANONICAL_COLUMNS);

const TEXT_OUT = new Set([
  'protocol_sources',
  'interfaces',
  'extended_fields',
  'protocol_type',
  'traffic_direction',
]);

export function mapRow(r: Record<string, unknown>, spec: OutSpec): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [name, src] of spec) {
    const v = r[src];
    out[name] = TEXT_OUT.has(name) ? (v === null || v === undefined ? null : String(v)) : outValue(name, v);
  }
  return out;
}
