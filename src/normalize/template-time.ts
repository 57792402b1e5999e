/**
 * Flow start/end of a v9/IPFIX record as epoch ms, and where they came from (extended_fields.time_source):
 *  - 'absolute': flowStart/End Seconds/Milliseconds/Microseconds/Nanoseconds (IE 150-157, RFC 7011 6.1.7-10)
 *  - 'delta': flowStart/EndDeltaMicroseconds (IE 158/159), before the export time
 *  - 'sysuptime': v9 FIRST/LAST_SWITCHED (IE 22/21) against the header's sysUptime and UNIX secs
 *    (RFC 3954 section 5.1): unix_secs*1000 - (sysUptime - t)
 *  - 'system_init': IPFIX IE 22/21 + systemInitTimeMilliseconds (IE 160) from the record or options data
 *  - 'export_relative': IPFIX IE 22/21 without IE 160: the flow is taken to end at the export time (best
 *    estimate; the duration stays exact)
 *  - 'export_time': nothing in the record: the export time
 *  - 'out_of_range': the record's times lie beyond what a Date can hold (ECMA-262 section 21.4.1.1,
 *    +-8.64e15 ms; seen as IE 152 = 9.7e18 from corrupted templates): the export time, and this mark so
 *    the substitution is visible
 */
import type { TemplateRecord } from '../decode/template/index.js';
import type { NormPlan } from './template-plan.js';

export type TimeSource =
  | 'absolute'
  | 'delta'
  | 'sysuptime'
  | 'system_init'
  | 'export_relative'
  | 'export_time'
  | 'out_of_range';

/** Date's range in ms (ECMA-262 section 21.4.1.1). */
const MAX_TIME_MS = 8.64e15;

export interface FlowTimes {
  start: number;
  end: number;
  source: TimeSource;
}

function n(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN;
}

function pick(values: TemplateRecord['values'], i: number, scale: number): number {
  if (i < 0) return Number.NaN;
  const v = n(values[i]);
  return Number.isFinite(v) ? Math.floor(v * scale) : Number.NaN;
}

/** Flow times of one record (allocates the result; the normalizer uses flowTimesInto). */
export function flowTimes(rec: TemplateRecord, plan: NormPlan): FlowTimes {
  const out: FlowTimes = { start: 0, end: 0, source: 'export_time' };
  flowTimesInto(rec, plan, out);
  return out;
}

/** Fill `out` (a scratch object the caller reuses: no allocation per record on the hot path). */
export function flowTimesInto(rec: TemplateRecord, plan: NormPlan, out: FlowTimes): void {
  const exportMs = rec.exportTime * 1000;
  if (!plan.hasTime) {
    out.start = exportMs;
    out.end = exportMs;
    out.source = 'export_time';
    return;
  }
  const t = plan.time;
  const v = rec.values;
  let start = pick(v, t.startMilliseconds, 1);
  let end = pick(v, t.endMilliseconds, 1);
  if (Number.isNaN(start)) start = pick(v, t.startSeconds, 1000);
  if (Number.isNaN(end)) end = pick(v, t.endSeconds, 1000);
  if (Number.isNaN(start)) start = pick(v, t.startMicroseconds, 1);
  if (Number.isNaN(end)) end = pick(v, t.endMicroseconds, 1);
  if (Number.isNaN(start)) start = pick(v, t.startNanoseconds, 1);
  if (Number.isNaN(end)) end = pick(v, t.endNanoseconds, 1);
  let source: TimeSource = 'absolute';
  if (Number.isNaN(start) && Number.isNaN(end)) {
    const ds = pick(v, t.startDeltaMicroseconds, 0.001);
    const de = pick(v, t.endDeltaMicroseconds, 0.001);
    if (!Number.isNaN(ds)) start = exportMs - ds;
    if (!Number.isNaN(de)) end = exportMs - de;
    source = 'delta';
  }
  if (Number.isNaN(start) && Number.isNaN(end)) {
    const us = t.startSysUpTime >= 0 ? n(v[t.startSysUpTime]) : Number.NaN;
    const ue = t.endSysUpTime >= 0 ? n(v[t.endSysUpTime]) : Number.NaN;
    if (!Number.isNaN(us) || !Number.isNaN(ue)) {
      if (rec.version === 9 && rec.sysUptime !== null) {
        const up = rec.sysUptime;
        // Signed 32-bit difference: correct across the 49.7-day sysUptime wrap.
        if (!Number.isNaN(us)) start = exportMs - ((up - us) | 0);
        if (!Number.isNaN(ue)) end = exportMs - ((up - ue) | 0);
        source = 'sysuptime';
      } else {
        const own = t.systemInitTimeMilliseconds >= 0 ? n(v[t.systemInitTimeMilliseconds]) : Number.NaN;
        const init = Number.isNaN(own) ? rec.systemInitMs : own;
        if (init !== null && !Number.isNaN(init)) {
          if (!Number.isNaN(us)) start = init + us;
          if (!Number.isNaN(ue)) end = init + ue;
          source = 'system_init';
        } else {
          const last = Number.isNaN(ue) ? us : ue;
          if (!Number.isNaN(us)) start = exportMs - (last - us);
          if (!Number.isNaN(ue)) end = exportMs;
          source = 'export_relative';
        }
      }
    }
  }
  if (Number.isNaN(start) && Number.isNaN(end)) {
    start = exportMs;
    end = exportMs;
    source = 'export_time';
  } else {
    if (Number.isNaN(start)) start = end;
    if (Number.isNaN(end)) end = start;
    if (!(Math.abs(start) <= MAX_TIME_MS && Math.abs(end) <= MAX_TIME_MS)) {
      start = exportMs;
      end = exportMs;
      source = 'out_of_range';
    }
  }
  out.start = start;
  out.end = end;
  out.source = source;
}
