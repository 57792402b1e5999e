/**
 * Range partitions of the three tiers (design-notes/flow-table.md section 4): created ahead and dropped by
 * retention, either by FlowLens itself ("app") or by pg_partman when that extension is available.
 *
 * Tiers: flow_records hourly on flow_start, flow_aggregates daily on window_start, dependency_stats monthly
 * on stat_date. Each has a DEFAULT partition for rows no partition covers (bad clocks, historic imports).
 * Creating a partition whose range already has rows in the default partition moves those rows into it in
 * the same transaction (CREATE TABLE ... PARTITION OF would fail on them).
 *
 * Partition bounds are read from the catalog (pg_class.relpartbound), never from names, so retention works
 * the same for our names (flow_records_2026112113) and pg_partman's.
 */
import type pg from 'pg';

export type TierName = 'raw' | 'aggregates' | 'daily';

export interface TierSpec {
  tier: TierName;
  table: string;
  key: string;
  /** SQL type of the key ('timestamptz' or 'date'). */
  keyType: 'timestamptz' | 'date';
  unit: 'hour' | 'day' | 'month';
}

export const TIERS: readonly TierSpec[] = [
  { tier: 'raw', table: 'flow_records', key: 'flow_start', keyType: 'timestamptz', unit: 'hour' },
  { tier: 'aggregates', table: 'flow_aggregates', key: 'window_start', keyType: 'timestamptz', unit: 'day' },
  { tier: 'daily', table: 'dependency_stats', key: 'stat_date', keyType: 'date', unit: 'month' },
];

export function tierSpec(tier: TierName): TierSpec {
  return TIERS.find((t) => t.tier === tier)!;
}

