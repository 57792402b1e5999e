/**
 * A read-only database role runs the read commands: on PostgreSQL a LOGIN role granted only
 * flowlens_reporting_all (flowlens_reporting without a tenant's row-level security) gets `query top`
 * answers (no migration attempted; it could not migrate anyway).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCaptures } from '../../decode/testing/corpus.js';
import { createTestDatabase, type TestDatabase } from '../../storage/testing/postgres.js';
import { captureIO, recordingOpenStore } from '../testing/io.js';
import { runImport } from './import.js';
import { runMigrate } from './migrate.js';
import { runTop } from './query.js';
import { runRetention } from './retention.js';

const MIKROTIK = listCaptures().find((c) => /ipfix_mikrotik/.test(c.name))!.path;
const env = {}; // the test's own configuration only, whatever FLOWLENS_* the shell has

describe('PostgreSQL: a role granted only flowlens_reporting_all', () => {
  let db: TestDatabase;
  const role = `flowlens_ro_${process.pid}_${Date.now().toString(36)}`;
  let readerUrl: string;

  async function admin(sql: string): Promise<void> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('flowlens_ro');
    // The owner (the test superuser) imports: migrate, record the retention, store and aggregate.
    const io = captureIO();
    await runImport({
      files: [MIKROTIK],
      opts: {
        store: db.url,
        retentionRaw: 'forever',
        retentionAggregates: 'forever',
        retentionDaily: 'forever',
      },
      io,
      ctx: { env },
    });
    expect(io.err()).toBe('');
    // A password for servers that ask for one; the test cluster trusts local connections anyway.
    await admin(
      `CREATE ROLE ${role} LOGIN PASSWORD 'reporting-only'; GRANT flowlens_reporting_all TO ${role}`,
    );
    const url = new URL(db.url);
    url.username = role;
    url.password = 'reporting-only';
    readerUrl = url.toString();
  });

  afterAll(async () => {
    await db?.drop();
    if (db) await admin(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
  });

  it('runs query top: rows, and no migration or retention change attempted', async () => {
    const calls: string[] = [];
    const io = captureIO();
    await runTop(
      { store: readerUrl, by: 'src_ip', from: '2000-01-01', to: 'now', tier: 'raw', json: true },
      io,
      { env, openStore: recordingOpenStore(calls) },
    );
    expect(io.err()).toBe('');
    expect(io.code()).toBe(0);
    expect(JSON.parse(io.out()).rows.length).toBeGreaterThan(0);
    expect(calls).toContain('checkSchema');
    expect(calls).not.toContain('migrate');
    expect(calls).not.toContain('setRetention');
    // Unforced, the tier follows the retention the owner recorded (readable by the role).
    const planned = captureIO();
    await runTop({ store: readerUrl, by: 'src_ip', from: '2000-01-01', json: true }, planned, { env });
    expect(planned.err()).toBe('');
    expect(JSON.parse(planned.out()).rows.length).toBeGreaterThan(0);
  });

  it('runs retention --dry-run, and cannot migrate (the role really is read-only)', async () => {
    const dry = captureIO();
    await runRetention({ store: readerUrl, dryRun: true, json: true }, dry, { env });
    expect(dry.err()).toBe('');
    expect(JSON.parse(dry.out()).retention).toEqual({
      raw: 'forever',
      aggregates: 'forever',
      daily: 'forever',
    });
    const m = captureIO();
    await runMigrate({ store: readerUrl }, m, { env });
    expect(m.code()).toBe(1);
    expect(m.err()).toMatch(/^flowlens migrate: .*permission denied/);
  });
});
