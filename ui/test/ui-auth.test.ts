/**
 * The web UI with authentication on (tokens from the store): login with a token works, a bad token is refused
 * with a message, a viewer is not offered the admin-only page (and the API refuses it anyway), an admin is.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../../src/auth/admin.js';
import { consoleErrors, launch, SCREENSHOTS, startUiServer, type UiServer } from './harness.js';

let server: UiServer;
let browser: Browser;
let viewer: string;
let admin: string;

// Refused credentials (no token yet, the bad token) are answers the test asks for; the console logs them.
const EXPECTED = /\/api\/v1\/(whoami|exporters|scans|deps\/diff|deps\/history)/;

beforeAll(async () => {
  server = await startUiServer('required');
  const tokens = new TokenAdmin(server.serve.store);
  viewer = (await tokens.create({ role: 'viewer', name: 'ui-viewer' }, 'test')).token;
  admin = (await tokens.create({ role: 'admin', name: 'ui-admin' }, 'test')).token;
  browser = await launch();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function login(token: string) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = consoleErrors(page, EXPECTED);
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'FlowLens login' }).waitFor();
  await page.locator('input[name=token]').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  return { page, errors };
}

describe('web UI (auth on)', () => {
  it('refuses a bad token with a message and stays on the login form', async () => {
    const { page, errors } = await login('flk_nosuchid_0123456789abcdef0123456789abcdef');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Login refused/);
    expect(await page.locator('nav').count()).toBe(0);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'login-refused.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a viewer logs in, sees data, no banner, and is not offered the admin page', async () => {
    const { page, errors } = await login(viewer);
    await page.getByText(/\(ui-viewer\) \(viewer\)/).waitFor();
    await page.getByTestId('flows-rate').waitFor();
    expect(await page.getByText('Authentication is off').count()).toBe(0);
    expect(await page.locator('nav a', { hasText: 'Tokens' }).count()).toBe(0);
    await page.goto(`${server.url}/tokens`); // the token survives a reload (sessionStorage)
    await page.getByText('Tokens need the admin role.').waitFor();
    const refused = await fetch(`${server.url}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(refused.status).toBe(403);
    await page.screenshot({ path: join(SCREENSHOTS, 'viewer.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an admin is offered the tokens page and it lists both tokens', async () => {
    const { page, errors } = await login(admin);
    await page.locator('nav a', { hasText: 'Tokens' }).click();
    await page.locator('[data-page=tokens] td', { hasText: 'ui-viewer' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'tokens.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
