import { describe, expect, it } from 'vitest';
import { internalRanges } from '../../core/rules.js';
import { FlowGenerator } from '../../gen/flows.js';
import { referenceAggregates } from '../../storage/conformance/reference.js';
import { aggregateForDeps } from './aggregate.js';
import { throughTheWire } from './wire.js';

describe('aggregateForDeps (the test input of discovery)', () => {
  it('gives the conformance reference aggregates for the fields discovery reads', () => {
    const gen = new FlowGenerator({ seed: 7, clients: 50, servers: 8 });
    const t0 = Date.UTC(2024, 0, 1);
    const sent = Array.from({ length: 2000 }, (_, i) => gen.next(t0 + i * 1000));
    const flows = throughTheWire([
      { via: { protocol: 'v9', address: '10.255.0.2', samplingRate: 3 }, flows: sent },
    ]);
    expect(flows.map((f) => f.sampling_rate)).toEqual(sent.map(() => 3));
    const key = (r: Record<string, unknown>) =>
      [r.window_start, r.exporter_ip, r.src_ip, r.dst_ip, r.src_port, r.dst_port, r.ip_protocol].join('|');
    const pick = (r: Record<string, unknown>) => [
      key(r),
      r.flow_count,
      r.bytes_total,
      r.packets_total,
      r.tcp_flags_observed,
      r.new_sessions,
    ];
    const ours = aggregateForDeps(flows)
      .map((r) => pick(r as unknown as Record<string, unknown>))
      .sort();
    const ref = referenceAggregates(flows, internalRanges())
      .map((r) => pick(r as unknown as Record<string, unknown>))
      .sort();
    expect(ours).toEqual(ref);
    expect(ours.length).toBeGreaterThan(100);
  });
});
