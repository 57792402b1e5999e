import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { CopyBinaryWriter, jsonText } from './copy-binary.js';
import { copyBinaryFrom } from './copy-from.js';
import { StoreInputError } from './insert.js';
import { PostgresFlowStore } from './store.js';

let db: TestDatabase;
let store: PostgresFlowStore;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresFlowStore({ url: db.url });
  await store.migrate();
  client = new pg.Client({ connectionString: db.url, options: '-c TimeZone=UTC' });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await store?.close();
  await db?.drop();
});

function flow(over: Partial<FlowRecord>): FlowRecord {
  return { ...emptyRecord('ipfix', '192.0.2.1', Date.UTC(2026, 0, 2, 3, 4, 5, 678)), ...over };
}

describe('COPY BINARY encoder against a real PostgreSQL', () => {
  it('round-trips every scalar type the raw tier uses, checked with PostgreSQL text output', async () => {
    await client.query(`CREATE TEMP TABLE t (a int2, b int4, c int8, d timestamptz, e inet, f jsonb, g bool,
      h flow_protocol_type, i text)`);
    const w = new CopyBinaryWriter(16); // tiny start: forces the buffer to grow
    w.begin();
    w.row(9);
    w.int2(-32768);
    w.int4(2147483647);
    w.int8(2n ** 62n + 5n);
    w.timestamptz(Date.UTC(1999, 11, 31, 23, 59, 59, 999));
    w.inet('2001:db8::ff00:42:8329');
    w.jsonb(jsonText({ name: 'Zürich 東京 🚀', n: 1 }));
    w.bool(true);
    w.text('sflow_v5');
    w.text('x');
    w.row(9);
    for (let i = 0; i < 9; i++) w.null();
    const n = await copyBinaryFrom(client, 't', w.finish());
    expect(n).toBe(2);
    const r = await client.query(
      'SELECT a::text, b::text, c::text, d::text, e::text, f::text, g::text, h::text, i FROM t',
    );
    expect(r.rows[0]).toEqual({
      a: '-32768',
      b: '2147483647',
      c: '4611686018427387909',
      d: '1999-12-31 23:59:59.999+00',
      e: '2001:db8::ff00:42:8329/128',
      f: '{"n": 1, "name": "Zürich 東京 🚀"}',
      g: 'true',
      h: 'sflow_v5',
      i: 'x',
    });
    expect(Object.values(r.rows[1]).every((v) => v === null)).toBe(true);
  });

  it('reports a server-side COPY error and leaves the connection usable', async () => {
    await client.query('CREATE TEMP TABLE u (a int4 NOT NULL)');
    const w = new CopyBinaryWriter();
    w.begin();
    w.row(1);
    w.null();
    await expect(copyBinaryFrom(client, 'u', w.finish())).rejects.toThrow(/null value/);
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('streams a batch larger than one CopyData chunk', async () => {
    await client.query('CREATE TEMP TABLE big (a int8, b text)');
    const w = new CopyBinaryWriter();
    w.begin();
    for (let i = 0; i < 50_000; i++) {
      w.row(2);
      w.int8(i);
      w.text(`row ${i}`);
    }
    expect(w.length).toBeGreaterThan(256 * 1024);
    expect(await copyBinaryFrom(client, 'big', w.finish())).toBe(50_000);
    const r = await client.query('SELECT sum(a)::text AS s, count(DISTINCT b)::int AS d FROM big');
    expect(r.rows[0]).toEqual({ s: String((49_999 * 50_000) / 2), d: 50_000 });
  });
});

describe('insertFlows round trip of tricky values', () => {
  const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  const records: FlowRecord[] = [
    flow({
      received_at: t0 + 1,
      flow_start: t0,
      flow_end: t0 + 1234,
      exporter_ip: '2001:db8::1',
      exporter_id: 4294967295, // observation domain: full u32
      src_ip: '2001:db8:0:1::10',
      dst_ip: 'fe80::1',
      src_port: 443,
      dst_port: 51234,
      ip_protocol: 6,
      bytes_total: 2n ** 40n + 7n, // beyond 2^31 and 2^32
      packets_total: 3_000_000_000,
      tcp_flags: 0x1b,
      input_interface: 4000000000,
      src_as: 4200000000, // 4-byte private ASN
      next_hop: '::ffff:10.9.8.7', // IPv4-mapped: stored as IPv4
      sampling_rate: 1000,
      extended_fields: {
        sampling_source: 'options',
        application_name: 'Ünïcödé ✓ 😀',
        nul: 'a\u0000b',
        big: 2n ** 60n,
        nested: { mpls_labels: [100, 200], quote: 'say "hi"\\' },
      },
    }),
    flow({
      protocol_type: 'sflow_v5',
      exporter_ip: '10.0.0.1',
      src_ip: null,
      dst_ip: null,
      src_port: null,
      dst_port: null,
      ip_protocol: null,
    }),
    { ...flow({}), record_type: 'sflow_counters' }, // never stored as a flow
  ];

  it('stores exactly what was given (PostgreSQL text output as the independent check)', async () => {
    await store.insertFlows(records);
    const r = await client.query(
      `SELECT received_at::text, flow_start::text, flow_end::text, exporter_ip::text, exporter_id::text,
              protocol_type::text, src_ip::text, dst_ip::text, src_port, dst_port, ip_protocol,
              bytes_total::text, packets_total::text, tcp_flags, input_interface::text, src_as::text,
              next_hop::text, sampling_rate::text, extended_fields->>'application_name' AS app,
              extended_fields->>'nul' AS nul, extended_fields->>'big' AS big,
              extended_fields->'nested'->>'quote' AS quote, extended_fields->'nested'->'mpls_labels' AS labels
         FROM flow_records ORDER BY exporter_ip DESC`,
    );
    expect(r.rows).toHaveLength(2);
    expect(r.rows[0]).toEqual({
      received_at: '2026-01-02 03:04:05.679+00',
      flow_start: '2026-01-02 03:04:05.678+00',
      flow_end: '2026-01-02 03:04:06.912+00',
      exporter_ip: '2001:db8::1/128',
      exporter_id: '4294967295',
      protocol_type: 'ipfix',
      src_ip: '2001:db8:0:1::10/128',
      dst_ip: 'fe80::1/128',
      src_port: 443,
      dst_port: 51234,
      ip_protocol: 6,
      bytes_total: '1099511627783',
      packets_total: '3000000000',
      tcp_flags: 0x1b,
      input_interface: '4000000000',
      src_as: '4200000000',
      next_hop: '10.9.8.7/32',
      sampling_rate: '1000',
      app: 'Ünïcödé ✓ 😀',
      nul: 'a\ufffdb', // jsonb cannot hold U+0000: replaced there, exact text kept aside (next test)
      big: '1152921504606846976',
      quote: 'say "hi"\\',
      labels: [100, 200],
    });
    expect(r.rows[1]).toMatchObject({
      exporter_ip: '10.0.0.1/32',
      protocol_type: 'sflow_v5',
      src_ip: null,
      dst_ip: null,
      src_port: null,
      dst_port: null,
      ip_protocol: null,
    });
  });

  it('returns extended fields exactly, U+0000 and lone surrogates included, through the flows query', async () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const r = await store.query({ kind: 'flows', from: t, to: t + 1, limit: 10 });
    const ipfix = r.rows.find((x) => x.exporter_ip === '2001:db8::1')!;
    expect(JSON.parse(ipfix.extended_fields as string)).toEqual({
      sampling_source: 'options',
      application_name: 'Ünïcödé ✓ 😀',
      nul: 'a\u0000b',
      big: '1152921504606846976',
      nested: { mpls_labels: [100, 200], quote: 'say "hi"\\' },
    });
    // Only that row needed the exact copy.
    const raw = await client.query('SELECT count(extended_fields_raw)::int AS n FROM flow_records');
    expect(raw.rows[0].n).toBe(1);
    await store.saveDecoderState('nul', { name: 'x\u0000y', lone: '\ud800' });
    expect(await store.loadDecoderState('nul')).toEqual({ name: 'x\u0000y', lone: '\ud800' });
  });

  it('lands each flow in the partition of its flow_start hour (or the default one when out of range)', async () => {
    const now = Date.now();
    const recent = Math.floor(now / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 17;
    await store.insertFlows([flow({ flow_start: recent, flow_end: recent + 5 })]);
    const r = await client.query(
      `SELECT tableoid::regclass::text AS part, (extract(epoch FROM flow_start) * 1000)::bigint::text AS t
         FROM flow_records ORDER BY flow_start`,
    );
    const hour = new Date(recent).toISOString();
    const expected = `flow_records_${hour.slice(0, 10).replaceAll('-', '')}${hour.slice(11, 13)}`;
    expect(r.rows.find((x) => x.t === String(recent))?.part).toBe(expected);
    // 2026-01-02 is older than raw retention relative to now: the default partition holds it.
    expect(r.rows.find((x) => x.t === String(t0))?.part).toBe('flow_records_default');
  });

  it('refuses an address that does not parse, naming the field', async () => {
    await expect(store.insertFlows([flow({ src_ip: '10.0.0.256' })])).rejects.toThrow(StoreInputError);
    await expect(store.insertFlows([flow({ dst_ip: 'not-an-ip' })])).rejects.toThrow(/dst_ip/);
  });

  it('stores a call larger than one COPY completely, and a failing one not at all', async () => {
    const base = Date.UTC(2024, 5, 1);
    const many = Array.from({ length: 120_000 }, (_v, i) =>
      flow({ flow_start: base + i, flow_end: base + i }),
    );
    const count = async () =>
      (
        await client.query(
          'SELECT count(*)::int AS n FROM flow_records WHERE flow_start >= $1 AND flow_start < $2',
          [new Date(base).toISOString(), new Date(base + 200_000).toISOString()],
        )
      ).rows[0].n;
    await expect(store.insertFlows([...many, flow({ flow_start: base, src_ip: 'bad' })])).rejects.toThrow(
      /src_ip/,
    );
    expect(await count()).toBe(0);
    await store.insertFlows(many);
    expect(await count()).toBe(120_000);
  });
});

describe('job progress', () => {
  it('aggregation records a time watermark instead of updating raw rows', async () => {
    const t = Date.UTC(2024, 5, 2, 10);
    await store.insertFlows([flow({ flow_start: t + 1000, flow_end: t + 2000 })]);
    const rep = await store.aggregateWindows(t, t + 3_600_000);
    expect(rep).toEqual({ windows: 1, rows: 1 });
    expect(await store.watermark('aggregate_windows')).toBeGreaterThanOrEqual(t + 3_600_000);
  });
});
