/** Browser-test helpers: Debian's Chromium (/usr/bin/chromium), console errors, the demo serve (re-exported). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export { startUiServer, type UiServer } from '../../src/app/testing/ui-server.js';

export const CHROMIUM = '/usr/bin/chromium';

export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium package (apt-get install chromium; .ci/run installs it)`,
    );
}

export async function launch(): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
}

/**
 * Console errors and uncaught exceptions of a page (the tests expect none). `expected`: URLs whose failed
 * loads are part of the test (a 404 of a route this server lacks, a refused login) and not errors of the UI.
 */
export function consoleErrors(page: Page, expected?: RegExp): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expected && /^Failed to load resource/.test(m.text()) && expected.test(m.location().url)) return;
    errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'screenshots');
