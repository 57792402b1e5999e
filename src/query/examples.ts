/**
 * The design's six example queries (design-notes/flow-table.md section 5.1) as first-class queries of the
 * query module, so they run on every store, planned across tiers, with the design's defects fixed:
 * times select on flow_start (not received_at); query 2 counts flows as the sum of flow_count (the plan
 * does this), not aggregate rows; query 5 is scan detection with sampling and SYN-without-ACK
 * (tcp_flags & 0x12 = 0x02), not any flow with SYN set (which matched every SYN-ACK and ordinary flows).
 * `flowlens query example N`, GET /api/v1/examples/:n.
 */
import { DAY_MS, HOUR_MS } from '../core/rules.js';
import type { Query } from './ast.js';
import { parseFilter } from './filter/index.js';

export interface Example {
  n: number;
  title: string;
  description: string;
  /** The filter in the filter language (what a user would type). */
  filter: string;
  kind: Query['kind'];
  /** The default range ending now (ms). */
  rangeMs: number;
  /** The query over [from, to). */
  build(range: { from: number; to: number; filter: string }): Query;
}

const parsed = (f: string) => parseFilter(f);

export const EXAMPLES: readonly Example[] = [
  {
    n: 1,
    title: 'Flows of one source in a window',
    description: 'Raw flows sent by 10.1.2.3, newest first (flow search on flow_start).',
    filter: 'src host 10.1.2.3',
    kind: 'flow_search',
    rangeMs: HOUR_MS,
    build: (r) => ({ kind: 'flow_search', from: r.from, to: r.to, filter: parsed(r.filter), limit: 100 }),
  },
  {
    n: 2,
    title: 'Top destinations from a network',
    description:
      'The 20 destinations (address and port) receiving most bytes from 10.0.0.0/8, with flows counted as flows (the design counted aggregate rows).',
    filter: 'src net 10.0.0.0/8',
    kind: 'top',
    rangeMs: DAY_MS,
    build: (r) => ({
      kind: 'top',
      by: ['dst_ip', 'dst_port'],
      metric: 'bytes',
      limit: 20,
      from: r.from,
      to: r.to,
      filter: parsed(r.filter),
    }),
  },
  {
    n: 3,
    title: 'Flows of an application',
    description: 'Raw flows whose extended field application_name is "HTTPS".',
    filter: 'ext.application_name = "HTTPS"',
    kind: 'flow_search',
    rangeMs: HOUR_MS,
    build: (r) => ({ kind: 'flow_search', from: r.from, to: r.to, filter: parsed(r.filter), limit: 100 }),
  },
  {
    n: 4,
    title: 'Subnet to subnet per hour',
    description: 'Bytes from 10.1.0.0/16 to 10.2.0.0/16 per hour over 7 days.',
    filter: 'src net 10.1.0.0/16 and dst net 10.2.0.0/16',
    kind: 'series',
    rangeMs: 7 * DAY_MS,
    build: (r) => ({
      kind: 'series',
      by: [],
      metric: 'bytes',
      limit: 10,
      step: HOUR_MS,
      from: r.from,
      to: r.to,
      filter: parsed(r.filter),
    }),
  },
  {
    n: 5,
    title: 'Scan detection',
    description:
      'Sources reaching 100 or more estimated distinct targets (sampling accounted for) over TCP, with SYN-without-ACK counts as evidence (the design matched any SYN).',
    filter: 'proto tcp',
    kind: 'scans',
    rangeMs: HOUR_MS,
    build: (r) => ({
      kind: 'scans',
      from: r.from,
      to: r.to,
      filter: parsed(r.filter),
      minTargets: 100,
      minSampledTargets: 5,
      limit: 100,
    }),
  },
  {
    n: 6,
    title: 'Vendor field of one exporter',
    description: 'Raw flows from exporter 192.0.2.1 carrying the Cisco firewall_event vendor field.',
    filter: 'exporter 192.0.2.1 and exists ext.vendor.cisco.firewall_event',
    kind: 'flow_search',
    rangeMs: HOUR_MS,
    build: (r) => ({ kind: 'flow_search', from: r.from, to: r.to, filter: parsed(r.filter), limit: 100 }),
  },
];

/** Example N (1-6), or null. */
export function exampleQuery(n: number): Example | null {
  return EXAMPLES.find((e) => e.n === n) ?? null;
}
