/**
 * Inference off the main thread (infer-thread.ts) answers exactly what inferEdges answers on the same rows
 * and options (the rows and the operator's port map cross a structured clone): random conversations with
 * services, ephemeral pairs, one-way probes, biflow evidence and user ports.
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../storage/conformance/generator.js';
import type { ConversationTotalsRow } from '../storage/port.js';
import { conversationRow } from './discover.js';
import { inferEdges } from './infer.js';
import { inferOffThread } from './infer-thread.js';

function randomRows(seed: number, n: number): ConversationTotalsRow[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const int = (k: number) => Math.floor(r() * k);
  return Array.from({ length: n }, () => ({
    src_ip: pick(['10.0.0.1', '10.0.0.2', '10.0.0.3', '192.0.2.9', '2001:db8::1', '2001:db8::2']),
    dst_ip: pick(['10.0.1.1', '10.0.1.2', '198.51.100.7', '2001:db8::9']),
    src_port: pick([443, 53, 22, 8443, 40000 + int(20000), 1024 + int(4000)]),
    dst_port: pick([443, 53, 5432, 9999, 40000 + int(20000)]),
    ip_protocol: pick([6, 17, 132]),
    first_window: 1_700_000_000_000 + int(100) * 300_000,
    last_window: 1_700_030_000_000 + int(100) * 300_000,
    flow_count: 1 + int(50),
    bytes_total: int(1e6),
    packets_total: 1 + int(1000),
    new_sessions: int(5),
    tcp_flags_observed: int(64),
    syn_no_ack_rows: int(2),
    reverse_syn_no_ack_rows: int(2),
    src_initiated: r() < 0.2 ? int(5) : 0,
    dst_initiated: r() < 0.1 ? int(5) : 0,
    reverse_bytes: r() < 0.2 ? int(1e5) : 0,
    reverse_packets: r() < 0.2 ? int(100) : 0,
    reverse_tcp_flags: r() < 0.2 ? int(64) : 0,
    reverse_flows: r() < 0.2 ? int(5) : 0,
  }));
}

describe('inference off the main thread', () => {
  it('gives what inferEdges gives on the same rows and options', async () => {
    for (const seed of [1, 2, 3]) {
      const rows = randomRows(seed, 3_000);
      const options = { userPorts: new Map([['9999/6', 'custom']]), minFanIn: 2, scanMinTargets: 10 };
      const want = inferEdges(rows.map(conversationRow), options);
      expect(want.edges.length).toBeGreaterThan(50);
      expect(await inferOffThread(rows, options)).toEqual(want);
    }
  });
});
