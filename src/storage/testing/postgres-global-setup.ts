/**
 * vitest globalSetup: gives the run a directory where the first test process that needs PostgreSQL starts
 * one shared server (see ./postgres.ts), and stops that server when the run ends. Costs nothing for runs
 * that never touch PostgreSQL.
 */
import { globalSetupRunDir } from './postgres.js';

export default async function setup(): Promise<() => Promise<void>> {
  return globalSetupRunDir();
}
