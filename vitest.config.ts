import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'ui/test/**/*.test.ts'],
    // forks, not threads: the embedded ClickHouse engine is a native addon that wants its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Lazily shared PostgreSQL for storage/postgres tests (starts only when a test asks for it).
    // The browser tests need dist/ui: built once per run when older than ui/.
    globalSetup: ['src/storage/testing/postgres-global-setup.ts', 'ui/test/global-setup.ts'],
  },
});
