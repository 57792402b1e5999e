// Test-only launcher: runs the TypeScript CLI (src/cli/main.ts) in a child process through the same hooks the
// decode workers use under vitest, so a test can start `flowlens serve` as a real process and kill it.
import { register } from 'node:module';

register('../../core/testing/ts-hooks.mjs', import.meta.url);
await import('../../cli/main.ts');
