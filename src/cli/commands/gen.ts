import type { Command } from 'commander';
import { parseHostPort } from '../../config/schema.js';
import { sendPaced } from '../../demo/send.js';
import { createExporter, GEN_PROTOCOLS, type GenProtocol } from '../../gen/index.js';
import type { CliIO } from '../io.js';

interface GenFlags {
  protocol: string;
  rate: string;
  count?: string;
  duration?: string;
  to: string;
  tcp?: boolean;
  seed: string;
  exporterId: string;
  sampling?: string;
  clients?: string;
  servers?: string;
}

function positive(name: string, v: string | undefined, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(`--${name}: expected a number, got "${v}"`);
  return n;
}

/**
 * `flowlens gen`: a synthetic exporter (src/gen) sending real wire-format datagrams, paced to --rate flows/s.
 * Prints exactly what it sent as one JSON object, so a collector's stored totals can be compared to the flow.
 */
export async function runGen(flags: GenFlags, io: CliIO): Promise<number> {
  try {
    if (!GEN_PROTOCOLS.includes(flags.protocol as GenProtocol)) {
      throw new Error(`--protocol: expected one of ${GEN_PROTOCOLS.join(', ')}, got "${flags.protocol}"`);
    }
    const to = parseHostPort(flags.to);
    if (!to) throw new Error(`--to: expected host:port, got "${flags.to}"`);
    const rate = positive('rate', flags.rate, true) ?? 1000;
    const count = positive('count', flags.count);
    const duration = positive('duration', flags.duration);
    if (count === undefined && duration === undefined)
      throw new Error('give --count FLOWS or --duration SECONDS');
    const transport = flags.tcp ? 'tcp' : 'udp';
    if (transport === 'tcp' && flags.protocol !== 'ipfix' && flags.protocol !== 'v9') {
      throw new Error('--tcp: only ipfix (RFC 7011 §10.4) or v9 can be sent over TCP');
    }
    const exporter = createExporter({
      protocol: flags.protocol as GenProtocol,
      seed: Number(flags.seed),
      exporterId: Number(flags.exporterId),
      samplingRate: positive('sampling', flags.sampling),
      traffic: { clients: positive('clients', flags.clients), servers: positive('servers', flags.servers) },
    });
    const host = to.host === '::' ? '::1' : to.host;
    const r = await sendPaced({
      exporter,
      host,
      port: to.port,
      transport,
      rate,
      count,
      durationMs: duration !== undefined ? duration * 1000 : undefined,
    });
    io.stdout.write(
      `${JSON.stringify({
        protocol: r.protocol,
        to: `${host}:${to.port}`,
        transport,
        flows: r.flows,
        packets: r.packets,
        bytes: r.bytes,
        datagrams: r.datagrams,
        wire_bytes: r.wireBytes,
        templates: r.templates,
        options_records: r.optionsRecords,
        counter_samples: r.counterSamples,
        send_errors: r.sendErrors,
        elapsed_ms: r.elapsedMs,
        flows_per_second: r.elapsedMs ? Math.round((r.flows * 1000) / r.elapsedMs) : null,
      })}\n`,
    );
    return 0;
  } catch (err) {
    io.stderr.write(`flowlens gen: ${(err as Error).message}\n`);
    return 2;
  }
}

export function registerGen(program: Command, io: CliIO): void {
  program
    .command('gen')
    .description('send synthetic NetFlow/IPFIX/sFlow exports, paced, and print exactly what was sent (JSON)')
    .requiredOption('--protocol <p>', `one of ${GEN_PROTOCOLS.join(', ')}`)
    .option('--rate <flows/s>', 'flows per second to offer (0 = as fast as possible)', '1000')
    .option('--count <flows>', 'stop after this many flows')
    .option('--duration <seconds>', 'stop after this long')
    .option('--to <host:port>', 'collector address', '127.0.0.1:2055')
    .option('--tcp', 'IPFIX/v9 over TCP instead of UDP')
    .option('--seed <n>', 'PRNG seed (same seed, same flows)', '1')
    .option('--exporter-id <n>', 'engine id / source id / observation domain / sub-agent', '0')
    .option('--sampling <n>', 'announced 1:N sampling rate')
    .option(
      '--clients <n>',
      'client hosts (default 200, at most 60000): more makes more distinct conversations',
    )
    .option('--servers <n>', 'server hosts (default 20, at most 250)')
    .action(async (flags: GenFlags) => {
      io.setExitCode(await runGen(flags, io));
    });
}
