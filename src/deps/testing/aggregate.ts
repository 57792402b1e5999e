/**
 * Test helper: raw flow records -> the aggregate rows discovery reads, by the aggregate tier's rules
 * (src/jobs/README.md: 5-minute windows by flow_start, key with the client's ephemeral port collapsed,
 * counters scaled by the sampling rate, flags OR-ed, SYN flows counted), plus the biflow evidence the
 * stores keep from the raw tier (the reference for their conversationTotals). aggregate.test.ts checks it against the conformance reference.
 */
import type { FlowRecord } from '../../core/record.js';
import { canonicalIp } from '../../core/rules.js';
import { addBiflow, biflowEvidence } from '../biflow.js';
import { collapsePorts, TCP_SYN, windowStart } from '../tier.js';
import type { ConversationRow } from '../types.js';

export function aggregateForDeps(flows: readonly FlowRecord[]): ConversationRow[] {
  const rows = new Map<string, ConversationRow>();
  for (const f of flows) {
    const ws = windowStart(f.flow_start);
    const [sp, dp] = collapsePorts(f.src_port, f.dst_port, f.ip_protocol);
    const src = canonicalIp(f.src_ip) ?? '::';
    const dst = canonicalIp(f.dst_ip) ?? '::';
    const exporter = canonicalIp(f.exporter_ip) ?? '::';
    const proto = f.ip_protocol ?? 0;
    const key = `${ws}|${exporter}|${src}|${dst}|${sp}|${dp}|${proto}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        window_start: ws,
        exporter_ip: exporter,
        src_ip: src,
        dst_ip: dst,
        src_port: sp,
        dst_port: dp,
        ip_protocol: proto,
        flow_count: 0,
        bytes_total: 0,
        packets_total: 0,
        tcp_flags_observed: 0,
        new_sessions: 0,
      };
      rows.set(key, r);
    }
    const rate = Math.max(f.sampling_rate, 1);
    const flags = f.tcp_flags ?? 0;
    r.flow_count++;
    r.bytes_total += Number(f.bytes_total) * rate;
    r.packets_total += Number(f.packets_total) * rate;
    r.tcp_flags_observed |= flags;
    if (proto === 6 && flags & TCP_SYN) r.new_sessions++;
    const bi = addBiflow(r.biflow, biflowEvidence(f));
    if (bi) r.biflow = bi;
  }
  return [...rows.values()];
}
