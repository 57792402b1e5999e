/**
 * Rows encoded in the decode workers for PostgreSQL (row-encoder.ts + store.insertEncoded): the bytes a
 * worker makes store exactly what insertFlows stores for the same records, into the hourly partitions of
 * their hours, once per batch id however they are chunked.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { HOUR_MS } from '../../core/rules.js';
import { loadRowEncoder } from '../port.js';
import { encodeRows } from '../testing/encoded.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;

/** n varied flows over five hours from 30 hours ago (hours no premade partition covers). */
function flows(n: number): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    ...emptyRecord(
      i % 2 ? 'ipfix' : 'netflow_v9',
      `192.0.2.${1 + (i % 3)}`,
      hourNow - 30 * HOUR_MS + i * 997,
    ),
    flow_end: hourNow - 30 * HOUR_MS + i * 997 + 1500.25,
    src_ip:
      i % 5 === 0
        ? `2001:db8::${i.toString(16)}`
        : i % 7 === 0
          ? `::ffff:10.1.0.${i % 256}`
          : `10.0.${i >> 8}.${i & 255}`,
    dst_ip: '10.9.9.9',
    src_port: 40000 + (i % 1000),
    dst_port: [443, 53, 22][i % 3],
    ip_protocol: i % 3 === 1 ? 17 : 6,
    bytes_total: i % 11 === 0 ? 2n ** 63n + BigInt(i) : 1000 + i,
    packets_total: 2 + i,
    tcp_flags: i % 64,
    next_hop: i % 4 === 0 ? null : '10.255.0.1',
    sampling_rate: 1 + (i % 3) * 999,
    extended_fields: {
      sampling_source: 'none',
      ...(i % 6 === 0
        ? { application_name: `app\u0000${i}`, bgp_communities: [i, 65000] }
        : { observation_domain_id: i }),
    },
  }));
}

let db: TestDatabase;
let store: PostgresFlowStore;
const ROWS_SQL = `SELECT received_at, flow_start, flow_end, host(exporter_ip) AS exporter_ip, protocol_type,
  host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, src_port, dst_port, ip_protocol, bytes_total, packets_total,
  tcp_flags, host(next_hop) AS next_hop, sampling_rate, extended_fields, extended_fields_raw,
  tableoid::regclass::text AS partition
  FROM flow_records ORDER BY flow_start, src_ip`;
const dump = async () => (await store.pool.query(ROWS_SQL)).rows;
const count = async () =>
  Number((await store.pool.query('SELECT count(*)::int AS n FROM flow_records')).rows[0].n);

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresFlowStore({ url: db.url });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});
beforeEach(async () => {
  await store.pool.query('TRUNCATE flow_records, ingest_batches');
});

describe('PostgreSQL rows encoded in the decode workers', () => {
  it('store exactly what insertFlows stores, each in its hourly partition, none in the default', async () => {
    const records = flows(20_000);
    await store.insertFlows(records);
    const viaRecords = await dump();
    await store.pool.query('TRUNCATE flow_records');
    const encoded = await encodeRows(store.rowEncoding, records, 7);
    expect(await store.rowEncoding.insertEncoded(encoded)).toEqual({ rows: 20_000, duplicate: false });
    const viaEncoded = await dump();
    expect(viaEncoded.length).toBe(20_000);
    expect(viaEncoded).toEqual(viaRecords);
    const partitions = new Set(viaEncoded.map((r) => r.partition));
    expect(partitions.size).toBeGreaterThanOrEqual(5);
    expect(partitions.has('flow_records_default')).toBe(false);
    // The NUL jsonb cannot hold: U+FFFD there, the exact text kept beside it.
    const odd = viaEncoded.find((r) => r.extended_fields_raw !== null);
    expect(odd?.extended_fields.application_name).toMatch(/^app\uFFFD\d+$/);
    expect(JSON.parse(odd?.extended_fields_raw).application_name).toMatch(/^app\u0000\d+$/);
  });

  it('the encoder leaves out and names a record it cannot encode, and skips records that are not flows', async () => {
    const [a, b, c] = flows(3);
    const bad = { ...b, src_ip: 'not-an-ip' };
    const options: FlowRecord = { ...c, record_type: 'options' };
    const enc = await loadRowEncoder(store.rowEncoding.encoderModule);
    expect(enc.add([a])).toEqual([]);
    const first = enc.take();
    expect(enc.add([bad, options, c])).toEqual([bad]);
    const second = enc.take();
    expect([first.rows, second.rows]).toEqual([1, 1]);
    await store.rowEncoding.insertEncoded({
      chunks: [first.data, second.data],
      rows: 2,
      starts: [a.flow_start, c.flow_start],
    });
    const got = await dump();
    expect(got.map((r) => Number(r.packets_total))).toEqual([a.packets_total, c.packets_total]);
  });

  it('stores a batch id once however the rows are chunked, also when both inserts run at once', async () => {
    const records = flows(30_000);
    const r = store.rowEncoding;
    expect(await r.insertEncoded(await encodeRows(r, records, 9), { batchId: 'e1' })).toEqual({
      rows: 30_000,
      duplicate: false,
    });
    expect(await r.insertEncoded(await encodeRows(r, records, 1), { batchId: 'e1' })).toEqual({
      rows: 0,
      duplicate: true,
    });
    expect(await count()).toBe(30_000);
    const [one, three] = [await encodeRows(r, records, 1), await encodeRows(r, records, 3)];
    const results = await Promise.all([
      r.insertEncoded(one, { batchId: 'twin' }),
      r.insertEncoded(three, { batchId: 'twin' }),
      store.insertFlows(records, { batchId: 'twin' }),
    ]);
    expect(results.filter((x) => !x.duplicate)).toEqual([{ rows: 30_000, duplicate: false }]);
    expect(await count()).toBe(60_000);
  });

  it('a COPY the server refuses stores nothing and leaves no ledger row', async () => {
    const encoded = await encodeRows(store.rowEncoding, flows(100));
    const torn = { ...encoded, chunks: [encoded.chunks[0].subarray(0, encoded.chunks[0].length - 3)] };
    await expect(store.rowEncoding.insertEncoded(torn, { batchId: 'torn' })).rejects.toThrow();
    expect(await count()).toBe(0);
    expect((await store.pool.query('SELECT count(*)::int AS n FROM ingest_batches')).rows[0].n).toBe(0);
    expect(await store.rowEncoding.insertEncoded(encoded, { batchId: 'torn' })).toEqual({
      rows: 100,
      duplicate: false,
    });
  });
});
