import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type FlowRecord } from '../../core/record.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { createPool } from './db.js';
import { EXAMPLE_QUERIES } from './examples.js';
import { choosePartitionManager } from './migrate.js';
import { ensurePartitions, maintainPartitions, tierSpec } from './partitions.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { PostgresFlowStore } from './store.js';

const H = 3_600_000;
const dbs: TestDatabase[] = [];
const stores: PostgresFlowStore[] = [];

async function freshStore(
  opts: Partial<ConstructorParameters<typeof PostgresFlowStore>[0]> = {},
): Promise<{ store: PostgresFlowStore; sql: pg.Client }> {
  const db = await createTestDatabase();
  dbs.push(db);
  const store = new PostgresFlowStore({ url: db.url, ...opts });
  stores.push(store);
  const sql = new pg.Client({ connectionString: db.url, options: '-c TimeZone=UTC' });
  await sql.connect();
  clients.push(sql);
  return { store, sql };
}
const clients: pg.Client[] = [];

afterAll(async () => {
  for (const c of clients) await c.end();
  for (const s of stores) await s.close();
  for (const d of dbs) await d.drop();
});

/** Partition names of a table straight from the catalog. */
async function partitions(sql: pg.Client, table: string): Promise<string[]> {
  const r = await sql.query(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return r.rows.map((x) => x.relname);
}

const hourName = (ms: number) => {
  const s = new Date(ms).toISOString();
  return `flow_records_${s.slice(0, 10).replaceAll('-', '')}${s.slice(11, 13)}`;
};

function flow(start: number, over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    ...emptyRecord('netflow_v9', '192.0.2.1', start + 1000),
    flow_start: start,
    flow_end: start + 500,
    src_ip: '10.0.0.1',
    dst_ip: '10.0.0.2',
    src_port: 40000,
    dst_port: 443,
    ip_protocol: 6,
    bytes_total: 100,
    packets_total: 1,
    ...over,
  };
}

