/** Host labels of the PostgreSQL store (migration 8): replaced as a whole in one transaction. */
import type pg from 'pg';
import type { HostLabel } from '../port.js';
import { inTransaction } from './db.js';

export const V8_HOST_LABELS = `
CREATE TABLE IF NOT EXISTS host_labels (
  position    INTEGER PRIMARY KEY,
  cidr        TEXT NOT NULL,
  name        TEXT NOT NULL,
  grp         TEXT NOT NULL,
  service     TEXT,
  port        INTEGER CHECK (port BETWEEN 0 AND 65535),
  -- epoch ms: compared by the resolver, never by SQL
  valid_from  BIGINT,
  valid_to    BIGINT
);
DO $$
BEGIN
  GRANT ALL ON host_labels TO flowlens_admin;
  GRANT SELECT, INSERT, UPDATE, DELETE ON host_labels TO flowlens_writer;
  GRANT SELECT ON host_labels TO flowlens_reporting;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'host label grants skipped: %', SQLERRM;
END $$;
`;

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function readLabels(pool: pg.Pool): Promise<HostLabel[]> {
  const r = await pool.query(
    'SELECT cidr, name, grp, service, port, valid_from, valid_to FROM host_labels ORDER BY position',
  );
  return r.rows.map((row) => ({
    cidr: row.cidr,
    name: row.name,
    group: row.grp,
    service: row.service,
    port: n(row.port),
    valid_from: n(row.valid_from),
    valid_to: n(row.valid_to),
  }));
}

export async function writeLabels(pool: pg.Pool, labels: readonly HostLabel[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('DELETE FROM host_labels');
    if (labels.length > 0)
      await client.query(
        `INSERT INTO host_labels (position, cidr, name, grp, service, port, valid_from, valid_to)
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                              $7::bigint[], $8::bigint[])`,
        [
          labels.map((_, i) => i),
          labels.map((l) => l.cidr),
          labels.map((l) => l.name),
          labels.map((l) => l.group),
          labels.map((l) => l.service),
          labels.map((l) => l.port),
          labels.map((l) => l.valid_from),
          labels.map((l) => l.valid_to),
        ],
      );
  });
}
