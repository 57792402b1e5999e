/**
 * Raw-tier (flow_records) indexes: the design's catalog (design-notes/flow-table.md section 2.4) keyed by a
 * short name, and the profile that picks which exist.
 *
 * The design's nine indexes cost a lot at ingest (DESIGN.md "Known defects"; our own figures are in
 * bench/storage-postgres.ts and the backend README). Changes from the design:
 * - time column is flow_start (the partition key), not received_at;
 * - idx_flow_records_unprocessed is gone with the `processed` column (progress is a watermark);
 * - two BRIN bloom indexes (`src_ip_bloom`, `dst_ip_bloom`, PostgreSQL 14+) are offered as the cheap way to
 *   find one address: a per-block-range bloom filter is nearly free to maintain at ingest, where a btree
 *   on random addresses costs a random leaf write per row.
 *
 * Indexes are created on the partitioned parent, so PostgreSQL creates them on every partition (and on
 * partitions created later). `migrate()` makes the set of catalog indexes equal to the profile: it creates
 * the missing ones and drops catalog indexes the profile no longer names.
 */

export type IndexName =
  | 'brin_time'
  | 'src_ip'
  | 'dst_ip'
  | 'src_dst'
  | 'exporter'
  | 'dst_port'
  | 'protocol'
  | 'extended_gin'
  | 'app_name'
  | 'src_ip_bloom'
  | 'dst_ip_bloom';

export type IndexProfile = 'default' | 'all' | 'none' | readonly IndexName[];

export const RAW_INDEXES: Readonly<Record<IndexName, { index: string; definition: string }>> = {
  brin_time: {
    index: 'idx_flow_records_flow_start_brin',
    definition: 'USING BRIN (flow_start) WITH (pages_per_range = 32)',
  },
  src_ip: { index: 'idx_flow_records_src_ip', definition: '(src_ip, flow_start DESC)' },
  dst_ip: { index: 'idx_flow_records_dst_ip', definition: '(dst_ip, flow_start DESC)' },
  src_dst: { index: 'idx_flow_records_src_dst', definition: '(src_ip, dst_ip, flow_start DESC)' },
  exporter: { index: 'idx_flow_records_exporter', definition: '(exporter_ip, flow_start DESC)' },
  dst_port: {
    index: 'idx_flow_records_dst_port',
    definition: '(dst_port, flow_start DESC) WHERE dst_port > 0',
  },
  protocol: { index: 'idx_flow_records_protocol', definition: '(ip_protocol, flow_start DESC)' },
  extended_gin: {
    index: 'idx_flow_records_extended_gin',
    definition: 'USING GIN (extended_fields jsonb_path_ops)',
  },
  app_name: {
    index: 'idx_flow_records_app_name',
    definition:
      "((extended_fields->>'application_name')) WHERE extended_fields->>'application_name' IS NOT NULL",
  },
  src_ip_bloom: {
    index: 'idx_flow_records_src_ip_bloom',
    definition: 'USING BRIN (src_ip inet_bloom_ops) WITH (pages_per_range = 16)',
  },
  dst_ip_bloom: {
    index: 'idx_flow_records_dst_ip_bloom',
    definition: 'USING BRIN (dst_ip inet_bloom_ops) WITH (pages_per_range = 16)',
  },
};

/** The design's nine (minus the removed `unprocessed` one, i.e. the nine that still exist). */
export const DESIGN_INDEXES: readonly IndexName[] = [
  'src_ip',
  'dst_ip',
  'src_dst',
  'exporter',
  'dst_port',
  'protocol',
  'extended_gin',
  'app_name',
  'brin_time',
];

/**
 * Default: BRIN on time plus btrees on src_ip and dst_ip, the set DESIGN.md found to serve the example
 * queries. Chosen from the measurements in bench/storage-postgres.ts; see the README for the figures.
 */
export const DEFAULT_INDEXES: readonly IndexName[] = ['brin_time', 'src_ip', 'dst_ip'];

export function resolveProfile(profile: IndexProfile | undefined): IndexName[] {
  if (profile === undefined || profile === 'default') return [...DEFAULT_INDEXES];
  if (profile === 'all') return [...DESIGN_INDEXES];
  if (profile === 'none') return [];
  for (const name of profile) {
    if (!(name in RAW_INDEXES)) throw new Error(`unknown flow_records index '${name}'`);
  }
  return [...new Set(profile)];
}

/** DDL statements that bring flow_records' catalog indexes to exactly `wanted`. */
export function indexStatements(wanted: readonly IndexName[], existing: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(RAW_INDEXES) as [IndexName, (typeof RAW_INDEXES)[IndexName]][]) {
    const want = wanted.includes(name);
    if (want && !existing.has(spec.index)) {
      out.push(`CREATE INDEX IF NOT EXISTS ${spec.index} ON flow_records ${spec.definition}`);
    } else if (!want && existing.has(spec.index)) {
      out.push(`DROP INDEX IF EXISTS ${spec.index}`);
    }
  }
  return out;
}
