/**
 * NetFlow v9 / IPFIX record -> canonical FlowRecord (DESIGN.md "Canonical record", "Keep every field").
 * Columns come from a table (template-plan.ts) compiled once per template and cached on the template;
 * every other field goes to extended_fields under its readable name, plus template_id,
 * observation_domain_id, sampling_source and time_source (plus flow_start/end_reported when the times were
 * clamped, time-rule.ts). Options data becomes a record with record_type 'options' and all fields in
 * extended_fields.
 *
 * Hot path (>= 1M records per CPU-second, also when v9 and IPFIX run in one worker): every record is one
 * object literal with the canonical property order, columns are read by constant plan index into locals
 * (no dynamic property stores, no per-record tuples or closures), times go through a reused scratch object.
 */
import type { FlowRecord, SamplingSource } from '../core/record.js';
import type { FieldValue, TemplateRecord } from '../decode/template/index.js';
import type { Datagram } from '../decode/types.js';
import type { NormalizeOptions } from './options.js';
import { Col, compileNormPlan, type NormPlan } from './template-plan.js';
import { type FlowTimes, flowTimesInto } from './template-time.js';

type Ext = FlowRecord['extended_fields'];

/** The plan of the record's template: compiled on first use, then read from the template itself. */
function planOf(rec: TemplateRecord): NormPlan {
  const t = rec.template;
  let p = t.normCache as NormPlan | null;
  if (p === null) {
    p = compileNormPlan(t.fields, t.kind === 'options');
    t.normCache = p;
  }
  return p;
}

// A value that does not fit its column (wrong length on the wire, kept as hex) goes to extended_fields under
// its element name instead.
function addr(v: FieldValue[], i: number, ext: Ext, name: string): string | null {
  if (i < 0) return null;
  const x = v[i];
  if (typeof x === 'string' && (x.includes('.') || x.includes(':'))) return x;
  if (x !== null && x !== undefined) ext[name] = x;
  return null;
}

function int(v: FieldValue[], i: number, ext: Ext, name: string): number | null {
  if (i < 0) return null;
  const x = v[i];
  if (typeof x === 'number') return x;
  if (x !== null && x !== undefined) ext[name] = x;
  return null;
}

function counter(v: FieldValue[], i: number, ext: Ext, name: string): number | bigint {
  if (i < 0) return 0;
  const x = v[i];
  if (typeof x === 'number' || typeof x === 'bigint') return x;
  if (x !== null && x !== undefined) ext[name] = x;
  return 0;
}

/** Reused by every call: read back immediately, never kept. */
const times: FlowTimes = {
  start: 0,
  end: 0,
  source: 'export_time',
  reportedStart: Number.NaN,
  reportedEnd: Number.NaN,
};

export function normalizeTemplateRecord(
  rec: TemplateRecord,
  dg: Datagram,
  opts: NormalizeOptions,
): FlowRecord {
  const plan = planOf(rec);
  const v = rec.values;
  flowTimesInto(rec, plan, times);
  // Resolution order (core/record.ts SamplingSource): config_override > record > options > config_default.
  let rate = 1;
  let source: SamplingSource = 'none';
  const override = opts.samplingOverride === undefined ? undefined : opts.samplingOverride[dg.exporter];
  if (override !== undefined && override > 0) {
    rate = override;
    source = 'config_override';
  } else if (rec.sampling.source !== 'none') {
    rate = rec.sampling.rate;
    source = rec.sampling.source;
  } else if (opts.samplingDefault !== undefined && opts.samplingDefault > 0) {
    rate = opts.samplingDefault;
    source = 'config_default';
  }
  const ext: Ext = {
    sampling_source: source,
    template_id: rec.templateId,
    observation_domain_id: rec.domain,
    time_source: times.source,
  };
  if (times.source === 'future_clamped') {
    // time-rule.ts: the instants the exporter's fields gave, kept next to the clamped columns.
    ext.flow_start_reported = times.reportedStart;
    ext.flow_end_reported = times.reportedEnd;
  }
  const idx = plan.extIndex;
  const names = plan.extName;
  for (let i = 0; i < idx.length; i++) {
    const val = v[idx[i]];
    if (val !== undefined) ext[names[i]] = val;
  }
  // Columns in COLUMN_TABLE order, so misfits land in extended_fields in a stable order.
  const c = plan.col;
  const n = plan.colName;
  const srcIp = addr(v, c[Col.SRC_IP], ext, n[Col.SRC_IP]);
  const dstIp = addr(v, c[Col.DST_IP], ext, n[Col.DST_IP]);
  const srcPort = int(v, c[Col.SRC_PORT], ext, n[Col.SRC_PORT]);
  const dstPort = int(v, c[Col.DST_PORT], ext, n[Col.DST_PORT]);
  const proto = int(v, c[Col.IP_PROTOCOL], ext, n[Col.IP_PROTOCOL]);
  const bytes = counter(v, c[Col.BYTES], ext, n[Col.BYTES]);
  const packets = counter(v, c[Col.PACKETS], ext, n[Col.PACKETS]);
  const flags = int(v, c[Col.TCP_FLAGS], ext, n[Col.TCP_FLAGS]);
  const tos = int(v, c[Col.TOS], ext, n[Col.TOS]);
  const inIf = int(v, c[Col.INPUT_IF], ext, n[Col.INPUT_IF]);
  const outIf = int(v, c[Col.OUTPUT_IF], ext, n[Col.OUTPUT_IF]);
  const srcAs = int(v, c[Col.SRC_AS], ext, n[Col.SRC_AS]);
  const dstAs = int(v, c[Col.DST_AS], ext, n[Col.DST_AS]);
  const nextHop = addr(v, c[Col.NEXT_HOP], ext, n[Col.NEXT_HOP]);
  const srcVlan = int(v, c[Col.SRC_VLAN], ext, n[Col.SRC_VLAN]);
  const dstVlan = int(v, c[Col.DST_VLAN], ext, n[Col.DST_VLAN]);
  const direction = int(v, c[Col.DIRECTION], ext, n[Col.DIRECTION]);
  const r: FlowRecord = {
    received_at: dg.receivedAt,
    flow_start: times.start,
    flow_end: times.end,
    exporter_ip: dg.exporter,
    exporter_id: rec.domain,
    protocol_type: rec.version === 9 ? 'netflow_v9' : 'ipfix',
    src_ip: srcIp,
    dst_ip: dstIp,
    src_port: srcPort,
    dst_port: dstPort,
    ip_protocol: proto,
    bytes_total: bytes,
    packets_total: packets,
    tcp_flags: flags,
    input_interface: inIf,
    output_interface: outIf,
    src_as: srcAs,
    dst_as: dstAs,
    next_hop: nextHop,
    src_vlan: srcVlan,
    dst_vlan: dstVlan,
    tos,
    direction,
    sampling_rate: rate,
    extended_fields: ext,
  };
  if (rec.kind === 'options') r.record_type = 'options';
  return r;
}