describe('migrations', () => {
  let store: PostgresFlowStore;
  let sql: pg.Client;
  beforeAll(async () => {
    ({ store, sql } = await freshStore());
  });

  it('apply once, record versions, and a second run changes nothing', async () => {
    const first = await store.migrate();
    expect(first).toEqual({ from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.name) });
    const tablesBefore = await sql.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace`,
    );
    const again = await store.migrate();
    expect(again).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    expect(store.lastMigration?.partitionsCreated).toEqual([]);
    expect(store.lastMigration?.indexStatements).toEqual([]);
    const tablesAfter = await sql.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace`,
    );
    expect(tablesAfter.rows[0].n).toBe(tablesBefore.rows[0].n);
    const v = await sql.query('SELECT version, name FROM schema_version ORDER BY version');
    expect(v.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('two stores migrating the same database at once apply each migration exactly once', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const a = new PostgresFlowStore({ url: db.url });
    const b = new PostgresFlowStore({ url: db.url });
    stores.push(a, b);
    const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
    expect([...ra.applied, ...rb.applied].sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
  });

  it('defines the fixed DDL: no processed column, aggregate key == primary key, dependencies table', async () => {
    const cols = await sql.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'flow_records' ORDER BY ordinal_position`,
    );
    const names = cols.rows.map((r) => r.column_name);
    expect(names).not.toContain('processed');
    expect(names).not.toContain('processed_at');
    expect(names[1]).toBe('flow_start');
    const pk = await sql.query(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'flow_aggregates'::regclass AND contype = 'p'`,
    );
    expect(pk.rows[0].def).toBe(
      'PRIMARY KEY (window_start, exporter_ip, src_ip, dst_ip, src_port, dst_port, ip_protocol)',
    );
    const key = await sql.query(`SELECT pg_get_partkeydef('flow_records'::regclass) AS k`);
    expect(key.rows[0].k).toBe('RANGE (flow_start)');
    const deps = await sql.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'dependencies'
        ORDER BY ordinal_position`,
    );
    expect(deps.rows.map((r) => `${r.column_name}:${r.data_type}`)).toEqual([
      'id:uuid',
      'client_ip:inet',
      'server_ip:inet',
      'server_port:integer',
      'ip_protocol:smallint',
      'first_seen:timestamp with time zone',
      'last_seen:timestamp with time zone',
      'service_name:text',
      'direction_rule:text',
      'confidence:text',
      'idle_since:timestamp with time zone',
    ]);
    await expect(
      sql.query(`INSERT INTO flow_records (received_at, flow_start, flow_end, exporter_ip, protocol_type,
        extended_fields) VALUES (now(), now(), now(), '192.0.2.1', 'ipfix', '[1]')`),
    ).rejects.toThrow(/extended_fields_is_object/);
  });

  it('creates the admin / writer / reporting roles with their privileges', async () => {
    const r = await sql.query(
      `SELECT has_table_privilege('flowlens_reporting', 'flow_records', 'SELECT') AS rep_select,
              has_table_privilege('flowlens_reporting', 'flow_records', 'INSERT') AS rep_insert,
              has_table_privilege('flowlens_writer', 'flow_records', 'INSERT') AS writer_insert,
              has_table_privilege('flowlens_writer', 'flow_records', 'DELETE') AS writer_delete,
              has_table_privilege('flowlens_admin', 'dependency_stats', 'DELETE') AS admin_delete`,
    );
    expect(r.rows[0]).toEqual({
      rep_select: true,
      rep_insert: false,
      writer_insert: true,
      writer_delete: false,
      admin_delete: true,
    });
  });

  it('detects pg_partman from pg_available_extensions, and falls back to app-managed partitions', async () => {
    const avail = await sql.query(
      `SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'pg_partman'`,
    );
    expect(avail.rows[0].n).toBe(0); // the bundled PostgreSQL has no pg_partman
    expect(await choosePartitionManager(sql, 'auto')).toBe('app');
    expect(await choosePartitionManager(sql, 'app')).toBe('app');
    await expect(choosePartitionManager(sql, 'pg_partman')).rejects.toThrow(/not available/);
    expect(store.capabilities.partitionManager).toBe('app');
    const forced = new PostgresFlowStore({ url: dbs[0].url, partitionManager: 'pg_partman' });
    stores.push(forced);
    await expect(forced.migrate()).rejects.toThrow(/pg_partman/);
  });
});

describe('partitions', () => {
  it('exist ahead of now for every tier after migrate', async () => {
    const { store, sql } = await freshStore();
    await store.migrate();
    const now = Date.now();
    const raw = await partitions(sql, 'flow_records');
    for (let h = -3; h <= 24; h++) expect(raw).toContain(hourName(Math.floor(now / H) * H + h * H));
    expect(raw).toContain('flow_records_default');
    const aggs = await partitions(sql, 'flow_aggregates');
    const day = (ms: number) =>
      `flow_aggregates_${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')}`;
    for (let d = -1; d <= 7; d++) expect(aggs).toContain(day(now + d * 86_400_000));
    const stats = await partitions(sql, 'dependency_stats');
    const d = new Date(now);
    const month = (k: number) => {
      const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1)).toISOString();
      return `dependency_stats_${m.slice(0, 4)}${m.slice(5, 7)}`;
    };
    for (let k = -1; k <= 2; k++) expect(stats).toContain(month(k));
  });

  it('rotate: retention dry run lists the expired partitions, the real run drops exactly those', async () => {
    const { store, sql } = await freshStore();
    await store.migrate();
    const pool = createPool(dbs[dbs.length - 1].url);
    try {
      const t = Date.UTC(2026, 2, 10, 12); // 2026-03-10 12:00, far from the real clock
      await maintainPartitions(pool, t, {
        ahead: { raw: 2, aggregates: 1, daily: 0 },
        behind: { raw: 5, aggregates: 1, daily: 0 },
      });
      // Flows at 07:30 .. 14:30 (hours 07..14 exist: 12 - 5 .. 12 + 2).
      const flows = [7, 8, 9, 10, 11, 12, 13, 14].map((h) => flow(Date.UTC(2026, 2, 10, h, 30)));
      await store.insertFlows(flows);
      const where = await sql.query(
        `SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM flow_records GROUP BY 1 ORDER BY 1`,
      );
      expect(where.rows.map((r) => r.p)).toEqual(
        [7, 8, 9, 10, 11, 12, 13, 14].map((h) => hourName(Date.UTC(2026, 2, 10, h))),
      );
      // now = 14:45 with a 4.5 h raw retention: cutoff 10:15.
      const now = Date.UTC(2026, 2, 10, 14, 45);
      const policy = { raw: 4.5 * H, aggregates: 400 * 86_400_000, daily: 2000 * 86_400_000 };
      const dry = await store.applyRetention(policy, { dryRun: true, now });
      const expired = [7, 8, 9].map((h) => hourName(Date.UTC(2026, 2, 10, h)));
      expect(dry.tiers[0]).toEqual({
        tier: 'raw',
        cutoff: Date.UTC(2026, 2, 10, 10, 15),
        partitions: expired,
        rows: 3,
      });
      expect(await partitions(sql, 'flow_records')).toEqual(expect.arrayContaining(expired));
      const real = await store.applyRetention(policy, { dryRun: false, now });
      expect(real.tiers[0].partitions).toEqual(expired);
      const left = await partitions(sql, 'flow_records');
      for (const p of expired) expect(left).not.toContain(p);
      expect(left).toContain(hourName(Date.UTC(2026, 2, 10, 10))); // straddles the cutoff: kept
      const starts = await sql.query(
        `SELECT to_char(flow_start, 'HH24:MI') AS t FROM flow_records ORDER BY 1`,
      );
      // 10:30 is after the 10:15 cutoff and stays; nothing before the cutoff is left.
      expect(starts.rows.map((r) => r.t)).toEqual(['10:30', '11:30', '12:30', '13:30', '14:30']);
    } finally {
      await pool.end();
    }
  });

  it('retention deletes expired rows inside the straddling and the default partition', async () => {
    const { store, sql } = await freshStore();
    await store.migrate();
    const old = Date.UTC(2020, 0, 1, 10); // no partition: default
    await store.insertFlows([flow(old), flow(old + 20 * 60_000), flow(old + 50 * 60_000)]);
    const r = await store.applyRetention(
      { raw: 30 * 60_000, aggregates: 86_400_000, daily: 86_400_000 },
      { dryRun: false, now: old + 60 * 60_000 }, // cutoff 10:30
    );
    expect(r.tiers[0]).toMatchObject({ partitions: [], rows: 2 });
    const left = await sql.query(`SELECT to_char(flow_start, 'HH24:MI') AS t FROM flow_records`);
    expect(left.rows).toEqual([{ t: '10:50' }]);
  });

  it('creating a partition whose range already has rows in the default partition moves them', async () => {
    const { store, sql } = await freshStore();
    await store.migrate();
    const t = Date.UTC(2021, 5, 1, 8, 15);
    await store.insertFlows([flow(t), flow(t + 10 * 60_000), flow(t + 2 * H)]);
    const pool = createPool(dbs[dbs.length - 1].url);
    try {
      const created = await ensurePartitions(pool, tierSpec('raw'), t, t + 1);
      expect(created).toEqual([hourName(t)]);
    } finally {
      await pool.end();
    }
    const r = await sql.query(
      `SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM flow_records GROUP BY 1 ORDER BY 1`,
    );
    expect(r.rows).toEqual([
      { p: 'flow_records_2021060108', n: 2 },
      { p: 'flow_records_default', n: 1 },
    ]);
  });

  it('concurrent inserts into a new hour create its partition once, without errors', async () => {
    const { store } = await freshStore();
    await store.migrate();
    const other = new PostgresFlowStore({ url: dbs[dbs.length - 1].url });
    stores.push(other);
    const h = Math.floor(Date.now() / H) * H - 30 * H; // inside raw retention, not pre-created
    await Promise.all([
      store.insertFlows([flow(h + 1)]),
      other.insertFlows([flow(h + 2)]),
      store.insertFlows([flow(h + 3)]),
    ]);
    const r = await store.query({
      kind: 'top',
      by: [],
      metric: 'flows',
      from: h,
      to: h + H,
      limit: 1,
      tier: 'raw',
    });
    expect(r.rows).toEqual([{ flows: 3 }]);
  });
});

