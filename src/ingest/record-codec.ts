import type { FlowRecord } from '../core/record.js';

/**
 * Compact transfer of FlowRecords from a decode worker to the receive thread. Structured clone of record
 * objects writes every property name of every record and costs ~2.5 µs per flow to deserialize on the
 * receive thread (measured with IPFIX from src/gen); this columnar form costs ~0.9 µs there:
 * numeric columns in one Float64Array (transferred, not copied; null = NaN), address/name columns as indexes
 * into a per-batch string table, extended_fields as one structured-cloned array (it may hold bigint or
 * bytes). Records the columns cannot carry exactly (a bigint counter, a record_type, an unexpected value)
 * travel whole in `others` with their position, so nothing is ever rounded or lost.
 */
const NUM_FIELDS = [
  'received_at',
  'flow_start',
  'flow_end',
  'exporter_id',
  'src_port',
  'dst_port',
  'ip_protocol',
  'bytes_total',
  'packets_total',
  'tcp_flags',
  'input_interface',
  'output_interface',
  'src_as',
  'dst_as',
  'src_vlan',
  'dst_vlan',
  'tos',
  'direction',
  'sampling_rate',
] as const;
const STR_FIELDS = ['exporter_ip', 'protocol_type', 'src_ip', 'dst_ip', 'next_hop'] as const;
const NN = NUM_FIELDS.length;
const NS = STR_FIELDS.length;

export interface PackedRecords {
  n: number;
  nums: Float64Array;
  strs: Uint32Array;
  table: string[];
  ext: unknown[];
  /** Positions and whole records of those the columns cannot carry. */
  others: [index: number, record: FlowRecord][];
}

function columnar(r: FlowRecord): boolean {
  if (r.record_type !== undefined) return false;
  for (let k = 0; k < NN; k++) {
    const v = r[NUM_FIELDS[k]];
    if (v !== null && typeof v !== 'number') return false;
  }
  for (let k = 0; k < NS; k++) {
    const v = r[STR_FIELDS[k]];
    if (v !== null && typeof v !== 'string') return false;
  }
  return true;
}

export function packRecords(records: readonly FlowRecord[]): {
  packed: PackedRecords;
  transfer: ArrayBuffer[];
} {
  const n = records.length;
  const nums = new Float64Array(n * NN);
  const strs = new Uint32Array(n * NS);
  const table: string[] = [];
  const index = new Map<string, number>();
  const ext: unknown[] = new Array(n);
  const others: [number, FlowRecord][] = [];
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (!columnar(r)) {
      others.push([i, r]);
      ext[i] = null;
      continue;
    }
    const b = i * NN;
    for (let k = 0; k < NN; k++) {
      const v = r[NUM_FIELDS[k]] as number | null;
      nums[b + k] = v === null ? Number.NaN : v;
    }
    const s = i * NS;
    for (let k = 0; k < NS; k++) {
      const v = r[STR_FIELDS[k]] as string | null;
      if (v === null) {
        strs[s + k] = 0;
        continue;
      }
      let j = index.get(v);
      if (j === undefined) {
        table.push(v);
        j = table.length;
        index.set(v, j);
      }
      strs[s + k] = j;
    }
    ext[i] = r.extended_fields;
  }
  return {
    packed: { n, nums, strs, table, ext, others },
    transfer: [nums.buffer, strs.buffer] as ArrayBuffer[],
  };
}

export function unpackRecords(p: PackedRecords): FlowRecord[] {
  const out: FlowRecord[] = new Array(p.n);
  const { nums, strs, table, ext } = p;
  const num = (x: number) => (Number.isNaN(x) ? null : x);
  const str = (j: number) => (j === 0 ? null : table[j - 1]);
  for (let i = 0; i < p.n; i++) {
    const b = i * NN;
    const s = i * NS;
    out[i] = {
      received_at: nums[b],
      flow_start: nums[b + 1],
      flow_end: nums[b + 2],
      exporter_ip: str(strs[s]) as string,
      exporter_id: num(nums[b + 3]),
      protocol_type: str(strs[s + 1]) as FlowRecord['protocol_type'],
      src_ip: str(strs[s + 2]),
      dst_ip: str(strs[s + 3]),
      src_port: num(nums[b + 4]),
      dst_port: num(nums[b + 5]),
      ip_protocol: num(nums[b + 6]),
      bytes_total: nums[b + 7],
      packets_total: nums[b + 8],
      tcp_flags: num(nums[b + 9]),
      input_interface: num(nums[b + 10]),
      output_interface: num(nums[b + 11]),
      src_as: num(nums[b + 12]),
      dst_as: num(nums[b + 13]),
      next_hop: str(strs[s + 4]),
      src_vlan: num(nums[b + 14]),
      dst_vlan: num(nums[b + 15]),
      tos: num(nums[b + 16]),
      direction: num(nums[b + 17]),
      sampling_rate: nums[b + 18],
      extended_fields: ext[i] as FlowRecord['extended_fields'],
    };
  }
  for (const [i, r] of p.others) out[i] = r;
  return out;
}
