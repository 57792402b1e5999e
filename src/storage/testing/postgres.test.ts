import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './postgres.js';

describe('test PostgreSQL', () => {
  it('gives each caller its own empty database on a real server, not running as root', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.url).not.toBe(b.url);
      const c = new pg.Client({ connectionString: a.url });
      await c.connect();
      const r = await c.query(
        `SELECT current_database() AS db, current_setting('server_version_num')::int AS v,
                (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')::int AS tables`,
      );
      await c.end();
      expect(r.rows[0].db).toBe(new URL(a.url).pathname.slice(1));
      expect(r.rows[0].v).toBeGreaterThanOrEqual(150000);
      expect(r.rows[0].tables).toBe(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
