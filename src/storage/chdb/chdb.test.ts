/** Backend-specific behaviour of the embedded ClickHouse store (the shared behaviour: conformance.test.ts). */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { FOREVER } from '../../core/retention.js';
import { DAY_MS, HOUR_MS } from '../../core/rules.js';
import { StoreInputError } from './encode.js';
import { type ChdbStore, openChdbStore } from './index.js';

const now = Date.now();
const hourNow = Math.floor(now / HOUR_MS) * HOUR_MS;

function flow(t: number, src = '10.0.0.1'): FlowRecord {
  return {
    ...emptyRecord('netflow_v9', '192.0.2.1', t),
    src_ip: src,
    dst_ip: '10.9.9.9',
    src_port: 40000,
    dst_port: 443,
    ip_protocol: 6,
    bytes_total: 1000,
    packets_total: 2,
  };
}

describe('chdb store', () => {
  let store: ChdbStore;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-be-'));
  // Raw flows from 4 hours (hours -30, -29, -2, -1) and 2 days; raw retention 1 day.
  const hours = [-30, -29, -2, -1].map((h) => hourNow + h * HOUR_MS);
  beforeAll(async () => {
    store = await openChdbStore({ dir });
    await store.migrate();
    await store.setRetention({ raw: DAY_MS, aggregates: 2 * DAY_MS, daily: 60 * DAY_MS });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sorts every tier time-first and partitions raw hourly, aggregates daily, daily stats monthly', async () => {
    const t = await store.sql<{ name: string; sorting_key: string; partition_key: string }>(
      `SELECT name, sorting_key, partition_key FROM system.tables
       WHERE database = currentDatabase() AND name IN ('flow_records', 'flow_aggregates', 'dependency_stats')
       ORDER BY name`,
    );
    expect(t).toEqual([
      {
        name: 'dependency_stats',
        sorting_key: 'stat_date, dependency_id',
        partition_key: 'toYYYYMM(stat_date)',
      },
      {
        name: 'flow_aggregates',
        sorting_key: 'window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol',
        partition_key: 'toDate(window_start)',
      },
      {
        name: 'flow_records',
        sorting_key: 'toStartOfHour(flow_start), exporter_ip, flow_start',
        partition_key: 'toStartOfHour(flow_start)',
      },
    ]);
  });

  it('carries TTLs equal to the configured retention, and changes them when it changes', async () => {
    const ttl = async () =>
      Object.fromEntries(
        (
          await store.sql<{ name: string; engine_full: string }>(
            `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()
             AND name IN ('flow_records', 'flow_aggregates', 'dependency_stats')`,
          )
        ).map((r) => [r.name, /TTL (.*?) SETTINGS/.exec(r.engine_full)?.[1]]),
      );
    expect(await ttl()).toEqual({
      flow_records: 'flow_start + toIntervalSecond(86400)',
      flow_aggregates: "toDateTime64(window_start, 0, 'UTC') + toIntervalSecond(172800)",
      dependency_stats: 'toDate32(stat_date) + toIntervalDay(60)',
    });
    expect((await store.migrate()).applied).toEqual([]);
  });

  it('keeps flows under a 100-year or FOREVER retention (a TTL that wrapped into the past deleted them)', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'flowlens-chdb-ttl-'));
    const s2 = await (async () => {
      await store.close(); // one chdb directory per process at a time
      return openChdbStore({ dir: dir2 });
    })();
    try {
      await s2.migrate();
      const year = 365 * DAY_MS;
      const rows = [flow(hourNow - HOUR_MS), flow(hourNow - 20 * DAY_MS, '10.0.0.9')];
      for (const policy of [
        { raw: 100 * year, aggregates: 100 * year, daily: 100 * year },
        { raw: FOREVER, aggregates: FOREVER, daily: FOREVER },
        { raw: 200 * year, aggregates: 200 * year, daily: 500 * year },
      ]) {
        await s2.setRetention(policy);
        await s2.insertFlows(rows);
        await s2.aggregateWindows(hourNow - 21 * DAY_MS, hourNow);
        await s2.exec('OPTIMIZE TABLE flow_records FINAL');
        await s2.exec('OPTIMIZE TABLE flow_aggregates FINAL');
        const [c] = await s2.sql<{ n: number }>('SELECT count() AS n FROM flow_records');
        const [a] = await s2.sql<{ n: number }>('SELECT count() AS n FROM flow_aggregates');
        expect(Number(c.n)).toBeGreaterThanOrEqual(2);
        expect(Number(a.n)).toBeGreaterThanOrEqual(2);
        await s2.exec('TRUNCATE TABLE flow_records');
        expect((await s2.tierState()).retention).toEqual(policy);
      }
    } finally {
      await s2.close();
      store = await openChdbStore({ dir });
    }
  });

  it('one hourly partition per hour of flow time', async () => {
    await store.insertFlows(hours.flatMap((h) => [flow(h + 1000), flow(h + 2000, '10.0.0.2')]));
    const parts = await store.sql<{ partition_id: string }>(
      `SELECT DISTINCT partition_id FROM system.parts WHERE active AND database = currentDatabase()
       AND table = 'flow_records' ORDER BY partition_id`,
    );
    expect(parts.map((p) => Number(p.partition_id) * 1000)).toEqual(hours);
  });

  it('has bloom-filter skip indexes on src_ip/dst_ip, used by an address lookup', async () => {
    const idx = await store.sql<{ table: string; name: string; type: string }>(
      `SELECT table, name, type FROM system.data_skipping_indices WHERE database = currentDatabase() ORDER BY table, name`,
    );
    expect(idx).toEqual([
      { table: 'flow_aggregates', name: 'idx_dst_ip', type: 'bloom_filter' },
      { table: 'flow_aggregates', name: 'idx_src_ip', type: 'bloom_filter' },
      { table: 'flow_records', name: 'idx_dst_ip', type: 'bloom_filter' },
      { table: 'flow_records', name: 'idx_src_ip', type: 'bloom_filter' },
    ]);
    const plan = (
      await store.sql<{ explain: string }>(
        `EXPLAIN indexes = 1 SELECT count() FROM flow_records WHERE src_ip = toIPv6({ip:String})`,
        { ip: '10.0.0.1' },
      )
    )
      .map((r) => r.explain)
      .join('\n');
    expect(plan).toContain('idx_src_ip');
  });

  it('the engine TTL drops whole expired hours at merge time, leaving the rest', async () => {
    await store.exec('OPTIMIZE TABLE flow_records FINAL');
    const left = await store.sql<{ h: number; n: number }>(
      `SELECT toUnixTimestamp(toStartOfHour(flow_start)) * 1000 AS h, count() AS n FROM flow_records GROUP BY h ORDER BY h`,
    );
    expect(left).toEqual([
      { h: hours[2], n: 2 },
      { h: hours[3], n: 2 },
    ]);
  });

  it('retention rotates partitions: the oldest hour goes, the newer ones stay', async () => {
    const rep = await store.applyRetention(
      { raw: 90 * 60_000, aggregates: 2 * DAY_MS, daily: 60 * DAY_MS },
      { dryRun: false, now: hourNow + 30 * 60_000 },
    );
    const raw = rep.tiers.find((t) => t.tier === 'raw')!;
    expect(raw.partitions).toEqual([`flow_records:${hours[2] / 1000}`]);
    expect(raw.rows).toBe(2);
    const parts = await store.sql<{ partition_id: string }>(
      `SELECT DISTINCT partition_id FROM system.parts WHERE active AND rows > 0 AND database = currentDatabase()
       AND table = 'flow_records'`,
    );
    expect(parts.map((p) => Number(p.partition_id) * 1000)).toEqual([hours[3]]);
  });

  it('refuses records it cannot store exactly, naming the field', async () => {
    await expect(store.insertFlows([{ ...flow(now), src_ip: 'not-an-ip' }])).rejects.toThrow(StoreInputError);
    await expect(store.insertFlows([{ ...flow(now), dst_port: 70000 }])).rejects.toThrow(/dst_port/);
    await expect(store.insertFlows([{ ...flow(now), bytes_total: -1 }])).rejects.toThrow(/bytes_total/);
    await expect(store.insertFlows([{ ...flow(now), packets_total: 2n ** 64n }])).rejects.toThrow(
      /packets_total/,
    );
  });

  it('stores 64-bit counters beyond 2^53 exactly and skips non-flow records', async () => {
    const big = 2n ** 60n + 7n;
    await store.insertFlows([
      { ...flow(now, '10.7.7.7'), bytes_total: big },
      { ...flow(now, '10.7.7.8'), record_type: 'sflow_counters' },
    ]);
    const rows = await store.sql<{ b: string; n: number }>(
      `SELECT toString(sum(bytes_total)) AS b, count() AS n FROM flow_records WHERE src_ip IN (toIPv6('10.7.7.7'), toIPv6('10.7.7.8'))`,
    );
    expect(rows).toEqual([{ b: big.toString(), n: 1 }]);
  });

  it('a batch larger than one INSERT chunk is stored whole (encode/insert pipeline)', async () => {
    const n = 150_000;
    const flows = Array.from({ length: n }, (_, i) => ({
      ...flow(hourNow - HOUR_MS + (i % 3_600_000), `10.8.${(i >> 8) & 255}.${i & 255}`),
      bytes_total: i,
    }));
    await store.insertFlows(flows);
    const [c] = await store.sql<{ n: number; b: string; u: number }>(
      `SELECT count() AS n, toString(sum(bytes_total)) AS b, uniqExact(src_ip) AS u FROM flow_records
       WHERE src_ip BETWEEN toIPv6('10.8.0.0') AND toIPv6('10.8.255.255')`,
    );
    expect({ n: Number(c.n), b: c.b, u: Number(c.u) }).toEqual({
      n,
      b: String((n * (n - 1)) / 2),
      u: 65_536,
    });
    await store.exec(
      `DELETE FROM flow_records WHERE src_ip BETWEEN toIPv6('10.8.0.0') AND toIPv6('10.8.255.255')`,
    );
  });

  it('a refused record anywhere in a multi-chunk batch stores nothing of it (the writer may split and retry)', async () => {
    const before = await store.sql<{ n: string }>('SELECT count() AS n FROM flow_records');
    const flows = Array.from({ length: 140_000 }, (_, i) => flow(hourNow + i));
    flows[139_999] = { ...flows[139_999], src_port: -5 };
    await expect(store.insertFlows(flows)).rejects.toThrow(StoreInputError);
    expect(await store.sql<{ n: string }>('SELECT count() AS n FROM flow_records')).toEqual(before);
  });

  it('reopens the same directory with data and schema intact', async () => {
    await store.close();
    store = await openChdbStore({ dir });
    expect((await store.migrate()).applied).toEqual([]);
    // The retention set before the restart is the one in force (kept in the store, not given again).
    expect((await store.tierState()).retention).toEqual({
      raw: DAY_MS,
      aggregates: 2 * DAY_MS,
      daily: 60 * DAY_MS,
    });
    const [c] = await store.sql<{ n: number }>('SELECT count() AS n FROM flow_records');
    expect(Number(c.n)).toBe(3);
  });
});