describe('index profiles', () => {
  /** Index definitions on flow_records, from pg_indexes. */
  async function indexDefs(sql: pg.Client, table = 'flow_records'): Promise<string[]> {
    const r = await sql.query(`SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`, [
      table,
    ]);
    return r.rows.map((x) => x.indexdef.replace(/ ON (ONLY )?\S+/, ' ON t'));
  }

  it('default: BRIN on flow_start, btrees on src_ip and dst_ip, on the parent and every partition', async () => {
    const { store, sql } = await freshStore();
    await store.migrate();
    expect(await indexDefs(sql)).toEqual([
      'CREATE INDEX idx_flow_records_dst_ip ON t USING btree (dst_ip, flow_start DESC)',
      "CREATE INDEX idx_flow_records_flow_start_brin ON t USING brin (flow_start) WITH (pages_per_range='32')",
      'CREATE INDEX idx_flow_records_src_ip ON t USING btree (src_ip, flow_start DESC)',
    ]);
    const part = hourName(Math.floor(Date.now() / H) * H + H);
    expect((await indexDefs(sql, part)).length).toBe(3);
  });

  it("'all' gives the design's nine (minus the removed unprocessed one); a list gives exactly that list", async () => {
    const { store, sql } = await freshStore({ indexProfile: 'all' });
    await store.migrate();
    const all = await indexDefs(sql);
    expect(all.length).toBe(9);
    expect(all.join('\n')).toContain('USING gin (extended_fields jsonb_path_ops)');
    expect(all.join('\n')).toContain('WHERE (dst_port > 0)');
    expect(all.join('\n')).not.toContain('processed');
    const narrowed = new PostgresFlowStore({
      url: dbs[dbs.length - 1].url,
      indexProfile: ['brin_time', 'src_ip_bloom'],
    });
    stores.push(narrowed);
    await narrowed.migrate();
    expect(await indexDefs(sql)).toEqual([
      "CREATE INDEX idx_flow_records_flow_start_brin ON t USING brin (flow_start) WITH (pages_per_range='32')",
      "CREATE INDEX idx_flow_records_src_ip_bloom ON t USING brin (src_ip inet_bloom_ops) WITH (pages_per_range='16')",
    ]);
    const bad = new PostgresFlowStore({ url: dbs[dbs.length - 1].url, indexProfile: ['nope' as never] });
    stores.push(bad);
    await expect(bad.migrate()).rejects.toThrow(/unknown flow_records index 'nope'/);
  });
});

