import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { parseHostPort } from './schema.js';

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
    expect(c.jobs.retentionDays).toEqual({ raw: 7, aggregates: 90, daily: 730 });
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

  it('names the key of a bad value', () => {
    expect(errorOf(() => loadConfig({ env: { FLOWLENS_LISTEN_NETFLOW: 'abc' } }))).toBe(
      'listen.netflow: expected host:port, got "abc"',
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('ingest:\n  queueCapacity: -5\n') }))).toMatch(
      /^ingest\.queueCapacity: /,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('ingest:\n  allow: [10.0.0.0/33]\n') }))).toBe(
      'ingest.allow: expected an address or CIDR, got "10.0.0.0/33"',
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('lisen: {}\n') }))).toBe('lisen: unknown key');
    expect(errorOf(() => loadConfig({ file: yamlFile('listen: [1, 2\n') }))).toMatch(/not valid YAML/);
    expect(errorOf(() => loadConfig({ file: '/nonexistent/flowlens.yaml' }))).toMatch(
      /cannot read config file/,
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