/** Start of the unit containing `ms` (UTC). */
export function unitStart(unit: TierSpec['unit'], ms: number): number {
  const d = new Date(ms);
  if (unit === 'hour') return Math.floor(ms / 3_600_000) * 3_600_000;
  if (unit === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextUnit(unit: TierSpec['unit'], start: number): number {
  if (unit === 'hour') return start + 3_600_000;
  if (unit === 'day') return start + 86_400_000;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

function partitionName(spec: TierSpec, start: number): string {
  const iso = new Date(start).toISOString(); // 2026-11-21T13:00:00.000Z
  const ymd = iso.slice(0, 10).replaceAll('-', '');
  if (spec.unit === 'hour') return `${spec.table}_${ymd}${iso.slice(11, 13)}`;
  if (spec.unit === 'day') return `${spec.table}_${ymd}`;
  return `${spec.table}_${ymd.slice(0, 6)}`;
}

function literal(spec: TierSpec, ms: number): string {
  const iso = new Date(ms).toISOString();
  return spec.keyType === 'date' ? `'${iso.slice(0, 10)}'` : `'${iso}'`;
}

export interface PartitionInfo {
  name: string;
  from: number;
  to: number;
}

function parseBound(text: string): number {
  // '2026-11-21 13:00:00+00' (session TimeZone is UTC) or '2026-11-21' for dates.
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  return Date.parse(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}

/** Range partitions of a tier (the default partition excluded), oldest first. */
export async function listPartitions(db: pg.ClientBase | pg.Pool, spec: TierSpec): Promise<PartitionInfo[]> {
  const r = await db.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = $1 AND p.relnamespace = current_schema()::regnamespace`,
    [spec.table],
  );
  const out: PartitionInfo[] = [];
  for (const row of r.rows) {
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(row.bound);
    if (!m) continue; // DEFAULT
    out.push({ name: row.name, from: parseBound(m[1]), to: parseBound(m[2]) });
  }
  return out.sort((a, b) => a.from - b.from);
}

/**
 * Make sure a partition exists for every unit overlapping [from, to). Serialized across sessions and
 * processes by an advisory lock so two collectors never race on the same CREATE.
 */
export async function ensurePartitions(
  pool: pg.Pool,
  spec: TierSpec,
  from: number,
  to: number,
): Promise<string[]> {
  const wanted: number[] = [];
  for (let s = unitStart(spec.unit, from); s < to; s = nextUnit(spec.unit, s)) wanted.push(s);
  if (wanted.length === 0) return [];
  const client = await pool.connect();
  const created: string[] = [];
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('flowlens_partitions'))`);
    const existing = await listPartitions(client, spec);
    for (const start of wanted) {
      const end = nextUnit(spec.unit, start);
      if (existing.some((p) => p.from < end && p.to > start)) continue;
      await createPartition(client, spec, start, end);
      created.push(partitionName(spec, start));
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return created;
}

async function createPartition(client: pg.PoolClient, spec: TierSpec, start: number, end: number) {
  const name = partitionName(spec, start);
  const def = `${spec.table}_default`;
  const range = `FOR VALUES FROM (${literal(spec, start)}) TO (${literal(spec, end)})`;
  const inDefault = await client.query(
    `SELECT 1 FROM ${def} WHERE ${spec.key} >= ${literal(spec, start)} AND ${spec.key} < ${literal(spec, end)} LIMIT 1`,
  );
  if (inDefault.rowCount === 0) {
    await client.query(`CREATE TABLE ${name} PARTITION OF ${spec.table} ${range}`);
    return;
  }
  // Rows for this range sit in the default partition: move them into the new table, then attach it.
  await client.query(`CREATE TABLE ${name} (LIKE ${spec.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await client.query(
    `WITH moved AS (DELETE FROM ${def} WHERE ${spec.key} >= ${literal(spec, start)} AND ${spec.key} < ${literal(spec, end)} RETURNING *)
     INSERT INTO ${name} SELECT * FROM moved`,
  );
  await client.query(`ALTER TABLE ${spec.table} ATTACH PARTITION ${name} ${range}`);
}

/** How far ahead (and back) FlowLens keeps partitions when it manages them itself. */
export interface PremakePolicy {
  /** Units created ahead of `now`: default 24 hours, 7 days, 2 months. */
  ahead: Record<TierName, number>;
  /** Units kept behind `now` for late flows: default 3 hours, 1 day, 1 month. */
  behind: Record<TierName, number>;
}

export const DEFAULT_PREMAKE: PremakePolicy = {
  ahead: { raw: 24, aggregates: 7, daily: 2 },
  behind: { raw: 3, aggregates: 1, daily: 1 },
};

function addUnits(unit: TierSpec['unit'], start: number, n: number): number {
  if (unit === 'hour') return start + n * 3_600_000;
  if (unit === 'day') return start + n * 86_400_000;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}

/** App-managed partition maintenance: create the window [now - behind, now + ahead] of every tier. */
export async function maintainPartitions(
  pool: pg.Pool,
  now: number,
  policy: PremakePolicy = DEFAULT_PREMAKE,
): Promise<string[]> {
  const created: string[] = [];
  for (const spec of TIERS) {
    const here = unitStart(spec.unit, now);
    const from = addUnits(spec.unit, here, -policy.behind[spec.tier]);
    const to = addUnits(spec.unit, here, policy.ahead[spec.tier] + 1);
    created.push(...(await ensurePartitions(pool, spec, from, to)));
  }
  return created;
}

/** Whether pg_partman can be used on this server (migrate-time detection). */
export async function partmanAvailable(db: pg.ClientBase | pg.Pool): Promise<boolean> {
  const r = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'`);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Hand the three tiers to pg_partman (premake like DEFAULT_PREMAKE; retention stays FlowLens' job, which
 * drops whole partitions by their catalog bounds either way). Handles pg_partman 4 ('native', named
 * intervals) and 5 (interval values). Not exercised by the tests here: the bundled PostgreSQL has no
 * pg_partman (detection and the app path are tested).
 */
export async function setupPartman(pool: pg.Pool): Promise<void> {
  await pool.query('CREATE SCHEMA IF NOT EXISTS partman');
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman');
  const v = await pool.query<{ extversion: string }>(
    `SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'`,
  );
  const major = Number(v.rows[0]?.extversion.split('.')[0] ?? 5);
  const schema = (await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
  for (const spec of TIERS) {
    const parent = `${schema}.${spec.table}`;
    const known = await pool.query('SELECT 1 FROM partman.part_config WHERE parent_table = $1', [parent]);
    if ((known.rowCount ?? 0) > 0) continue;
    const premake = DEFAULT_PREMAKE.ahead[spec.tier];
    if (major >= 5) {
      await pool.query(
        `SELECT partman.create_parent(p_parent_table := $1, p_control := $2, p_interval := $3, p_premake := $4)`,
        [parent, spec.key, `1 ${spec.unit}`, premake],
      );
    } else {
      const named = { hour: 'hourly', day: 'daily', month: 'monthly' }[spec.unit];
      await pool.query(
        `SELECT partman.create_parent(p_parent_table := $1, p_control := $2, p_type := 'native',
                                      p_interval := $3, p_premake := $4)`,
        [parent, spec.key, named, premake],
      );
    }
  }
}
