import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../core/record.js';
import { packRecords, unpackRecords } from './record-codec.js';

function full(): FlowRecord {
  return {
    ...emptyRecord('ipfix', '2001:db8::1', 1_700_000_000_123),
    flow_start: 1_700_000_000_000,
    flow_end: 1_700_000_000_100,
    exporter_id: 4_294_967_295,
    src_ip: '10.0.0.1',
    dst_ip: 'fe80::1',
    src_port: 0,
    dst_port: 65535,
    ip_protocol: 6,
    bytes_total: 2 ** 53 - 1,
    packets_total: 3,
    tcp_flags: 0x12,
    input_interface: 1,
    output_interface: 2,
    src_as: 4_200_000_000,
    dst_as: 0,
    next_hop: '10.0.0.254',
    src_vlan: 4095,
    dst_vlan: null,
    tos: 0,
    direction: 1,
    sampling_rate: 1000,
    extended_fields: {
      sampling_source: 'options',
      applicationName: 'https',
      raw: new Uint8Array([1, 2]),
      big: 2n ** 64n - 1n,
    },
  };
}

describe('record codec (worker -> receive thread)', () => {
  it('round-trips records exactly, including nulls, bigint counters, record types and byte values', () => {
    const a = full();
    const b = emptyRecord('sflow_v5', '192.0.2.1', 5); // all optional columns null
    const c = { ...full(), bytes_total: 2n ** 64n - 1n }; // bigint counter: travels whole
    const d: FlowRecord = { ...emptyRecord('sflow_v5', '192.0.2.1', 6), record_type: 'sflow_counters' };
    const records = [a, b, c, d, a];
    const { packed, transfer } = packRecords(records);
    expect(packed.others.map(([i]) => i)).toEqual([2, 3]);
    // What postMessage does: clone with the typed arrays' buffers transferred.
    const copy = deserialize(serialize(packed));
    expect(transfer.length).toBe(2);
    expect(unpackRecords(copy)).toEqual(records);
    expect(packed.table.filter((s) => s === '2001:db8::1').length).toBe(1); // strings deduplicated
  });
});