describe('chdb store insert failures', () => {
  it('an engine error rejects the call and leaves no payload files behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-fail-'));
    const s = await openChdbStore({ dir });
    try {
      await s.migrate();
      await s.exec('DROP TABLE flow_records');
      const flows = Array.from({ length: 300_000 }, (_, i) => flow(hourNow + (i % 1000)));
      await expect(s.insertFlows(flows)).rejects.toThrow(/flow_records/);
      // Nothing left behind in the payload folder.
      const left = await import('node:fs').then((fs) => fs.readdirSync(join(dir, 'tmp-ingest')));
      expect(left).toEqual([]);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chdb row encoding (worker-side encoder + insertEncoded)', () => {
  it('stores encoded rows exactly; a refused record is left out and named, options data skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-chdb-enc-'));
    const s = await openChdbStore({ dir });
    try {
      await s.migrate();
      const { createRowEncoder } = (await import(
        s.rowEncoding.encoderModule
      )) as typeof import('./row-encoder.js');
      const bad = { ...flow(hourNow + 2), src_port: 70_000 }; // outside UInt16
      const options: FlowRecord = { ...flow(hourNow + 3), record_type: 'options' };
      const good = [flow(hourNow, '10.0.0.7'), flow(hourNow + 1, '2001:db8::1'), flow(hourNow + 4)];
      const enc = createRowEncoder();
      // Two payloads (two worker messages), the second after a refused record and a skipped one.
      expect(enc.add(good.slice(0, 1))).toEqual([]);
      const first = enc.take();
      expect(enc.add([good[1], bad, options, good[2]])).toEqual([bad]);
      const second = enc.take();
      expect([first.rows, second.rows]).toEqual([1, 2]);
      await s.rowEncoding.insertEncoded({
        chunks: [first.data, second.data],
        rows: 3,
        starts: good.map((r) => r.flow_start),
      });
      const rows = await s.sql<{ src_ip: string; src_port: number; bytes_total: number }>(
        'SELECT toString(src_ip) AS src_ip, src_port, bytes_total FROM flow_records ORDER BY flow_start',
      );
      expect(rows).toEqual([
        { src_ip: '::ffff:10.0.0.7', src_port: 40000, bytes_total: 1000 },
        { src_ip: '2001:db8::1', src_port: 40000, bytes_total: 1000 },
        { src_ip: '::ffff:10.0.0.1', src_port: 40000, bytes_total: 1000 },
      ]);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
