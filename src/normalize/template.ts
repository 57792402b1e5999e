/**
 * NetFlow v9 / IPFIX record -> canonical FlowRecord (DESIGN.md "Canonical record", "Keep every field").
 * Columns come from a table (template-plan.ts) compiled once per template; every other field goes to
 * extended_fields under its readable name, plus template_id, observation_domain_id, sampling_source and
 * time_source. Options data becomes a record with record_type 'options' and all fields in extended_fields.
 */
import type { FlowRecord, SamplingSource } from '../core/record.js';
import type { TemplateRecord } from '../decode/template/index.js';
import type { Datagram } from '../decode/types.js';
import type { NormalizeOptions } from './options.js';
import { normPlan } from './template-plan.js';
import { flowTimes } from './template-time.js';

function sampling(rec: TemplateRecord, dg: Datagram, opts: NormalizeOptions): [number, SamplingSource] {
  // Resolution order (core/record.ts SamplingSource): config_override > record > options > config_default.
  const override = opts.samplingOverride?.[dg.exporter];
  if (override !== undefined && override > 0) return [override, 'config_override'];
  if (rec.sampling.source !== 'none') return [rec.sampling.rate, rec.sampling.source];
  if (opts.samplingDefault !== undefined && opts.samplingDefault > 0)
    return [opts.samplingDefault, 'config_default'];
  return [1, 'none'];
}

export function normalizeTemplateRecord(
  rec: TemplateRecord,
  dg: Datagram,
  opts: NormalizeOptions,
): FlowRecord {
  const options = rec.kind === 'options';
  const plan = normPlan(rec.fields, options);
  const v = rec.values;
  const times = flowTimes(rec, plan);
  const [rate, source] = sampling(rec, dg, opts);
  const ext: FlowRecord['extended_fields'] = {
    sampling_source: source,
    template_id: rec.templateId,
    observation_domain_id: rec.domain,
    time_source: times.source,
  };
  const idx = plan.extIndex;
  for (let i = 0; i < idx.length; i++) {
    const val = v[idx[i]];
    if (val !== undefined) ext[plan.extName[i]] = val;
  }
  const r: FlowRecord = {
    received_at: dg.receivedAt,
    flow_start: times.start,
    flow_end: times.end,
    exporter_ip: dg.exporter,
    exporter_id: rec.domain,
    protocol_type: rec.version === 9 ? 'netflow_v9' : 'ipfix',
    src_ip: null,
    dst_ip: null,
    src_port: null,
    dst_port: null,
    ip_protocol: null,
    bytes_total: 0,
    packets_total: 0,
    tcp_flags: null,
    input_interface: null,
    output_interface: null,
    src_as: null,
    dst_as: null,
    next_hop: null,
    src_vlan: null,
    dst_vlan: null,
    tos: null,
    direction: null,
    sampling_rate: rate,
    extended_fields: ext,
  };
  const cols = plan.columns;
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i];
    const val = v[c.index];
    // A value that does not fit its column (wrong length on the wire) is kept under its element name.
    const fits =
      c.type === 'addr'
        ? typeof val === 'string' && (val.includes('.') || val.includes(':'))
        : c.type === 'int'
          ? typeof val === 'number'
          : typeof val === 'number' || typeof val === 'bigint';
    if (fits) (r as unknown as Record<string, unknown>)[c.column] = val;
    else if (val !== null && val !== undefined) ext[c.name] = val;
  }
  if (options) r.record_type = 'options';
  return r;
}
