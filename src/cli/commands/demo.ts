import type { Command } from 'commander';
import { defaultUiRoot } from '../../api/ui-static.js';
import { simulatorFor } from '../../app/demo-feed.js';
import { startServe } from '../../app/serve.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { runUntilSignal } from './serve.js';

interface DemoFlags extends ConfigOpts {
  rate?: string;
}

/**
 * `flowlens demo`: serve on the embedded store plus a simulated company network (edge router NetFlow v9,
 * core switch IPFIX, access switch sFlow) exporting over loopback, so a fresh install shows data at once.
 * Listeners bind 127.0.0.1 on free ports (the demo never takes the real collector ports); jobs run often
 * (both in COMMAND_CONFIG.demo, so `config dump --for demo` shows them).
 */
export async function runDemo(flags: DemoFlags, io: CliIO): Promise<void> {
  const config = configOrExit('demo', flags, io);
  if (!config) return;
  let serve: Awaited<ReturnType<typeof startServe>>;
  try {
    serve = await startServe(config);
  } catch (err) {
    io.stderr.write(`flowlens demo: cannot start: ${(err as Error).message}\n`);
    io.setExitCode(1);
    return;
  }
  const sim = simulatorFor(serve, Number(flags.rate) || 100);
  await sim.start();
  const http = serve.http ? `http://${serve.http.host}:${serve.http.port}` : null;
  const lines = [
    'FlowLens demo is running: a simulated company network exports to a local collector (Ctrl-C stops it).',
    ...sim.describe().map((e) => `  exporter ${e.name.padEnd(14)} ${e.address.padEnd(10)} ${e.protocol}`),
    `  data      ${config.data} (embedded store)`,
  ];
  if (http && defaultUiRoot()) lines.push(`  web UI    ${http}/`);
  else if (http) lines.push('  web UI    not built (npm run build builds it)');
  if (http) lines.push(`  metrics   ${http}/metrics`, `  ready     ${http}/readyz`);
  lines.push('  auth      off (auth.mode none: a local trial only; serve requires tokens by default)');
  // While the demo holds the embedded store, `flowlens query` goes through its HTTP API by itself.
  lines.push(
    `  query     npx flowlens query top --by src_ip,dst_ip,dst_port --from -15m --data ${config.data}`,
    `            npx flowlens query top --by exporter_ip,protocol_type --metric flows --data ${config.data}`,
  );
  io.stderr.write(`${lines.join('\n')}\n`);
  await runUntilSignal(async () => {
    const flows = sim.describe().reduce((a, e) => a + e.flows, 0);
    await sim.stop();
    await serve.stop();
    io.stderr.write(`flowlens demo stopped (${flows} flows simulated); data kept in ${config.data}\n`);
  }, io);
}

export function registerDemo(program: Command, io: CliIO): void {
  addConfigFlags(
    program
      .command('demo')
      .description(
        'run the collector with a simulated company network exporting to it (embedded store, ./demo-data)',
      ),
    'demo',
  )
    .option('--rate <n>', 'simulated conversations per second', '100')
    .action(async (flags: DemoFlags) => {
      await runDemo(flags, io);
    });
}
