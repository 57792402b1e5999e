/** The storage commands end to end on a real embedded store: migrate, import, query top, retention. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../core/record.js';
import { CORPUS_DIR, listCaptures } from '../../decode/testing/corpus.js';
import { FlowDecoder } from '../../normalize/flow-decoder.js';
import { readCapture } from '../../wire/pcap.js';
import { captureIO } from '../testing/io.js';
import { runImport } from './import.js';
import { runMigrate } from './migrate.js';
import { parseTime, parseTopFlags, runTop, type TopFlags } from './query.js';
import { runRetention } from './retention.js';

const capture = captureIO;

const files = listCaptures()
  .filter((c) => /netflow5\.pcap$|ipfix_mikrotik|sflow_test_payloads/.test(c.name))
  .map((c) => c.path);

/** Sampling-scaled bytes per value of a field (or of what `key` reads) over the ground truth. */
function bytesBy(key: 'src_ip' | 'dst_ip' | ((r: FlowRecord) => unknown)): Map<string, number> {
  const want = new Map<string, number>();
  for (const r of decodeAll()) {
    const k = String(typeof key === 'function' ? key(r) : r[key]);
    want.set(k, (want.get(k) ?? 0) + Number(r.bytes_total) * Math.max(r.sampling_rate, 1));
  }
  return want;
}

/** Ground truth: the same captures through FlowDecoder directly. */
function decodeAll(): FlowRecord[] {
  const decoder = new FlowDecoder();
  const out: FlowRecord[] = [];
  for (const f of files) {
    for (const p of readCapture(readFileSync(f), { onError: () => {} })) {
      if (p.transport !== 'udp') continue;
      for (const r of decoder.decode({
        bytes: p.payload,
        exporter: p.src,
        exporterPort: p.srcPort,
        receivedAt: p.timestamp,
      }).records)
        if (r.record_type === undefined || r.record_type === 'flow') out.push(r);
    }
  }
  return out;
}

