/** The auth section: safe default, explicit no-auth, JWT settings validated, the scrape token never dumped. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFor } from '../cli/command-config.js';
import { ConfigError, dumpConfig, loadConfig } from './load.js';

function yamlFile(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'flowlens-cfg-auth-')), 'c.yaml');
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

describe('auth configuration', () => {
  it('requires authentication unless told otherwise', () => {
    const c = loadConfig();
    expect(c.auth).toEqual({ mode: 'required', rate_limit: { max: 1200, window: 60_000 } });
    expect(loadConfig({ env: { FLOWLENS_AUTH_MODE: 'none' } }).auth.mode).toBe('none');
    // Only the demo fixes it (loopback, a local trial); serve keeps the default whatever its flags.
    expect(configFor('demo', {}, { env: {} }).auth.mode).toBe('none');
    expect(configFor('serve', {}, { env: {} }).auth.mode).toBe('required');
  });

  it('names a bad key and where it came from', () => {
    expect(errorOf(() => loadConfig({ env: { FLOWLENS_AUTH_MODE: 'off' } }))).toMatch(
      /^auth\.mode: .*FLOWLENS_AUTH_MODE/,
    );
    expect(errorOf(() => loadConfig({ file: yamlFile('auth: { metrics_token: short }') }))).toMatch(
      /^auth\.metrics_token/,
    );
    const both = yamlFile('auth:\n  jwt: { jwks_file: a.json, pem_file: b.pem, issuer: x, audience: y }\n');
    expect(errorOf(() => loadConfig({ file: both }))).toMatch(
      /^auth\.jwt: .*exactly one of jwks_file and pem_file/,
    );
    const noIssuer = yamlFile('auth:\n  jwt: { pem_file: b.pem, audience: y }\n');
    expect(errorOf(() => loadConfig({ file: noIssuer }))).toMatch(/^auth\.jwt\.issuer/);
    expect(errorOf(() => loadConfig({ file: yamlFile('auth: { rate_limit: { window: 5 } }') }))).toMatch(
      /^auth\.rate_limit\.window/,
    );
  });

  it('reads JWT settings with their defaults', () => {
    const c = loadConfig({
      file: yamlFile('auth:\n  jwt: { pem_file: idp.pem, issuer: https://idp, audience: [a, b] }\n'),
    });
    expect(c.auth.jwt).toEqual({
      pem_file: 'idp.pem',
      issuer: 'https://idp',
      audience: ['a', 'b'],
      clock_skew: 30_000,
      role_claim: 'flowlens_role',
      tenant_claim: 'flowlens_tenant',
    });
  });

  it('config dump never prints the scrape token', () => {
    const secret = 'scrape-secret-0123456789';
    const text = dumpConfig(loadConfig({ env: { FLOWLENS_METRICS_TOKEN: secret } }));
    expect(text).not.toContain(secret);
    expect(text).toContain('metrics_token');
  });
});
