/**
 * Tenant isolation on PostgreSQL: the store property (conformance/tenants.ts), then the same rule held by
 * row-level security alone, by direct SQL as a login granted flowlens_reporting with the tenant set per
 * transaction (as Grafana reading the database would), and flowlens_reporting_all seeing everything.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { inNetworks, rowInScope } from '../../query/scope.js';
import { runTenantConformance } from '../conformance/tenants.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { PostgresFlowStore } from './store.js';

const dbs: TestDatabase[] = [];
const roles: string[] = [];
const suffix = `${process.pid}_${Date.now().toString(36)}`;

async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

const logins = new Map<string, string>();

/** A LOGIN role granted `grant` (one per grant); its connection URL. */
async function login(db: TestDatabase, grant: string): Promise<string> {
  const known = logins.get(grant);
  if (known) return known;
  const role = `flowlens_t_${grant.replace('flowlens_', '')}_${suffix}`;
  roles.push(role);
  await sql(db.url, `CREATE ROLE ${role} LOGIN PASSWORD 'x'; GRANT ${grant} TO ${role}`);
  const url = new URL(db.url);
  url.username = role;
  url.password = 'x';
  logins.set(grant, url.toString());
  return url.toString();
}

/** Statements in one transaction with flowlens.tenant set (or not) for it only. */
async function asTenant(url: string, tenant: string | null, statements: string[]): Promise<pg.QueryResult[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    if (tenant !== null) await c.query(`SELECT set_config('flowlens.tenant', $1, true)`, [tenant]);
    const out: pg.QueryResult[] = [];
    for (const s of statements) out.push(await c.query(s));
    await c.query('COMMIT');
    return out;
  } finally {
    await c.end();
  }
}

runTenantConformance(
  'postgres',
  async () => {
    const db = await createTestDatabase('flowlens_tenants');
    dbs.push(db);
    return new PostgresFlowStore({ url: db.url });
  },
  ({ store, world }) => {
    const rows = `SELECT host(exporter_ip) AS exporter_ip, host(src_ip) AS src_ip, host(dst_ip) AS dst_ip FROM flow_records`;
    // A reader trying to widen its answer: catch-all conditions do not get past a policy.
    const hostile = `SELECT count(*)::int AS n FROM flow_records WHERE true OR src_ip <<= '0.0.0.0/0' OR NOT (dst_ip <<= '::/0')`;

    it('flowlens_reporting with the tenant set sees exactly its rows (direct SQL, row-level security)', async () => {
      const db = dbs[0];
      const url = await login(db, 'flowlens_reporting');
      for (const [tenant, scope] of Object.entries(world.scopes)) {
        const [r, h, a] = await asTenant(url, tenant, [
          rows,
          hostile,
          'SELECT count(*)::int AS n FROM flow_aggregates',
        ]);
        const want = world.flows.filter((f) => rowInScope(f, scope)).length;
        expect(r.rows.length, tenant).toBe(want);
        for (const row of r.rows)
          expect(rowInScope(row, scope), `${tenant} ${JSON.stringify(row)}`).toBe(true);
        expect(h.rows[0].n, tenant).toBe(want);
        const aggs = world.aggs.filter((x) =>
          rowInScope(
            {
              ...x,
              src_ip: x.src_ip === '::' ? null : x.src_ip,
              dst_ip: x.dst_ip === '::' ? null : x.dst_ip,
            },
            scope,
          ),
        ).length;
        expect(a.rows[0].n, `${tenant} aggregates`).toBe(aggs);
      }
      // No tenant set (or one that does not exist): nothing; the setting does not outlive its transaction.
      const [none] = await asTenant(url, null, [hostile]);
      expect(none.rows[0].n).toBe(0);
      const [unknown] = await asTenant(url, 'no-such-tenant', [hostile]);
      expect(unknown.rows[0].n).toBe(0);
      expect((await sql(url, hostile)).rows[0].n).toBe(0);
      // The reporting role cannot read tenant definitions, nor change them.
      await expect(sql(url, 'SELECT * FROM tenants')).rejects.toThrow(/permission denied/);
      // Partitions carry no policy of their own: the reporting role has no grant on them either.
      await expect(sql(url, 'SELECT * FROM flow_records_default')).rejects.toThrow(/permission denied/);
    });

    it('flowlens_reporting_all sees every row; the scoped store query on a reporting login agrees', async () => {
      const db = dbs[0];
      const all = await login(db, 'flowlens_reporting_all');
      const [n] = await asTenant(all, null, [hostile]);
      expect(n.rows[0].n).toBe(world.flows.length);
      // The store on a reporting login: tenant set per transaction, scope ANDed in the SQL as well.
      const reporting = await login(db, 'flowlens_reporting');
      const s = new PostgresFlowStore({ url: reporting });
      try {
        const scope = world.scopes['net-b'];
        const r = await s.query(
          {
            kind: 'top',
            from: world.day,
            to: world.day + 86_400_000,
            by: [],
            metric: 'flows',
            limit: 1,
            tier: 'raw',
          },
          { scope },
        );
        expect(Number(r.rows[0].flows)).toBe(world.flows.filter((f) => rowInScope(f, scope)).length);
      } finally {
        await s.close();
      }
    });

    it('dependency edges follow the networks (no exporter on an edge)', async () => {
      const db = dbs[0];
      const url = await login(db, 'flowlens_reporting');
      // The edges the daily-tier case stored (every client -> service pair of the generator).
      const edges = await store().listDependencies();
      expect(edges.length).toBeGreaterThan(0);
      const scope = world.scopes['net-b'];
      const want = edges
        .filter((e) => inNetworks(e.client_ip, scope.networks) || inNetworks(e.server_ip, scope.networks))
        .map((e) => e.id)
        .sort();
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(edges.length);
      const [b, st, all] = await asTenant(url, 'net-b', [
        'SELECT id::text AS id FROM dependencies ORDER BY id',
        'SELECT DISTINCT dependency_id::text AS id FROM dependency_stats ORDER BY id',
        'SELECT count(*)::int AS n FROM dependency_stats',
      ]);
      expect(b.rows.map((x) => x.id)).toEqual(want);
      // A day's statistics follow their edge.
      expect(st.rows.length).toBeGreaterThan(0);
      for (const r of st.rows) expect(want).toContain(r.id);
      const [everything] = await asTenant(await login(db, 'flowlens_reporting_all'), null, [
        'SELECT count(*)::int AS n FROM dependency_stats',
      ]);
      expect(all.rows[0].n).toBeLessThan(everything.rows[0].n);
      const [a] = await asTenant(url, 'exp-a', ['SELECT count(*)::int AS n FROM dependencies']);
      expect(a.rows[0].n).toBe(0);
    });
  },
);

afterAll(async () => {
  for (const db of dbs) {
    for (const r of roles) await sql(db.url, `DROP OWNED BY ${r}; DROP ROLE IF EXISTS ${r}`).catch(() => {});
    await db.drop();
  }
});