describe('storage commands', () => {
  const data = mkdtempSync(join(tmpdir(), 'flowlens-cli-'));
  /** `query top --json` on the test store: nothing on stderr, the answer parsed. */
  async function topJson(flags: Omit<TopFlags, 'data'> & Pick<TopFlags, 'by'>) {
    const io = capture();
    await runTop({ data, ...flags, json: true }, io);
    expect(io.err()).toBe('');
    return JSON.parse(io.out());
  }
  // Captures are years old: keep them (import, a writer, records the configured retention in the store).
  const keep = { data, retentionRaw: '30y', retentionAggregates: '30y', retentionDaily: '30y' };
  afterAll(() => rmSync(data, { recursive: true, force: true }));

  it('migrate creates the schema once', async () => {
    const io = capture();
    await runMigrate({ data, json: true }, io);
    expect(io.code()).toBe(0);
    expect(JSON.parse(io.out()).applied.length).toBeGreaterThan(0);
    const again = capture();
    await runMigrate({ data }, again);
    expect(again.out()).toMatch(/up to date/);
  });

  it('import stores every decoded flow and aggregates their windows', async () => {
    expect(files.length).toBe(3);
    const want = decodeAll();
    const io = capture();
    await runImport({ files, opts: { ...keep, json: true }, io });
    expect(io.err()).toBe('');
    const s = JSON.parse(io.out());
    expect(s.files).toBe(3);
    expect(s.flows_stored).toBe(want.length);
    expect(s.windows_aggregated).toBeGreaterThan(0);
    expect(s.aggregate_rows).toBeGreaterThan(0);
  });

  it('query top on the raw tier reports sampling-scaled bytes per source', async () => {
    const want = bytesBy('src_ip');
    const res = await topJson({ by: 'src_ip', from: '2000-01-01', to: 'now', limit: '3', tier: 'raw' });
    expect(res.tier).toBe('raw');
    const top = [...want.values()].sort((a, b) => b - a).slice(0, 3);
    expect(res.rows.map((r: { bytes: number }) => r.bytes)).toEqual(top);
    for (const r of res.rows) expect(want.get(String(r.src_ip))).toBe(r.bytes);
    // The aggregate tier holds the same totals per source (ports collapse, addresses do not).
    const agg = capture();
    await runTop(
      { data, by: 'src_ip', from: '2000-01-01', to: 'now', limit: '3', tier: 'aggregates', json: true },
      agg,
    );
    // An absent address reads as null on both tiers (the aggregate key's '::' is read back as null).
    expect(JSON.parse(agg.out()).rows).toEqual(res.rows);
    const table = capture();
    await runTop({ data, by: 'src_ip,dst_port', from: '2000-01-01', limit: '5' }, table);
    expect(table.out()).toMatch(/^src_ip\s+dst_port\s+bytes\n/);
    // One line names the tier of each span: ports are exact only in raw, which still holds the range.
    expect(table.out()).toMatch(/\(5 rows; raw \d{4}-.*\)\n$/);
  });

  it('a range of a century answers every imported flow (aggregates and raw, not the daily tier alone)', async () => {
    const want = bytesBy('dst_ip');
    const res = await topJson({
      by: 'dst_ip',
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      limit: '1000',
    });
    const got = new Map(
      res.rows.map((r: { dst_ip: string | null; bytes: number }) => [String(r.dst_ip), r.bytes]),
    );
    expect(got).toEqual(want);
    expect(res.complete).toBe(true);
    expect(res.parts.map((p: { tier: string }) => p.tier)).toContain('aggregates');
  });

  it('groups by a value of extended_fields (ext.KEY) over raw flows, as the decoded records say', async () => {
    const want = bytesBy((r) => r.extended_fields.sampling_source ?? null);
    const res = await topJson({
      by: 'ext.sampling_source',
      from: '2000-01-01',
      to: 'now',
      limit: '50',
      tier: 'raw',
    });
    expect(res.columns).toEqual(['ext.sampling_source', 'bytes']);
    const got = new Map(
      res.rows.map((r: Record<string, string | number>) => [String(r['ext.sampling_source']), r.bytes]),
    );
    expect(got).toEqual(want);
    expect(want.size).toBeGreaterThan(1);
  });

  it('bad query parameters fail with a message naming the parameter', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ by: 'src_ip,colour' }, /--by: unknown field "colour" \(fields: src_ip/],
      [{ by: ',' }, /--by: at least one field/],
      [{ by: 'ext.' }, /--by: unknown field "ext\." .*or ext\.KEY/],
      [{ by: 'ext.a b' }, /--by: unknown field "ext\.a b"/],
      [{ by: 'src_ip', metric: 'bits' }, /--metric/],
      [{ by: 'src_ip', from: 'yesterday' }, /--from: expected an ISO-8601 time/],
      [{ by: 'src_ip', to: '-1x' }, /--to: expected a duration/],
      [{ by: 'src_ip', limit: '0' }, /--limit/],
      [{ by: 'src_ip', from: '-1h', to: '-2h' }, /--from must be before --to/],
      [{ by: 'src_ip', tier: 'hourly' }, /--tier/],
    ];
    for (const [flags, msg] of cases) {
      const io = capture();
      await runTop({ data, ...flags } as never, io);
      expect(io.code(), JSON.stringify(flags)).toBe(2);
      expect(io.err()).toMatch(msg);
    }
  });

  it('parses times and durations', () => {
    const now = Date.UTC(2026, 0, 10, 12);
    expect(parseTime('-1h', '--from', now)).toBe(now - 3_600_000);
    expect(parseTime('-7d', '--from', now)).toBe(now - 7 * 86_400_000);
    expect(parseTime('2026-01-10T10:00:00Z', '--from', now)).toBe(Date.UTC(2026, 0, 10, 10));
    expect(parseTime('2026-01-10T10:00', '--from', now)).toBe(Date.UTC(2026, 0, 10, 10));
    expect(parseTime('2026-01-10T12:00:00+02:00', '--from', now)).toBe(Date.UTC(2026, 0, 10, 10));
    expect(parseTopFlags({ by: 'dst_ip, dst_port' }, now)).toEqual({
      kind: 'top',
      by: ['dst_ip', 'dst_port'],
      metric: 'bytes',
      limit: 10,
      from: now - 3_600_000,
      to: now,
      tier: undefined,
    });
  });

  it('retention: --dry-run reports without recording; the real run records and removes', async () => {
    const defaults = { data, retentionRaw: '7d', retentionAggregates: '90d', retentionDaily: '2y' };
    const dry = capture();
    await runRetention({ ...defaults, dryRun: true, json: true }, dry);
    const rep = JSON.parse(dry.out());
    expect(rep.retention).toEqual({ raw: '7d', aggregates: '90d', daily: '2y' });
    const raw = rep.tiers.find((t: { tier: string }) => t.tier === 'raw');
    expect(raw.rows).toBe(decodeAll().length);
    expect(raw.partitions.length).toBeGreaterThan(0);
    // Nothing configured: the retention in force, still the 30 years import recorded (the dry run set nothing).
    const inForce = capture();
    await runRetention({ data, dryRun: true, json: true }, inForce);
    expect(JSON.parse(inForce.out()).retention).toEqual({ raw: '30y', aggregates: '30y', daily: '30y' });
    expect(JSON.parse(inForce.out()).tiers.map((t: { rows: number }) => t.rows)).toEqual([0, 0, 0]);
    const real = capture();
    await runRetention(defaults, real);
    expect(real.out()).toMatch(
      /^removed: \(retention raw 7d, aggregates 90d, daily 2y\)\n {2}raw: before .*: \d+ rows/,
    );
    const after = capture();
    await runRetention({ data, dryRun: true, json: true }, after);
    expect(JSON.parse(after.out()).retention).toEqual({ raw: '7d', aggregates: '90d', daily: '2y' });
    expect(JSON.parse(after.out()).tiers.map((t: { rows: number }) => t.rows)).toEqual([0, 0, 0]);
  });

  it('names the corpus folder it reads', () => {
    expect(CORPUS_DIR).toMatch(/corpus$/);
  });
});
