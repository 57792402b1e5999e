/**
 * The normalizer's time rule (issue 7): no flow ends after the datagram that carried it was exported,
 * beyond EXPORT_SKEW_MS. An exporter cannot report a packet it has not seen yet, so a later time is an
 * exporter or decoding fault (a 32-bit uptime offset read without its wrap, a clock stepped between
 * stamping the flow and the header, a corrupt absolute timestamp) and is never stored as is:
 *  - sources that can be corrected are corrected where they are computed: 32-bit uptime offsets are
 *    resolved modulo 2^32 against the uptime at export (v5: netflow5.ts ago(), up to an hour ahead; v9 and
 *    IPFIX IE 21/22 + 160: template-time.ts, the signed 32-bit difference, so within 2^31 ms = 24.8 days
 *    either side; an offset further behind reads as ahead and is clamped below, visibly);
 *  - what is still beyond the limit after that (absolute IE 150-157, an uptime offset ahead of the
 *    exporter's own uptime) has no sound correction: clampToExport() pulls it back to the export time, the
 *    record's extended_fields.time_source becomes 'future_clamped' and the computed instants stay visible
 *    as extended_fields.flow_start_reported / flow_end_reported (epoch ms).
 * Delta times (IE 158/159) are unsigned offsets before the export time and cannot break the rule. sFlow
 * (sflow.ts) has no export wall clock (sFlow v5 datagram header: agent uptime only) and takes the receive
 * time, which is after the export by construction.
 */

/**
 * How far a flow may end after its export time before the rule applies. The comparison is against the
 * exporter's own export time (same clock, so collector clock skew does not enter), but that time is whole
 * seconds in IPFIX and v9 (RFC 7011 section 3.1, RFC 3954 section 5.1) while flow times are ms, exporters
 * stamp the header before the last records are written, and real captures show flows ending seconds after
 * it (logstash netflow9_nprobe_dpi.pcap: 13 s). One minute covers that and still catches the faults above,
 * which are days to decades off (49.7 days for an unresolved wrap).
 */
export const EXPORT_SKEW_MS = 60_000;

export interface Span {
  start: number;
  end: number;
}

/**
 * Pull a span that reaches beyond exportMs + EXPORT_SKEW_MS back to the export time; false (span untouched)
 * when it does not. Both instants beyond: the span is shifted to end at the export time, so the duration
 * stays exact. Only one beyond: that one alone is pulled back, to the export time but not past the other
 * instant (the other is plausible, the duration between them is not; a start is never made later than
 * its end).
 */
export function clampToExport(s: Span, exportMs: number): boolean {
  const limit = exportMs + EXPORT_SKEW_MS;
  const startBeyond = s.start > limit;
  const endBeyond = s.end > limit;
  if (!startBeyond && !endBeyond) return false;
  if (startBeyond && endBeyond) {
    const shift = Math.max(s.start, s.end) - exportMs;
    s.start -= shift;
    s.end -= shift;
  } else if (endBeyond) s.end = Math.max(exportMs, s.start);
  else s.start = Math.min(exportMs, s.end);
  return true;
}
