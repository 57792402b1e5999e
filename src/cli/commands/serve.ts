import type { Command } from 'commander';
import { startServe } from '../../app/serve.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';

/**
 * Runs until SIGINT/SIGTERM, then stops gracefully (stop receiving, drain, flush, save decoder state).
 * A second signal exits at once; the spool still holds whatever was not stored, replayed at the next start.
 */
export async function runUntilSignal(stop: () => Promise<void>, io: CliIO): Promise<void> {
  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        io.stderr.write(`flowlens: second ${sig}, exiting now\n`);
        process.exit(130);
      }
      signalled = true;
      stop().then(resolve, (err) => {
        io.stderr.write(`flowlens: stop failed: ${(err as Error).message}\n`);
        io.setExitCode(1);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerServe(program: Command, io: CliIO): void {
  addConfigFlags(
    program
      .command('serve')
      .description(
        'run the collector: receive NetFlow/IPFIX/sFlow, decode in workers, store, serve /metrics',
      ),
    'serve',
  ).action(async (opts: ConfigOpts) => {
    const config = configOrExit('serve', opts, io);
    if (!config) return;
    let serve: Awaited<ReturnType<typeof startServe>>;
    try {
      serve = await startServe(config);
    } catch (err) {
      io.stderr.write(`flowlens serve: cannot start: ${(err as Error).message}\n`);
      io.setExitCode(1);
      return;
    }
    await runUntilSignal(serve.stop, io);
  });
}
