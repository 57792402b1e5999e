/**
 * Seeded flow generator for the conformance suite and benchmarks: one UTC day of conversations between
 * internal/external IPv4 and IPv6 hosts and a set of services, seen by several exporters with sampling
 * rates 1, 100 and 1000; TCP flag patterns (SYN, SYN-ACK, FIN, RST, ACK-only), ephemeral client ports,
 * UDP and ICMP, flows exported late (received minutes after they ended) and inserted out of order.
 */

import { Prng } from '../../core/prng.js';
import { emptyRecord, type FlowRecord, type ProtocolType } from '../../core/record.js';
import { DAY_MS, WINDOW_MS } from '../../core/rules.js';

/** Uniform [0, 1) draws from a seeded PRNG: same seed, same flows. */
export function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

export interface Exporter {
  ip: string;
  protocol: ProtocolType;
  samplingRate: number;
}

export const EXPORTERS: Exporter[] = [
  { ip: '192.0.2.1', protocol: 'netflow_v9', samplingRate: 1 },
  { ip: '192.0.2.2', protocol: 'ipfix', samplingRate: 100 },
  { ip: '2001:db8:ffff::2', protocol: 'sflow_v5', samplingRate: 1000 },
  { ip: '192.0.2.3', protocol: 'netflow_v5', samplingRate: 1 },
];

export interface Service {
  server: string;
  port: number;
  proto: number;
}

/** Servers and their service ports (TCP unless noted). */
export const SERVICES: Service[] = [
  { server: '10.1.0.10', port: 443, proto: 6 },
  { server: '10.1.0.11', port: 5432, proto: 6 },
  { server: '10.1.0.12', port: 8080, proto: 6 },
  { server: '192.168.5.5', port: 53, proto: 17 },
  { server: '198.51.100.7', port: 443, proto: 6 },
  { server: 'fd00::10', port: 443, proto: 6 },
  { server: '2001:db8:1::5', port: 22, proto: 6 },
  { server: '172.16.3.3', port: 9000, proto: 17 },
];

export const CLIENTS: string[] = [
  '10.2.0.1',
  '10.2.0.2',
  '10.2.0.3',
  '192.168.1.100',
  '172.20.0.9',
  '203.0.113.50',
  '203.0.113.51',
  'fd00::1:1',
  'fd00::1:2',
  '2001:db8:2::99',
];

