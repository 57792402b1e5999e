/**
 * Host labels of the embedded store (migration 7): one row per entry, `position` keeps the imported order.
 * Validity bounds are epoch ms (Int64): they are compared, never formatted, by the engine.
 */
import type { HostLabel } from '../port.js';
import { type Db, numOrNull } from './db.js';

export const LABELS_DDL = `CREATE TABLE IF NOT EXISTS host_labels (
  position UInt32,
  cidr String,
  name String,
  grp String,
  service Nullable(String),
  port Nullable(UInt16),
  valid_from Nullable(Int64),
  valid_to Nullable(Int64)
) ENGINE = MergeTree
ORDER BY position`;

export async function readLabels(db: Db): Promise<HostLabel[]> {
  const rows = await db.rows<Record<string, unknown>>(
    'SELECT cidr, name, grp, service, port, valid_from, valid_to FROM host_labels ORDER BY position',
  );
  return rows.map((r) => ({
    cidr: String(r.cidr),
    name: String(r.name),
    group: String(r.grp),
    service: r.service === null ? null : String(r.service),
    port: numOrNull(r.port),
    valid_from: numOrNull(r.valid_from),
    valid_to: numOrNull(r.valid_to),
  }));
}

/**
 * TRUNCATE then insert: the engine has no transaction, so a reader between the two sees no labels (an
 * import is an operator's rare action; names come back with the insert).
 */
export async function writeLabels(db: Db, labels: readonly HostLabel[]): Promise<void> {
  await db.exec('TRUNCATE TABLE IF EXISTS host_labels');
  await db.insertJson(
    'host_labels',
    labels.map((l, i) => ({
      position: i,
      cidr: l.cidr,
      name: l.name,
      grp: l.group,
      service: l.service,
      port: l.port,
      valid_from: l.valid_from,
      valid_to: l.valid_to,
    })),
  );
}
