import { describe, expect, it } from 'vitest';
import type { DependencyEdge, DirectionRule } from '../storage/port.js';
import { inferEdges } from './infer.js';
import { edgeId, edgeKey, mergeEdges, toDependencyEdge } from './merge.js';
import type { ConversationRow, DiscoveredEdge } from './types.js';

const DAY = 86_400_000;
const T = Date.UTC(2024, 0, 1);

function discovered(over: Partial<DiscoveredEdge> & { rule: DirectionRule }): DiscoveredEdge {
  return {
    conversations: ['6|10.0.0.1|50000|10.0.0.2|40000'],
    client_ip: '10.0.0.1',
    client_ports: [50000],
    server_ip: '10.0.0.2',
    server_port: 40000,
    ip_protocol: 6,
    service_name: null,
    confidence: 'medium',
    request_bytes: 1,
    request_packets: 1,
    request_flows: 1,
    response_bytes: 1,
    response_packets: 1,
    response_flows: 1,
    sessions: 0,
    first_seen: T + DAY,
    last_seen: T + 2 * DAY,
    ...over,
  };
}

/** The same conversation seen the other way round: 10.0.0.2:40000 is the client of 10.0.0.1:50000. */
const reversed = (rule: DirectionRule) =>
  discovered({
    rule,
    client_ip: '10.0.0.2',
    client_ports: [40000],
    server_ip: '10.0.0.1',
    server_port: 50000,
    confidence: 'high',
  });

const stored = (rule: DirectionRule): DependencyEdge => ({
  ...toDependencyEdge(discovered({ rule, first_seen: T, last_seen: T + DAY }), 'edge-1'),
});

describe('mergeEdges', () => {
  it('a new edge gets a name-based id: the same edge always gets the same id', () => {
    const d = discovered({ rule: 'fan_in' });
    const { edges, corrections } = mergeEdges([], [d]);
    expect(edges).toEqual([toDependencyEdge(d, edgeId(edgeKey(d)))]);
    expect(edges[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(mergeEdges([], [d]).edges[0].id).toBe(edges[0].id);
    expect(corrections).toEqual([]);
  });

  it('the same direction again: times widen, the stronger rule stays', () => {
    const { edges, corrections } = mergeEdges([stored('tcp_flags')], [discovered({ rule: 'fan_in' })]);
    expect(edges).toEqual([{ ...stored('tcp_flags'), last_seen: T + 2 * DAY }]);
    expect(corrections).toEqual([]);
    expect(mergeEdges([stored('fan_in')], [discovered({ rule: 'tcp_flags' })]).edges[0].direction_rule).toBe(
      'tcp_flags',
    );
  });

  it('stronger contrary evidence turns the stored edge round and reports it; no second edge', () => {
    const { edges, corrections } = mergeEdges([stored('fan_in')], [reversed('tcp_flags')]);
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({
      id: 'edge-1',
      client_ip: '10.0.0.2',
      server_ip: '10.0.0.1',
      server_port: 50000,
      direction_rule: 'tcp_flags',
      first_seen: T,
      last_seen: T + 2 * DAY,
    });
    expect(corrections).toEqual([
      {
        id: 'edge-1',
        at: T + 2 * DAY,
        from: {
          client_ip: '10.0.0.1',
          server_ip: '10.0.0.2',
          server_port: 40000,
          rule: 'fan_in',
          confidence: 'medium',
        },
        to: {
          client_ip: '10.0.0.2',
          server_ip: '10.0.0.1',
          server_port: 50000,
          rule: 'tcp_flags',
          confidence: 'high',
        },
      },
    ]);
    // merging the corrected edge with the same evidence again changes nothing more
    expect(mergeEdges(edges, [reversed('tcp_flags')]).corrections).toEqual([]);
  });

  it('weaker or equal contrary evidence leaves the direction; a given edge never turns', () => {
    for (const [have, seen] of [
      ['tcp_flags', 'service_port'],
      ['fan_in', 'fan_in'],
      ['given', 'biflow'],
    ] as [DirectionRule, DirectionRule][]) {
      const { edges, corrections } = mergeEdges([stored(have)], [reversed(seen)]);
      expect(corrections).toEqual([]);
      expect(edges).toEqual([{ ...stored(have), last_seen: T + 2 * DAY }]);
    }
  });

  it('beside the edge of its own direction, a reversed edge of the same two hosts is left alone (never removed)', () => {
    const twin: DependencyEdge = {
      ...toDependencyEdge(reversed('lower_port'), 'edge-2'),
      first_seen: T,
      last_seen: T,
    };
    const { edges, corrections } = mergeEdges(
      [twin, stored('service_port')],
      [discovered({ rule: 'service_port' })],
    );
    // Only the matching edge is written; the reversed one may come from another conversation of the pair
    // (the store keeps no client port), so it stays as stored.
    expect(edges.map((e) => e.id)).toEqual(['edge-1']);
    expect(corrections).toEqual([]);
  });

  it('end to end: a later run with biflow evidence corrects what the lower port decided', () => {
    const base = {
      ip_protocol: 6,
      flow_count: 1,
      bytes_total: 100,
      packets_total: 2,
      tcp_flags_observed: 0x18,
      new_sessions: 0,
    };
    const day1: ConversationRow[] = [
      { ...base, window_start: T, src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_port: 50000, dst_port: 30005 },
      { ...base, window_start: T, src_ip: '10.0.0.2', dst_ip: '10.0.0.1', src_port: 30005, dst_port: 50000 },
    ];
    const first = mergeEdges([], inferEdges(day1).edges);
    expect(
      first.edges.map((e) => `${e.client_ip} -> ${e.server_ip}:${e.server_port} ${e.direction_rule}`),
    ).toEqual(['10.0.0.1 -> 10.0.0.2:30005 lower_port']);
    const biflow = {
      src_initiated: 0,
      dst_initiated: 1,
      reverse_bytes: 0,
      reverse_packets: 0,
      reverse_flows: 0,
      reverse_tcp_flags: 0,
    };
    const day2 = day1.map((r) => ({
      ...r,
      window_start: T + DAY,
      biflow: r.src_ip === '10.0.0.1' ? biflow : undefined,
    }));
    const second = mergeEdges(first.edges, inferEdges(day2).edges);
    expect(second.edges).toHaveLength(1);
    expect(second.edges[0]).toMatchObject({
      id: first.edges[0].id,
      client_ip: '10.0.0.2',
      server_port: 50000,
      direction_rule: 'biflow',
    });
    expect(second.corrections.map((c) => [c.from.rule, c.to.rule, c.at])).toEqual([
      ['lower_port', 'biflow', T + DAY + 300_000],
    ]);
  });
});