export interface GeneratorOptions {
  seed: number;
  /** Start of the UTC day the flows belong to (ms, day-aligned). */
  day: number;
  /** Conversations to generate (each gives one or two flows). */
  conversations: number;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function base(exp: Exporter, start: number, end: number, received: number): FlowRecord {
  return {
    ...emptyRecord(exp.protocol, exp.ip, received),
    flow_start: start,
    flow_end: end,
    exporter_id: exp.protocol === 'netflow_v5' ? 0 : 1,
    sampling_rate: exp.samplingRate,
    extended_fields: {
      sampling_source: exp.samplingRate === 1 ? 'none' : exp.protocol === 'sflow_v5' ? 'sflow' : 'options',
    },
  };
}

const CLIENT_FLAGS = [0x02, 0x12, 0x13, 0x1b, 0x10, 0x14, 0x06, 0x19]; // SYN, SYN|ACK.., ACK only, RST
const SERVER_FLAGS = [0x12, 0x13, 0x1b, 0x10, 0x14, 0x11];

/**
 * Generates the day's flows (unordered: callers shuffle or slice). The first SERVICES entry is "busy": it
 * gets traffic in almost every 5-minute window so its daily percentiles are not all zero.
 */
export function generateFlows(opts: GeneratorOptions): FlowRecord[] {
  const r = rng(opts.seed);
  const out: FlowRecord[] = [];
  const windows = DAY_MS / WINDOW_MS;
  // Busy edge: one conversation in ~95% of windows, client 10.2.0.1 -> 10.1.0.10:443.
  for (let w = 0; w < windows; w++) {
    if (r() < 0.05) continue;
    out.push(
      ...conversation(r, opts.day + w * WINDOW_MS + Math.floor(r() * WINDOW_MS), CLIENTS[0], SERVICES[0]),
    );
  }
  for (let i = 0; i < opts.conversations; i++) {
    const start = opts.day + Math.floor(r() * (DAY_MS - 1000));
    out.push(...conversation(r, start, pick(r, CLIENTS), pick(r, SERVICES)));
  }
  // ICMP echo and a non-IP sample (no addresses, no ports) from the sFlow exporter.
  for (let i = 0; i < 20; i++) {
    const start = opts.day + Math.floor(r() * (DAY_MS - 1000));
    const exp = pick(r, EXPORTERS);
    const f = base(exp, start, start + 10, start + 1000);
    f.src_ip = pick(r, CLIENTS);
    f.dst_ip = pick(r, SERVICES).server;
    f.ip_protocol = f.src_ip.includes(':') === f.dst_ip.includes(':') && f.src_ip.includes(':') ? 58 : 1;
    f.src_port = 0;
    f.dst_port = 2048;
    f.bytes_total = 84;
    f.packets_total = 1;
    out.push(f);
  }
  for (let i = 0; i < 3; i++) {
    const start = opts.day + Math.floor(r() * (DAY_MS - 1000));
    const f = base(EXPORTERS[2], start, start, start + 10);
    f.bytes_total = 64;
    f.packets_total = 1;
    f.extended_fields = { sampling_source: 'sflow', header_protocol: 1, frame_length: 64 };
    out.push(f);
  }
  return out;
}

/** One conversation: a client -> server flow and usually the server -> client reply, same exporter. */
function conversation(r: () => number, start: number, client: string, svc: Service): FlowRecord[] {
  const exp = pick(r, EXPORTERS);
  const dur = Math.floor(r() * 120_000);
  const end = Math.min(start + dur, Math.floor(start / DAY_MS) * DAY_MS + DAY_MS - 1);
  // Late export: a quarter of the flows arrive 2-20 minutes after they ended.
  const received = end + (r() < 0.25 ? 120_000 + Math.floor(r() * 1_080_000) : Math.floor(r() * 5000));
  // Client ports: mostly ephemeral (Linux/Windows ranges), sometimes a low BSD-style port.
  const cport = r() < 0.85 ? 32768 + Math.floor(r() * 32767) : 1024 + Math.floor(r() * 4000);
  const tcp = svc.proto === 6;
  const bytes = 40 + Math.floor(r() * 200_000);
  const pkts = 1 + Math.floor(bytes / 1000);
  const iif = r() < 0.9 ? 1 + Math.floor(r() * 4) : null;
  const oif = r() < 0.9 ? 10 + Math.floor(r() * 3) : null;
  const fwd = base(exp, start, end, received);
  Object.assign(fwd, {
    src_ip: client,
    dst_ip: svc.server,
    src_port: cport,
    dst_port: svc.port,
    ip_protocol: svc.proto,
    bytes_total: bytes,
    packets_total: pkts,
    tcp_flags: tcp ? pick(r, CLIENT_FLAGS) : null,
    input_interface: iif,
    output_interface: oif,
    src_as: client.startsWith('203.') ? 64500 : null,
    tos: r() < 0.5 ? 0 : 46,
  });
  if (r() < 0.3) return [fwd];
  const rbytes = 40 + Math.floor(r() * 2_000_000);
  const rev = base(exp, start + 1, end, received);
  Object.assign(rev, {
    src_ip: svc.server,
    dst_ip: client,
    src_port: svc.port,
    dst_port: cport,
    ip_protocol: svc.proto,
    bytes_total: rbytes,
    packets_total: 1 + Math.floor(rbytes / 1400),
    tcp_flags: tcp ? pick(r, SERVER_FLAGS) : null,
    input_interface: oif,
    output_interface: iif,
    dst_as: client.startsWith('203.') ? 64500 : null,
    next_hop: client.includes(':') ? null : '10.255.0.1',
  });
  return [fwd, rev];
}

/** Fisher-Yates with the seeded generator: insertion order out of time order. */
export function shuffle<T>(xs: T[], seed: number): T[] {
  const r = rng(seed);
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
