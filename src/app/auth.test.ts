/**
 * serve's authentication from the configuration: no-auth mode only when configured, with a warning at
 * start and on /readyz; the default requires a credential; a bad JWT key file stops serve at start.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServe, startServe } from './serve.js';
import { tempDir, testConfig } from './testing/harness.js';

let serve: RunningServe | null = null;
afterEach(async () => {
  await serve?.stop();
  serve = null;
});

function memoryLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const base = (s: RunningServe) => `http://127.0.0.1:${s.http!.port}`;

describe('serve authentication', () => {
  it('auth.mode none: a warning at start, /readyz says so, every request is admin', async () => {
    const { log, lines } = memoryLog();
    serve = await startServe(testConfig(tempDir(), { 'auth.mode': 'none' }), { log });
    expect(lines.join('')).toMatch(/"level":40.*authentication is off \(auth.mode: none\)/);
    const ready = await (await fetch(`${base(serve)}/readyz`)).json();
    expect(ready).toMatchObject({
      auth: 'none',
      warning: expect.stringContaining('every request acts as admin'),
    });
    const me = await fetch(`${base(serve)}/api/v1/whoami`);
    expect(await me.json()).toEqual({ auth: 'none', name: 'anonymous', role: 'admin', tenant: null });
  });

  it('by default: 401 without a credential, no warning', async () => {
    const { log, lines } = memoryLog();
    serve = await startServe(testConfig(tempDir()), { log });
    expect(lines.join('')).not.toContain('authentication is off');
    const r = await fetch(`${base(serve)}/api/v1/top?by=src_ip`);
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await (await fetch(`${base(serve)}/readyz`)).json()).toMatchObject({ auth: 'required' });
  });

  it('a JWT key file that is not a key stops serve at start, naming the key', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'idp.pem'), 'not a key');
    const config = testConfig(dir, {
      'auth.jwt': { pem_file: join(dir, 'idp.pem'), issuer: 'https://idp', audience: 'flowlens' },
    });
    await expect(startServe(config, { log: memoryLog().log })).rejects.toThrow(/auth\.jwt\.pem_file/);
  });
});
