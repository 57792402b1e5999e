import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CliIO } from '../io.js';
import { registerConfig } from './config.js';

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
    const program = new Command('flowlens').exitOverride();
    registerConfig(program, io);
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
      'flowlens config check: invalid configuration: listen.netflow: expected host:port, got "abc"\n',
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
});
