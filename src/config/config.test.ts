import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FOREVER } from '../core/retention.js';
import { ConfigError, dumpConfig, loadConfig } from './load.js';
import { parseHostPort } from './schema.js';

const DAY = 86_400_000;

function yamlFile(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'flowlens-cfg-')), 'c.yaml');
  writeFileSync(f, text);
  return f;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig();
    expect(c.listen.netflow).toEqual(['[::]:2055']);
    expect(c.listen.ipfix).toEqual(['[::]:4739']);
    expect(c.listen.ipfixTcp).toEqual(['[::]:4739']);
    expect(c.listen.sflow).toEqual(['[::]:6343']);
    expect(c.http.listen).toBe('127.0.0.1:8080');
    expect(c.jobs).toEqual({
      enabled: true,
      aggregateGrace: 120_000,
      aggregateEvery: 60_000,
      retentionEvery: 3_600_000,
      rollupEvery: 3_600_000,
      discoverEvery: 300_000,
    });
    expect(c.deps).toEqual({
      discoveryWindow: 86_400_000,
      maxConversations: 100_000,
      idleAfter: 7 * 86_400_000,
      servicePorts: [],
      labels: [],
    });
    // No source names a retention: writers keep the store's (see app/store.ts prepareForWriting).
    expect(c.retention).toBeUndefined();
    // Named at all: the tiers not given take the defaults.
    expect(loadConfig({ file: yamlFile('retention: {}\n') }).retention).toEqual({
      raw: 7 * DAY,
      aggregates: 90 * DAY,
      daily: 730 * DAY,
    });
  });

  it('applies flags > env > file > defaults', () => {
    const file = yamlFile(
      'listen:\n  netflow: 10.0.0.1:2000\n  sflow: ["[::1]:7000"]\nhttp:\n  listen: 127.0.0.1:1\n',
    );
    const c = loadConfig({
      file,
      env: { FLOWLENS_LISTEN_NETFLOW: '0.0.0.0:3000', FLOWLENS_HTTP: '127.0.0.1:2', FLOWLENS_WORKERS: '3' },
      flags: { 'http.listen': '127.0.0.1:3', data: undefined },
    });
    expect(c.listen.netflow).toEqual(['0.0.0.0:3000']); // env beats file
    expect(c.listen.sflow).toEqual(['[::1]:7000']); // file beats default
    expect(c.listen.ipfix).toEqual(['[::]:4739']); // default
    expect(c.http.listen).toBe('127.0.0.1:3'); // flag beats env and file
    expect(c.ingest.workers).toBe(3); // env string coerced
    expect(c.data).toBe('./data'); // undefined flag ignored
  });

  it('names the key of a bad value, and where the value came from', () => {
    expect(errorOf(() => loadConfig({ env: { FLOWLENS_LISTEN_NETFLOW: 'abc' } }))).toBe(
      'listen.netflow: expected host:port, got "abc" (from FLOWLENS_LISTEN_NETFLOW)',
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('ingest:\n  queueCapacity: -5\n') }))).toMatch(
      /^ingest\.queueCapacity: .* \(in \/.*c\.yaml\)$/,
    );
    expect(errorOf(() => loadConfig({ flags: { 'ingest.allow': ['10.0.0.0/33'] } }))).toBe(
      'ingest.allow: expected an address or CIDR, got "10.0.0.0/33"',
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('lisen: {}\n') }))).toMatch(/^lisen: unknown key \(in /);
    expect(errorOf(() => loadConfig({ file: yamlFile('listen: [1, 2\n') }))).toMatch(/not valid YAML/);
    expect(errorOf(() => loadConfig({ file: '/nonexistent/flowlens.yaml' }))).toMatch(
      /cannot read config file/,
    );
  });

  it('reads durations from YAML, env and flags: flags > env > file > defaults', () => {
    const file = yamlFile(
      'retention: { raw: 14d, aggregates: 180d, daily: 5y }\njobs: { aggregateGrace: 90s, rollupEvery: 30m }\n',
    );
    const fromFile = loadConfig({ file });
    expect(fromFile.retention).toEqual({ raw: 14 * DAY, aggregates: 180 * DAY, daily: 5 * 365 * DAY });
    expect(fromFile.jobs.aggregateGrace).toBe(90_000);
    expect(fromFile.jobs.rollupEvery).toBe(1_800_000);
    const env = {
      FLOWLENS_RETENTION_RAW: '30d',
      FLOWLENS_RETENTION_DAILY: '100y',
      FLOWLENS_AGGREGATE_GRACE: '5m',
    };
    const withEnv = loadConfig({ file, env });
    expect(withEnv.retention).toEqual({ raw: 30 * DAY, aggregates: 180 * DAY, daily: 36_500 * DAY });
    expect(withEnv.jobs.aggregateGrace).toBe(300_000);
    const withFlags = loadConfig({
      file,
      env,
      flags: { 'retention.raw': '60d', 'retention.daily': 'forever', 'retention.aggregates': undefined },
    });
    expect(withFlags.retention).toEqual({ raw: 60 * DAY, aggregates: 180 * DAY, daily: FOREVER });
    // Only the environment: a 100-year retention everywhere is fine (the stores represent it).
    expect(
      loadConfig({
        env: {
          FLOWLENS_RETENTION_RAW: '100y',
          FLOWLENS_RETENTION_AGGREGATES: '100y',
          FLOWLENS_RETENTION_DAILY: '100y',
        },
      }).retention,
    ).toEqual({ raw: 36_500 * DAY, aggregates: 36_500 * DAY, daily: 36_500 * DAY });
    expect(
      loadConfig({ file: yamlFile('retention: { raw: forever, aggregates: forever, daily: forever }\n') })
        .retention,
    ).toEqual({
      raw: FOREVER,
      aggregates: FOREVER,
      daily: FOREVER,
    });
  });

  it('refuses retentions that would lose data, with the reason', () => {
    expect(errorOf(() => loadConfig({ env: { FLOWLENS_RETENTION_RAW: '2000y' } }))).toBe(
      'retention.raw: "2000y" is beyond what the stores can represent (at most 1000y): use forever (from FLOWLENS_RETENTION_RAW)',
    );
    expect(
      errorOf(() =>
        loadConfig({ flags: { 'retention.raw': '100d' }, flagNames: { 'retention.raw': '--retention-raw' } }),
      ),
    ).toBe(
      'retention.raw: 100d is longer than retention.aggregates (90d): a tier must not keep longer than the coarser one after it (raw <= aggregates <= daily), older ranges are answered from the coarser tier (from --retention-raw)',
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('retention: { raw: forever }\n') }))).toMatch(
      /^retention\.raw: forever is longer than retention\.aggregates \(90d\)/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('retention: { aggregates: 3y }\n') }))).toMatch(
      /^retention\.aggregates: 3y is longer than retention\.daily \(2y\)/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('retention: { raw: 5m }\n') }))).toMatch(
      /^retention\.raw: 5m is shorter than the aggregation grace plus one 5-minute window \(jobs\.aggregateGrace 2m \+ 5m\): raw flows would expire before their window is aggregated/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('retention: { raw: 1h, aggregates: 1d }\n') }))).toMatch(
      /^retention\.aggregates: 1d is shorter than a day plus jobs\.rollupEvery \(1h\)/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('jobs: { aggregateGrace: forever }\n') }))).toMatch(
      /^jobs\.aggregateGrace: forever is not allowed here/,
    );
    expect(errorOf(() => loadConfig({ env: { FLOWLENS_ROLLUP_EVERY: '30d' } }))).toMatch(
      /^jobs\.rollupEvery: "30d" is beyond the longest timer Node\.js keeps \(at most 24d\)/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('retention: { raw: 7 }\n') }))).toMatch(
      /^retention\.raw: expected a duration like 90s, 15m, 12h, 7d, 2w or 2y, or forever, got 7 \(in /,
    );
  });

  it('names what replaced the keys and variables earlier versions read', () => {
    expect(errorOf(() => loadConfig({ env: { FLOWLENS_RETENTION_RAW_DAYS: '36500' } }))).toBe(
      'FLOWLENS_RETENTION_RAW_DAYS: no longer read; use FLOWLENS_RETENTION_RAW (a duration, e.g. 7d)',
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('jobs: { retentionDays: { raw: 7 } }\n') }))).toMatch(
      /^jobs\.retentionDays: unknown key \(replaced by retention, durations: retention: \{ raw: 7d/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('jobs: { aggregateGraceMs: 1000 }\n') }))).toMatch(
      /^jobs\.aggregateGraceMs: unknown key \(replaced by jobs\.aggregateGrace/,
    );
  });

  it('dumps durations in the duration syntax, so the dump reads back as a config file', () => {
    const c = loadConfig({ env: { FLOWLENS_RETENTION_RAW: '36h', FLOWLENS_RETENTION_DAILY: 'forever' } });
    const text = dumpConfig(c);
    const tree = parse(text);
    expect(tree.retention).toEqual({ raw: '36h', aggregates: '90d', daily: 'forever' });
    expect(tree.jobs.aggregateGrace).toBe('2m');
    expect(loadConfig({ file: yamlFile(text) })).toEqual(c);
    expect(dumpConfig(loadConfig())).toMatch(
      /\n# retention: not configured; writers leave the retention the store keeps/,
    );
  });

  it('parses host:port forms', () => {
    expect(parseHostPort('0.0.0.0:2055')).toEqual({ host: '0.0.0.0', port: 2055 });
    expect(parseHostPort('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseHostPort(':6343')).toEqual({ host: '::', port: 6343 });
    expect(parseHostPort('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseHostPort('abc')).toBeNull();
    expect(parseHostPort('1.2.3.4:70000')).toBeNull();
    expect(parseHostPort('[nothex]:1')).toBeNull();
  });
});
