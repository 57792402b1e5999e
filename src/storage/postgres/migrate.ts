/**
 * `migrate()`: versioned migrations recorded in `schema_version`, applied once each in their own
 * transaction under a session advisory lock (two collectors starting together migrate once), then the
 * time-dependent parts that are not migrations: partitions (app-managed or pg_partman) and the raw-tier
 * index profile. Idempotent: a second run applies nothing and creates nothing.
 */
import type pg from 'pg';
import type { MigrationReport } from '../port.js';
import { type IndexProfile, indexStatements, RAW_INDEXES, resolveProfile } from './indexes.js';
import {
  DEFAULT_PREMAKE,
  maintainPartitions,
  type PremakePolicy,
  partmanAvailable,
  setupPartman,
} from './partitions.js';
import { MIGRATIONS } from './schema.js';

export type PartitionManagerChoice = 'auto' | 'app' | 'pg_partman';

export interface MigrateOptions {
  indexProfile?: IndexProfile;
  partitionManager?: PartitionManagerChoice;
  premake?: PremakePolicy;
  now?: number;
}

export interface MigrateResult extends MigrationReport {
  partitionManager: 'app' | 'pg_partman';
  partitionsCreated: string[];
  indexStatements: string[];
}

const LOCK_KEY = 'flowlens_migrate';

export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_version (
      version     INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      applied_at  TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const have = new Set(done.rows.map((r) => r.version));
    const from = have.size === 0 ? 0 : Math.max(...have);
    const applied: string[] = [];
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.name);
    }
    const manager = await choosePartitionManager(client, options.partitionManager ?? 'auto');
    let partitionsCreated: string[] = [];
    if (manager === 'pg_partman') await setupPartman(pool);
    else
      partitionsCreated = await maintainPartitions(
        pool,
        options.now ?? Date.now(),
        options.premake ?? DEFAULT_PREMAKE,
      );
    const statements = await applyIndexProfile(client, options.indexProfile);
    return {
      from,
      to: Math.max(from, ...MIGRATIONS.map((m) => m.version)),
      applied,
      partitionManager: manager,
      partitionsCreated,
      indexStatements: statements,
    };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => {});
    client.release();
  }
}

/** 'auto' picks pg_partman when the server offers it (pg_available_extensions), else FlowLens itself. */
export async function choosePartitionManager(
  db: pg.ClientBase | pg.Pool,
  choice: PartitionManagerChoice,
): Promise<'app' | 'pg_partman'> {
  if (choice === 'app') return 'app';
  const available = await partmanAvailable(db);
  if (choice === 'pg_partman' && !available) {
    throw new Error(
      'partitionManager pg_partman requested, but the extension is not available on this server',
    );
  }
  return available ? 'pg_partman' : 'app';
}

/** Bring flow_records' catalog indexes to the profile; returns the DDL it ran. */
export async function applyIndexProfile(
  client: pg.ClientBase,
  profile: IndexProfile | undefined,
): Promise<string[]> {
  const names = Object.values(RAW_INDEXES).map((i) => i.index);
  const r = await client.query<{ indexname: string }>(
    `SELECT c.relname AS indexname FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid
      WHERE t.relname = 'flow_records' AND t.relnamespace = current_schema()::regnamespace
        AND c.relname = ANY($1)`,
    [names],
  );
  const statements = indexStatements(resolveProfile(profile), new Set(r.rows.map((x) => x.indexname)));
  for (const sql of statements) await client.query(sql);
  return statements;
}