describe('example queries (design section 5.1, fixed)', () => {
  it('query 5 flags a SYN-only scanner but not a busy server answering with SYN-ACK', async () => {
    const { store } = await freshStore();
    await store.migrate();
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const t = now - 2 * 60_000;
    const flows: FlowRecord[] = [];
    for (let p = 1; p <= 150; p++) {
      // scanner: SYN only to 150 ports
      flows.push(
        flow(t, {
          src_ip: '198.51.100.66',
          dst_ip: '10.0.0.9',
          src_port: 55555,
          dst_port: p,
          tcp_flags: 0x02,
        }),
      );
      // busy server: SYN-ACK replies to 150 client ports (cumulative flags SYN|ACK|FIN|PSH)
      flows.push(
        flow(t, {
          src_ip: '10.0.0.80',
          dst_ip: '10.9.0.1',
          src_port: 443,
          dst_port: 40000 + p,
          tcp_flags: 0x1b,
        }),
      );
    }
    await store.insertFlows(flows);
    const r = await store.pool.query(EXAMPLE_QUERIES.q5_port_scans.sql, [new Date(now).toISOString(), 100]);
    expect(r.rows.map((x) => [x.src_ip, x.unique_ports])).toEqual([['198.51.100.66', 150]]);
    // The design's test (tcp_flags & 2 = 2) would have reported the server too:
    const design = await store.pool.query(
      EXAMPLE_QUERIES.q5_port_scans.sql.replace('tcp_flags & 18 = 2', 'tcp_flags & 2 = 2'),
      [new Date(now).toISOString(), 100],
    );
    expect(design.rows.length).toBe(2);
  });
});
