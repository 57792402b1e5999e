/**
 * Flow start/end of a v9/IPFIX record as epoch ms, and where they came from (extended_fields.time_source):
 *  - 'absolute': flowStart/End Seconds/Milliseconds/Microseconds/Nanoseconds (IE 150-157, RFC 7011 6.1.7-10)
 *  - 'delta': flowStart/EndDeltaMicroseconds (IE 158/159), before the export time
 *  - 'sysuptime': v9 FIRST/LAST_SWITCHED (IE 22/21) against the header's sysUptime and UNIX secs
 *    (RFC 3954 section 5.1): unix_secs*1000 - (sysUptime - t), the difference signed 32-bit (wrap)
 *  - 'system_init': IPFIX IE 22/21 + systemInitTimeMilliseconds (IE 160) from the record or options data
 *  - 'system_init_wrapped': the same, but init + offset lay 2^32 ms (or more) off the export time: IE 21/22
 *    are unsigned32 ms since the last (re-)initialization (RFC 5102 section 5.9), so they wrap every 49.7
 *    days of uptime, and a flow cached across a re-initialization reports an offset just below 2^32
 *    ("before" init). Resolved like v9: the uptime at export is exportTime - init (RFC 7011 section 3.1),
 *    and the offset is taken at its signed 32-bit difference from it
 *  - 'export_relative': IPFIX IE 22/21 without IE 160: the flow is taken to end at the export time (best
 *    estimate; the duration stays exact, modulo 2^32 across a wrap)
 *  - 'export_time': nothing in the record: the export time
 *  - 'out_of_range': the record's times lie beyond what a Date can hold (ECMA-262 section 21.4.1.1,
 *    +-8.64e15 ms; seen as IE 152 = 9.7e18 from corrupted templates): the export time, and this mark so
 *    the substitution is visible
 *  - 'future_clamped': after all of the above the flow still ended after its export time + EXPORT_SKEW_MS
 *    (time-rule.ts): pulled back to the export time; reportedStart/End keep the computed instants, which
 *    the normalizer stores as extended_fields.flow_start_reported / flow_end_reported
 */
import type { TemplateRecord } from '../decode/template/index.js';
import type { NormPlan } from './template-plan.js';
import { clampToExport } from './time-rule.js';

export type TimeSource =
  | 'absolute'
  | 'delta'
  | 'sysuptime'
  | 'system_init'
  | 'system_init_wrapped'
  | 'export_relative'
  | 'export_time'
  | 'out_of_range'
  | 'future_clamped';

/** Date's range in ms (ECMA-262 section 21.4.1.1). */
const MAX_TIME_MS = 8.64e15;

export interface FlowTimes {
  start: number;
  end: number;
  source: TimeSource;
  /** The instants as computed, when source is 'future_clamped' (else NaN). */
  reportedStart: number;
  reportedEnd: number;
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
  const out: FlowTimes = {
    start: 0,
    end: 0,
    source: 'export_time',
    reportedStart: Number.NaN,
    reportedEnd: Number.NaN,
  };
  flowTimesInto(rec, plan, out);
  return out;
}

/** Fill `out` (a scratch object the caller reuses: no allocation per record on the hot path). */
export function flowTimesInto(rec: TemplateRecord, plan: NormPlan, out: FlowTimes): void {
  const exportMs = rec.exportTime * 1000;
  out.reportedStart = Number.NaN;
  out.reportedEnd = Number.NaN;
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
        if (init !== null && Math.abs(init) <= MAX_TIME_MS) {
          // exportMs - ((up - u) | 0) is init + u + k * 2^32 for the k that puts it nearest the export
          // time; k = 0 (no wrap) for every offset within 2^31 ms (24.8 days) of the uptime at export.
          const up = exportMs - init;
          if (!Number.isNaN(us)) start = exportMs - ((up - us) | 0);
          if (!Number.isNaN(ue)) end = exportMs - ((up - ue) | 0);
          const wrapped =
            (!Number.isNaN(us) && start !== init + us) || (!Number.isNaN(ue) && end !== init + ue);
          source = wrapped ? 'system_init_wrapped' : 'system_init';
        } else if (init !== null && !Number.isNaN(init)) {
          // A corrupt init (beyond a Date): out_of_range below makes it visible.
          if (!Number.isNaN(us)) start = init + us;
          if (!Number.isNaN(ue)) end = init + ue;
          source = 'system_init';
        } else {
          const last = Number.isNaN(ue) ? us : ue;
          // The duration modulo 2^32: a start before the uptime wrap and an end after it is not a start
          // 49.7 days after the end.
          if (!Number.isNaN(us)) start = exportMs - ((last - us) >>> 0);
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
  if (clampToExport(out, exportMs)) {
    out.reportedStart = start;
    out.reportedEnd = end;
    out.source = 'future_clamped';
  }
}
