/**
 * Edge cases of the 5-minute aggregation SQL that the conformance corpus does not reach: per-flow products
 * beyond int8 (the numeric path of the scaled sums) and the INT8_MAX clamp, a group mixing two protocols,
 * several interface values (sorted, distinct, nulls dropped), a negative duration, a group without any
 * interface. Expected values are computed by hand from the rules in src/jobs/README.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const H = 3_600_000;
const T = Math.floor(Date.now() / H) * H - 2 * H; // inside raw retention, window-aligned
const W = T + 10 * 60_000; // the 5-minute window [W, W + 5 min)

function flow(over: Partial<FlowRecord>): FlowRecord {
  return {
    ...emptyRecord('ipfix', '192.0.2.9', W + 60_000),
    flow_start: W + 1000,
    flow_end: W + 1000,
    exporter_id: 1,
    src_ip: '10.1.1.1',
    dst_ip: '8.8.8.8',
    src_port: 50000,
    dst_port: 443,
    ip_protocol: 6,
    ...over,
  };
}

describe('PostgreSQL 5-minute aggregation edge cases', () => {
  let db: TestDatabase;
  let store: PostgresFlowStore;
  let rows: Record<string, unknown>[];

  beforeAll(async () => {
    db = await createTestDatabase('flowlens_agg');
    store = new PostgresFlowStore({ url: db.url });
    await store.migrate();
    await store.insertFlows([
      // Group A (10.1.1.1 -> 8.8.8.8:443, client port collapsed): 2^40 bytes x rate 1000 overflows
      // the int8 fast path's bound, plus a netflow_v9 flow and a negative duration.
      flow({
        bytes_total: 2 ** 40,
        packets_total: 5,
        sampling_rate: 1000,
        input_interface: 3,
        tcp_flags: 0x02,
        flow_end: W + 1000 + 1500,
      }),
      flow({
        protocol_type: 'netflow_v9',
        src_port: 50001,
        bytes_total: 100,
        packets_total: 2,
        input_interface: 1,
        tcp_flags: 0x11,
        flow_start: W + 2000,
        flow_end: W + 2000,
      }),
      flow({
        bytes_total: 10,
        packets_total: 1,
        input_interface: 3,
        output_interface: 7,
        tcp_flags: 0x04,
        flow_start: W + 3000,
        flow_end: W + 2000,
      }),
      // Group B (10.2.2.2 -> 8.8.4.4:443): 2^62 x rate 4 = 2^64 is clamped to INT8_MAX.
      flow({
        src_ip: '10.2.2.2',
        dst_ip: '8.8.4.4',
        bytes_total: 2 ** 62,
        packets_total: 3_000_000_000,
        sampling_rate: 4,
      }),
      // Group C: internal -> internal DNS over IPv6, sFlow, no interfaces, 40000 -> 53 collapses.
      flow({
        protocol_type: 'sflow_v5',
        src_ip: 'fd00::1',
        dst_ip: 'fd00::2',
        src_port: 40000,
        dst_port: 53,
        ip_protocol: 17,
        bytes_total: 80,
        packets_total: 1,
      }),
    ]);
    await store.aggregateWindows(T, T + H);
    const r = await store.query({ kind: 'aggregate_rows', from: T, to: T + H });
    rows = r.rows;
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const find = (src: string) => rows.find((r) => r.src_ip === src)!;

  it('one row per collapsed key', () => {
    expect(rows.map((r) => `${r.src_ip}:${r.src_port}->${r.dst_ip}:${r.dst_port}`).sort()).toEqual([
      '10.1.1.1:0->8.8.8.8:443',
      '10.2.2.2:0->8.8.4.4:443',
      'fd00::1:0->fd00::2:53',
    ]);
  });

  it('scaled sums past int8 per flow, mixed protocols, interfaces, sessions, durations', () => {
    const a = find('10.1.1.1');
    expect(String(a.window_start)).toBe(String(W));
    expect(Number(a.flow_count)).toBe(3);
    expect(String(a.bytes_total)).toBe((2n ** 40n * 1000n + 110n).toString());
    expect(String(a.bytes_sampled)).toBe((2n ** 40n + 110n).toString());
    expect(Number(a.packets_total)).toBe(5 * 1000 + 2 + 1);
    expect(Number(a.packets_sampled)).toBe(8);
    expect(Number(a.sampling_rate)).toBe(1000);
    expect(Number(a.tcp_flags_observed)).toBe(0x02 | 0x11 | 0x04);
    expect(Number(a.new_sessions)).toBe(1);
    expect(Number(a.closed_sessions)).toBe(2);
    expect(Number(a.min_duration_ms)).toBe(0);
    expect(Number(a.max_duration_ms)).toBe(1500);
    expect(Number(a.avg_duration_ms)).toBe(500);
    expect(a.protocol_sources).toBe('{"ipfix":2,"netflow_v9":1}');
    expect(a.interfaces).toBe('{"input":[1,3],"output":[7]}');
    expect(Number(a.is_internal)).toBe(0); // the aggregate_rows query renders booleans as 0/1
    expect(a.traffic_direction).toBe('egress');
  });

  it('clamps a sum beyond int8 to INT8_MAX', () => {
    const b = find('10.2.2.2');
    expect(String(b.bytes_total)).toBe('9223372036854775807');
    expect(String(b.bytes_sampled)).toBe((2n ** 62n).toString());
    expect(String(b.packets_total)).toBe('12000000000');
    expect(b.protocol_sources).toBe('{"ipfix":1}');
    expect(b.interfaces).toBe('{"input":[],"output":[]}');
  });

  it('internal both ends, single protocol, no interfaces', () => {
    const c = find('fd00::1');
    expect(c.protocol_sources).toBe('{"sflow_v5":1}');
    expect(c.interfaces).toBe('{"input":[],"output":[]}');
    expect(Number(c.is_internal)).toBe(1);
    expect(c.traffic_direction).toBe('internal');
    expect(Number(c.avg_duration_ms)).toBe(0);
  });
});
