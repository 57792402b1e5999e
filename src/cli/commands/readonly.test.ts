/**
 * One configuration path on the embedded store: reads (query, retention --dry-run) never migrate and never
 * change retention, and say "run flowlens migrate" on a store without a schema; writers migrate and record
 * only a configured retention; import aggregates with the configured internal networks, as serve does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../app/store.js';
import { listCaptures } from '../../decode/testing/corpus.js';
import { captureIO, recordingOpenStore } from '../testing/io.js';
import { runImport } from './import.js';
import { runMigrate } from './migrate.js';
import { runTop } from './query.js';
import { runRetention } from './retention.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'flowlens-ro-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MIKROTIK = listCaptures().find((c) => /ipfix_mikrotik/.test(c.name))!.path;
const FOREVER = { retentionRaw: 'forever', retentionAggregates: 'forever', retentionDaily: 'forever' };
// (applyRetention with dryRun only counts rows: a read.)
const WRITES = ['migrate', 'setRetention', 'setAggregatedUntil', 'insertFlows', 'aggregateWindows'];

describe('read-only commands', () => {
  it('query and retention --dry-run on a store without a schema: one line, run flowlens migrate', async () => {
    const data = tempDir();
    const q = captureIO();
    await runTop({ data, by: 'src_ip' }, q);
    expect(q.code()).toBe(1);
    expect(q.err()).toBe('flowlens query top: the store has no FlowLens schema: run flowlens migrate\n');
    const r = captureIO();
    await runRetention({ data, dryRun: true }, r);
    expect(r.code()).toBe(1);
    expect(r.err()).toBe('flowlens retention: the store has no FlowLens schema: run flowlens migrate\n');
    // Neither created the schema: migrate still has everything to apply.
    const m = captureIO();
    await runMigrate({ data, json: true }, m);
    expect(JSON.parse(m.out()).applied.length).toBeGreaterThan(0);
  });

  it('never migrate and never change retention; writers migrate and record only a configured retention', async () => {
    const data = tempDir();
    const calls: string[] = [];
    const ctx = { openStore: recordingOpenStore(calls) };
    // migrate without a configured retention: the store keeps the one in force.
    const m = captureIO();
    await runMigrate({ data }, m, ctx);
    expect(m.err()).toBe('');
    expect(m.out()).toMatch(/\nretention in force: raw 7d, aggregates 90d, daily 2y\n$/);
    expect(calls).toContain('migrate');
    expect(calls).not.toContain('setRetention');
    // import with one: recorded.
    calls.length = 0;
    const imp = captureIO();
    await runImport({ files: [MIKROTIK], opts: { data, ...FOREVER, json: true }, io: imp, ctx });
    expect(imp.err()).toBe('');
    expect(calls.filter((c) => c === 'migrate' || c === 'setRetention')).toEqual(['migrate', 'setRetention']);
    // Reads.
    calls.length = 0;
    const q = captureIO();
    await runTop({ data, by: 'src_ip', from: '2000-01-01', tier: 'raw', json: true }, q, ctx);
    expect(q.err()).toBe('');
    expect(JSON.parse(q.out()).rows.length).toBeGreaterThan(0);
    const dry = captureIO();
    await runRetention(
      { data, dryRun: true, json: true, retentionRaw: '1d', retentionAggregates: '2d' },
      dry,
      ctx,
    );
    expect(dry.err()).toBe('');
    expect(calls).toContain('checkSchema');
    expect(calls.filter((c) => WRITES.includes(c))).toEqual([]);
    // The retention import recorded is still in force.
    const store = await openStore({ data });
    try {
      expect((await store.tierState()).retention.raw).toBe(Number.POSITIVE_INFINITY);
    } finally {
      await store.close();
    }
  });
});

describe('import reads the configuration like serve', () => {
  it('keeps every flow under a 100-year retention given in the environment, and records it', async () => {
    const data = tempDir();
    const env = {
      FLOWLENS_RETENTION_RAW: '100y',
      FLOWLENS_RETENTION_AGGREGATES: '100y',
      FLOWLENS_RETENTION_DAILY: '100y',
    };
    const io = captureIO();
    await runImport({ files: [MIKROTIK], opts: { data, json: true }, io, ctx: { env } });
    expect(io.err()).toBe('');
    const stored = JSON.parse(io.out()).flows_stored;
    expect(stored).toBeGreaterThan(0);
    const store = await openStore({ data });
    try {
      const YEARS_100 = 36_500 * 86_400_000;
      expect((await store.tierState()).retention).toEqual({
        raw: YEARS_100,
        aggregates: YEARS_100,
        daily: YEARS_100,
      });
      const all = await store.query({
        kind: 'top',
        by: [],
        metric: 'flows',
        from: 0,
        to: 4_102_444_800_000,
        limit: 1,
        tier: 'raw',
      });
      expect(all.rows[0].flows).toBe(stored);
    } finally {
      await store.close();
    }
  });

  async function aggregateDirections(data: string): Promise<Map<string, string>> {
    const store = await openStore({ data });
    try {
      const res = await store.query({ kind: 'aggregate_rows', from: 0, to: 4_102_444_800_000 });
      return new Map(
        res.rows.map((r) => [`${r.src_ip} > ${r.dst_ip}`, `${r.is_internal} ${r.traffic_direction}`]),
      );
    } finally {
      await store.close();
    }
  }

  it('aggregates with the configured internal networks', async () => {
    const configured = tempDir();
    const file = join(configured, 'flowlens.yaml');
    writeFileSync(
      file,
      [
        `data: ${configured}`,
        'internalNetworks: ["fe80::/10", 255.255.255.255/32]',
        'retention: { raw: forever, aggregates: forever, daily: forever }',
        '',
      ].join('\n'),
    );
    const io = captureIO();
    await runImport({ files: [MIKROTIK], opts: { config: file }, io });
    expect(io.err()).toBe('');
    const withConfig = await aggregateDirections(configured);
    // Link-local and broadcast are internal only because the configuration says so.
    expect(withConfig.get('fe80::ff:fe00:401 > fe80::ff:fe00:401')).toBe('1 internal');
    expect(withConfig.get('172.20.4.1 > 255.255.255.255')).toBe('1 internal');
    // The same capture without that configuration (the environment gives it as well as a file would).
    const plain = tempDir();
    await runImport({
      files: [MIKROTIK],
      opts: { data: plain, ...FOREVER },
      io: captureIO(),
      ctx: { env: {} },
    });
    const without = await aggregateDirections(plain);
    expect(without.get('fe80::ff:fe00:401 > fe80::ff:fe00:401')).toBe('0 external');
    expect(without.get('172.20.4.1 > 255.255.255.255')).toBe('0 egress');
    const viaEnv = tempDir();
    await runImport({
      files: [MIKROTIK],
      opts: { data: viaEnv, ...FOREVER },
      io: captureIO(),
      ctx: { env: { FLOWLENS_INTERNAL_NETWORKS: 'fe80::/10' } },
    });
    expect((await aggregateDirections(viaEnv)).get('fe80::ff:fe00:401 > fe80::ff:fe00:401')).toBe(
      '1 internal',
    );
  });
});
