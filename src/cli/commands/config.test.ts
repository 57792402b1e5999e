import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CliIO } from '../io.js';
import { registerConfig } from './config.js';
import { registerQuery } from './query.js';
import { registerServe } from './serve.js';

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io: CliIO = {
    stdout: { write: (s: string) => out.push(s) > 0 },
    stderr: { write: (s: string) => err.push(s) > 0 },
    setExitCode: (c) => {
      code = c;
    },
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const program = new Command('flowlens')
      .exitOverride()
      .configureOutput({ writeErr: (s) => err.push(s), writeOut: (s) => out.push(s) });
    registerConfig(program, io);
    registerServe(program, io);
    registerQuery(program, io);
    await program.parseAsync(['node', 'flowlens', ...args]);
  } finally {
    process.env = saved;
  }
  return { out: out.join(''), err: err.join(''), code };
}

describe('flowlens config', () => {
  it('check: one clear error naming the key, exit non-zero', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'flowlens-cli-cfg-')), 'c.yaml');
    writeFileSync(f, 'listen:\n  netflow: abc\n');
    const r = await run(['config', 'check', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `flowlens config check: invalid configuration: listen.netflow: expected host:port, got "abc" (in ${f})\n`,
    );
    expect((await run(['config', 'check'])).out).toBe('configuration OK\n');
  });

  it('dump: the effective tree as YAML, flags over env', async () => {
    const r = await run(['config', 'dump', '--http', '127.0.0.1:9999'], {
      FLOWLENS_HTTP: '127.0.0.1:1',
      FLOWLENS_WORKERS: '3',
    });
    const tree = parse(r.out);
    expect(tree.http.listen).toBe('127.0.0.1:9999');
    expect(tree.ingest.workers).toBe(3);
    expect(tree.listen.sflow).toEqual(['[::]:6343']);
  });

  it('dump: durations and retention from file, env and flags, in that precedence', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'flowlens-cli-cfg-')), 'c.yaml');
    writeFileSync(f, 'retention: { raw: 14d, aggregates: 1y, daily: 10y }\njobs: { aggregateGrace: 90s }\n');
    const r = await run(['config', 'dump', '--config', f, '--retention-raw', '30d'], {
      FLOWLENS_RETENTION_RAW: '20d',
      FLOWLENS_RETENTION_AGGREGATES: '2y',
    });
    expect(r.err).toBe('');
    const tree = parse(r.out);
    expect(tree.retention).toEqual({ raw: '30d', aggregates: '2y', daily: '10y' });
    expect(tree.jobs.aggregateGrace).toBe('90s');
  });

  it('dump --for demo: what the demo fixes and defaults, under the environment', async () => {
    const demo = parse((await run(['config', 'dump', '--for', 'demo'])).out);
    expect(demo.data).toBe('./demo-data');
    expect(demo.listen.netflow).toEqual(['127.0.0.1:0']);
    expect(demo.jobs.aggregateGrace).toBe('30s');
    const env = parse((await run(['config', 'dump', '--for', 'demo'], { FLOWLENS_DATA: '/tmp/x' })).out);
    expect(env.data).toBe('/tmp/x');
    const bad = await run(['config', 'dump', '--for', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--for: unknown command "nope"/);
  });

  it('serve takes the retention flags; a bad one stops it with the key and the flag', async () => {
    const r = await run(['serve', '--retention-raw', '2000y']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'flowlens serve: invalid configuration: retention.raw: "2000y" is beyond what the stores can represent (at most 1000y): use forever (from --retention-raw)\n',
    );
  });

  it('query takes no retention flags (a read never changes retention)', async () => {
    await expect(run(['query', 'top', '--by', 'src_ip', '--retention-raw', '7d'])).rejects.toThrow(
      /unknown option '--retention-raw'/,
    );
  });
});
