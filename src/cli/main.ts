#!/usr/bin/env node
import { Command } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerDecode } from './commands/decode.js';
import { registerDemo } from './commands/demo.js';
import { registerDeps } from './commands/deps.js';
import { registerGen } from './commands/gen.js';
import { registerImport } from './commands/import.js';
import { registerLabels } from './commands/labels.js';
import { registerMigrate } from './commands/migrate.js';
import { registerQuery } from './commands/query.js';
import { registerRetention } from './commands/retention.js';
import { registerServe } from './commands/serve.js';
import { registerTenant } from './commands/tenant.js';
import { registerToken } from './commands/token.js';
import type { CliIO } from './io.js';

const io: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

// Piped into `head`: the reader went away; stop quietly instead of crashing with EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const program = new Command('flowlens')
  .description('network flow collector (NetFlow v5/v9, IPFIX, sFlow v5) and service-dependency mapper')
  .showHelpAfterError();
// Sub-commands: one registration line each.
registerDecode(program, io);
registerServe(program, io);
registerConfig(program, io);
registerGen(program, io);
registerDemo(program, io);
registerMigrate(program, io);
registerImport(program, io);
registerQuery(program, io);
registerDeps(program, io);
registerLabels(program, io);
registerRetention(program, io);
registerToken(program, io);
registerTenant(program, io);

await program.parseAsync(process.argv);
