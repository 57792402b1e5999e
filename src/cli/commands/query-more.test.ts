/**
 * `flowlens query scans`, `query example N` and `query exporters` on a real embedded store (exporters
 * through a running serve: src/app/exporters.test.ts covers the route; here: no serve -> a clear error).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../app/store.js';
import { referenceScans, SAMPLED_SCANNER, SCAN_T0, scanFlows } from '../../storage/testing/scans.js';
import { captureIO } from '../testing/io.js';
import { parseScanFlags, runExample, runExporters, runScans } from './query-more.js';

const data = mkdtempSync(join(tmpdir(), 'flowlens-query-more-'));
const FLOWS = scanFlows(3);
const from = new Date(SCAN_T0).toISOString();
const to = new Date(SCAN_T0 + 3_600_000).toISOString();

beforeAll(async () => {
  const store = await openStore({ data });
  await store.migrate();
  await store.setRetention({ raw: Infinity, aggregates: Infinity, daily: Infinity });
  await store.insertFlows(FLOWS);
  await store.close();
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('query scans', () => {
  it('--json: the rows of the reference with the configured default thresholds', async () => {
    const io = captureIO();
    await runScans({ data, from, to, json: true }, io);
    expect(io.err()).toBe('');
    const got = JSON.parse(io.out());
    const want = referenceScans(FLOWS, {
      kind: 'scans',
      from: SCAN_T0,
      to: SCAN_T0 + 3_600_000,
      minTargets: 100,
      minSampledTargets: 5,
      limit: 100,
    });
    expect(got.rows).toEqual(want);
  });
  it('a table for people, with the sampled scanner in it', async () => {
    const io = captureIO();
    await runScans({ data, from, to, minTargets: '300' }, io);
    expect(io.out()).toContain(SAMPLED_SCANNER.ip);
    expect(io.out()).toMatch(/^src_ip\s+targets_estimated/);
    expect(io.out()).toContain(new Date(SCAN_T0).toISOString().slice(0, 13));
  });
  it('a bad threshold names the flag', () => {
    expect(() =>
      parseScanFlags({ minTargets: 'x' }, Date.now(), { minTargets: 100, minSampledTargets: 5 }),
    ).toThrow(/^--min-targets: expected an integer/);
  });
});

describe('query example N', () => {
  it('example 5 finds the scanners', async () => {
    const io = captureIO();
    await runExample('5', { data, from, to, json: true }, io);
    const srcs = JSON.parse(io.out()).rows.map((r: { src_ip: string }) => r.src_ip);
    expect(srcs).toEqual(expect.arrayContaining(['203.0.113.7', SAMPLED_SCANNER.ip]));
  });
  it('example 1 with --filter replacing its filter', async () => {
    const io = captureIO();
    await runExample('1', { data, from, to, filter: 'src host 203.0.113.8', json: true }, io);
    expect(JSON.parse(io.out()).rows).toHaveLength(100);
  });
  it('an unknown example exits 2 naming N', async () => {
    const io = captureIO();
    await runExample('9', { data }, io);
    expect(io.code()).toBe(2);
    expect(io.err()).toMatch(/N: expected an example number 1-6/);
  });
});

describe('query exporters', () => {
  it('without a running serve: collector unavailable, exit 1', async () => {
    const io = captureIO();
    await runExporters({ data }, io);
    expect(io.code()).toBe(1);
    expect(io.err()).toMatch(/Collector unavailable/);
  });
});
