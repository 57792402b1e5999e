/**
 * Generated traffic with scanners in it, and scan detection restated in TypeScript (the reference the
 * stores are compared with): ordinary clients, an unsampled SYN scanner, a scanner seen through a 1:100
 * sampled exporter, a sampled source with too few sightings to report, and a fan-out of answered flows.
 */
import { parseIp, toIpv6Bytes } from '../../core/ip.js';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import type { ScanQuery } from '../../query/ast.js';
import { rng } from '../conformance/generator.js';

export const SCAN_T0 = Date.UTC(2025, 3, 1, 8);
export const SAMPLED_SCANNER = { ip: '198.51.100.66', targets: 3000, rate: 100 };

function flow(o: Partial<FlowRecord> & { at: number; exporter?: string }): FlowRecord {
  const { at, exporter, ...rest } = o;
  return {
    ...emptyRecord('ipfix', exporter ?? '192.0.2.1', at + 1000),
    flow_start: at,
    flow_end: at + 10,
    ip_protocol: 6,
    src_port: 40000,
    bytes_total: 60,
    packets_total: 1,
    ...rest,
  };
}

export function scanFlows(seed: number): FlowRecord[] {
  const r = rng(seed);
  const at = () => SCAN_T0 + Math.floor(r() * 3_600_000);
  const out: FlowRecord[] = [];
  // Ordinary clients: a handful of servers each, answered conversations (SYN|ACK|FIN).
  for (let c = 0; c < 40; c++)
    for (let i = 0; i < 30; i++)
      out.push(
        flow({
          at: at(),
          src_ip: `10.0.1.${c + 1}`,
          dst_ip: `10.0.2.${1 + Math.floor(r() * 8)}`,
          dst_port: [443, 80, 53][Math.floor(r() * 3)],
          tcp_flags: 0x1b,
          bytes_total: 5000,
          packets_total: 10,
        }),
      );
  // Unsampled horizontal scanner: one SYN to port 22 of 400 hosts, some twice.
  for (let i = 0; i < 400; i++) {
    const dst = `10.5.${i >> 8}.${i & 255}`;
    out.push(flow({ at: at(), src_ip: '203.0.113.7', dst_ip: dst, dst_port: 22, tcp_flags: 0x02 }));
    if (i % 7 === 0)
      out.push(flow({ at: at(), src_ip: '203.0.113.7', dst_ip: dst, dst_port: 22, tcp_flags: 0x02 }));
  }
  // Vertical scan of one host on many ports, unsampled.
  for (let p = 1; p <= 150; p++)
    out.push(flow({ at: at(), src_ip: '203.0.113.8', dst_ip: '10.0.2.1', dst_port: p, tcp_flags: 0x02 }));
  // The sampled scanner: each probe is seen with probability 1 / rate, through the sampled exporter.
  const s = SAMPLED_SCANNER;
  for (let i = 0; i < s.targets; i++) {
    if (r() >= 1 / s.rate) continue;
    out.push(
      flow({
        at: at(),
        exporter: '192.0.2.9',
        src_ip: s.ip,
        dst_ip: `10.6.${i >> 8}.${i & 255}`,
        dst_port: 3389,
        tcp_flags: 0x02,
        sampling_rate: s.rate,
        extended_fields: { sampling_source: 'options' },
      }),
    );
  }
  // Too few sightings: 3 sampled targets at 1:100 estimate 300, below minSampledTargets.
  for (let i = 0; i < 3; i++)
    out.push(
      flow({
        at: at(),
        exporter: '192.0.2.9',
        src_ip: '198.51.100.67',
        dst_ip: `10.7.0.${i}`,
        dst_port: 445,
        tcp_flags: 0x02,
        sampling_rate: 100,
      }),
    );
  // A fan-out of answered UDP flows (a monitoring host): reported, but with no SYN-only flows.
  for (let i = 0; i < 120; i++)
    out.push(
      flow({
        at: at(),
        src_ip: '10.0.9.9',
        dst_ip: `10.8.0.${i}`,
        dst_port: 161,
        ip_protocol: 17,
        tcp_flags: 0,
      }),
    );
  // A busy server's answers: from port 443 to 200 clients' ephemeral ports. Answers are not probes: never
  // reported, however many peers the server has.
  for (let i = 0; i < 200; i++)
    out.push(
      flow({
        at: at(),
        src_ip: BUSY_SERVER,
        src_port: 443,
        dst_ip: `10.9.${i >> 8}.${i & 255}`,
        dst_port: 40000 + i,
        tcp_flags: 0x1b,
      }),
    );
  return out;
}

export const BUSY_SERVER = '10.0.2.5';

/** A flow that answers (from the lower, service port, not a SYN-only probe) is no target of its source. */
export const isAnswer = (f: FlowRecord) =>
  (f.src_port ?? 0) < (f.dst_port ?? 0) && !(f.ip_protocol === 6 && ((f.tcp_flags ?? 0) & 0x12) === 0x02);

/** The detection as ast.ts states it, over records in memory (no SQL). */
/** `keep` states the query's filter as a predicate (the reference does not parse filters). */
export function referenceScans(
  flows: readonly FlowRecord[],
  q: ScanQuery,
  keep: (f: FlowRecord) => boolean = () => true,
): Record<string, number | string>[] {
  const bySrc = new Map<
    string,
    {
      targets: Map<string, number>;
      ports: Set<number>;
      syn: number;
      first: number;
      last: number;
      max: number;
    }
  >();
  for (const f of flows) {
    if (f.flow_start < q.from || f.flow_start >= q.to || !f.src_ip || !keep(f) || isAnswer(f)) continue;
    let s = bySrc.get(f.src_ip);
    if (!s) {
      s = { targets: new Map(), ports: new Set(), syn: 0, first: Infinity, last: -Infinity, max: 1 };
      bySrc.set(f.src_ip, s);
    }
    const rate = Math.max(f.sampling_rate, 1);
    const key = `${f.dst_ip}|${f.dst_port}`;
    s.targets.set(key, Math.min(s.targets.get(key) ?? Infinity, rate));
    s.ports.add(f.dst_port ?? 0);
    if (f.ip_protocol === 6 && ((f.tcp_flags ?? 0) & 0x12) === 0x02) s.syn++;
    s.first = Math.min(s.first, f.flow_start);
    s.last = Math.max(s.last, f.flow_start);
    s.max = Math.max(s.max, rate);
  }
  const rows = [...bySrc].map(([src, s]) => ({
    src_ip: src,
    targets_estimated: [...s.targets.values()].reduce((a, n) => a + n, 0),
    targets_sampled: s.targets.size,
    ports: s.ports.size,
    syn_only_flows: s.syn,
    first_seen: s.first,
    last_seen: s.last,
    sampling_rate: s.max,
  }));
  return rows
    .filter((x) => x.targets_estimated >= q.minTargets && x.targets_sampled >= q.minSampledTargets)
    .sort((a, b) => b.targets_estimated - a.targets_estimated || ipOrder(a.src_ip, b.src_ip))
    .slice(0, q.limit);
}

/** Addresses in the IPv6 (IPv4-mapped) space, as every store orders them. */
function ipOrder(a: string, b: string): number {
  const x = toIpv6Bytes(parseIp(a)!);
  const y = toIpv6Bytes(parseIp(b)!);
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
