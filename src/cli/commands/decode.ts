import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DecodeError } from '../../core/errors.js';
import { toJsonRecord } from '../../core/json.js';
import type { FlowRecord } from '../../core/record.js';
import { type FlowDecodeResult, FlowDecoder } from '../../normalize/flow-decoder.js';
import { readCapture } from '../../wire/pcap.js';
import { type CliIO, OutputBatcher } from '../io.js';

export interface DecodeOptions {
  json?: boolean;
  all?: boolean;
  summary?: boolean;
}

/** What `flowlens decode` counted; `--summary` prints exactly this object. */
export interface DecodeSummary {
  files: number;
  frames: number;
  datagrams: number;
  tcp_chunks: number;
  records: number;
  records_by_protocol: Record<string, number>;
  records_by_type: Record<string, number>;
  errors: number;
  errors_by_code: Record<string, number>;
  pending_without_template: number;
  elapsed_ms: number;
}

/**
 * `flowlens decode FILE...`: every capture, in order, through ONE FlowDecoder (templates learnt in one file
 * serve the next, as a collector would see them), one canonical JSON object per record per line on stdout,
 * a readable summary on stderr. Returns the exit code: 1 when a file cannot be read, else 0.
 */
export async function runDecode(files: string[], opts: DecodeOptions, io: CliIO): Promise<number> {
  const started = performance.now();
  const decoder = new FlowDecoder({ includeAll: opts.all === true });
  const out = new OutputBatcher(io.stdout);
  const s: DecodeSummary = {
    files: 0,
    frames: 0,
    datagrams: 0,
    tcp_chunks: 0,
    records: 0,
    records_by_protocol: {},
    records_by_type: {},
    errors: 0,
    errors_by_code: {},
    pending_without_template: 0,
    elapsed_ms: 0,
  };
  let exit = 0;
  const emit = (res: FlowDecodeResult) => {
    if (res.protocol)
      s.records_by_protocol[res.protocol] = (s.records_by_protocol[res.protocol] ?? 0) + res.records.length;
    s.records += res.records.length;
    for (const r of res.records) {
      countType(s, r);
      if (!opts.summary) out.line(JSON.stringify(toJsonRecord(r)));
    }
    countErrors(s, res.errors);
  };
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (err) {
      io.stderr.write(`flowlens decode: cannot read ${file}: ${(err as Error).message}\n`);
      exit = 1;
      continue;
    }
    s.files++;
    let lastFrame = 0;
    const captureErrors: DecodeError[] = [];
    try {
      for (const p of readCapture(bytes, { onError: (e) => captureErrors.push(e) })) {
        lastFrame = p.frame;
        if (p.transport === 'udp') {
          s.datagrams++;
          emit(
            decoder.decode({
              bytes: p.payload,
              exporter: p.src,
              exporterPort: p.srcPort,
              receivedAt: Math.floor(p.timestamp), // records keep whole milliseconds
            }),
          );
        } else {
          const id = `${file}|${p.src}]:${p.srcPort}>${p.dst}]:${p.dstPort}`;
          if (p.payload.length > 0) {
            s.tcp_chunks++;
            emit(
              decoder.decodeStream({ id, exporter: p.src, exporterPort: p.srcPort }, p.payload, p.timestamp),
            );
          }
          if (p.closed) decoder.closeStream(id);
        }
        if (out.pending) await out.flushIfFull();
      }
    } catch (err) {
      captureErrors.push(err as DecodeError);
    }
    s.frames += lastFrame;
    for (const e of captureErrors) {
      // A damaged file keeps what was read before the damage; a file that is no capture at all fails.
      io.stderr.write(`flowlens decode: ${file}: ${e.message}\n`);
      if (e.code === 'unknown_protocol' || lastFrame === 0) exit = 1;
    }
  }
  s.pending_without_template = decoder.pendingCount();
  s.elapsed_ms = Math.round(performance.now() - started);
  if (opts.summary) out.line(JSON.stringify(s));
  else io.stderr.write(formatSummary(s));
  await out.flush();
  return exit;
}

function countType(s: DecodeSummary, r: FlowRecord): void {
  const t = r.record_type ?? 'flow';
  s.records_by_type[t] = (s.records_by_type[t] ?? 0) + 1;
}

function countErrors(s: DecodeSummary, errors: DecodeError[]): void {
  s.errors += errors.length;
  for (const e of errors) s.errors_by_code[e.code] = (s.errors_by_code[e.code] ?? 0) + 1;
}

export function formatSummary(s: DecodeSummary): string {
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `files: ${s.files}, frames: ${s.frames}, datagrams: ${s.datagrams}, tcp chunks: ${s.tcp_chunks}`,
    `records: ${s.records} (${kv(s.records_by_protocol)}; types: ${kv(s.records_by_type)})`,
    `decode errors: ${s.errors} (${kv(s.errors_by_code)})`,
    `pending data without template: ${s.pending_without_template}`,
    `elapsed: ${s.elapsed_ms} ms`,
    '',
  ].join('\n');
}

export function registerDecode(program: Command, io: CliIO): void {
  program
    .command('decode')
    .description('decode flow exports in pcap/pcapng captures and print canonical JSON lines')
    .argument('<files...>', 'capture files (classic pcap or pcapng)')
    .option('--json', 'JSON lines output, one canonical record per line (default)')
    .option('--all', 'include sFlow counter samples and options data records (marked by record_type)')
    .option('--summary', 'print no records, only the summary as one JSON object on stdout')
    .action(async (files: string[], opts: DecodeOptions) => {
      io.setExitCode(await runDecode(files, opts, io));
    });
}
