/**
 * `flowlens import FILE...`: decodes captures with one FlowDecoder (templates learnt in one file serve the
 * next), stores the flow records in batches, then re-aggregates the 5-minute windows they touched and
 * re-rolls the days those lie in (both idempotent: importing again re-computes, it does not double count
 * the aggregates; the raw tier keeps whatever was inserted). It reads the same configuration as serve, so
 * its aggregates count the same internal networks; as a writer it migrates and records a configured
 * retention.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type FlowRecord, isFlow } from '../../core/record.js';
import { DAY_MS } from '../../core/rules.js';
import { parseUserServicePorts } from '../../core/services/services.js';
import { discoverRange } from '../../deps/discover.js';
import { aggregateTouched } from '../../jobs/windows.js';
import { FlowDecoder } from '../../normalize/flow-decoder.js';
import { readCapture } from '../../wire/pcap.js';
import { addConfigFlags, type ConfigOpts, configOrExit } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, withStore } from '../store.js';

const BATCH = 50_000;

export interface ImportSummary {
  files: number;
  flows_stored: number;
  decode_errors: number;
  windows_aggregated: number;
  aggregate_rows: number;
  days_rolled_up: string[];
  daily_rows: number;
  /** Dependency discovery over the imported days: edges written, of them new, direction corrections. */
  dependency_edges: number;
  new_dependency_edges: number;
  direction_corrections: number;
  /** Conversations over deps.maxConversations per discovery pass, the lightest: not mapped. */
  conversations_left_out: number;
  /** Flows older than raw retention: the engine expires them, and their windows are not aggregated. */
  flows_older_than_raw_retention: number;
  elapsed_ms: number;
}

/** Sorted day starts -> [from, to) ranges of consecutive days. */
export function dayRanges(days: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const d of days) {
    const last = out[out.length - 1];
    if (last && last[1] === d) last[1] = d + DAY_MS;
    else out.push([d, d + DAY_MS]);
  }
  return out;
}

export interface ImportOpts extends ConfigOpts {
  json?: boolean;
}

export interface ImportRun {
  files: string[];
  opts: ImportOpts;
  io: CliIO;
  ctx?: CommandContext;
}

export async function runImport({ files, opts, io, ctx = {} }: ImportRun): Promise<void> {
  const started = performance.now();
  const config = configOrExit('import', opts, io, { env: ctx.env });
  if (!config) return;
  await withStore({ command: 'import', config, io, access: 'write', ctx }, async (store, prepared) => {
    const rawCutoff = Date.now() - prepared!.retention.raw;
    const decoder = new FlowDecoder();
    const s: ImportSummary = {
      files: 0,
      flows_stored: 0,
      decode_errors: 0,
      windows_aggregated: 0,
      aggregate_rows: 0,
      days_rolled_up: [],
      daily_rows: 0,
      flows_older_than_raw_retention: 0,
      dependency_edges: 0,
      new_dependency_edges: 0,
      direction_corrections: 0,
      conversations_left_out: 0,
      elapsed_ms: 0,
    };
    const touched: Pick<FlowRecord, 'flow_start'>[] = [];
    let batch: FlowRecord[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await store.insertFlows(batch);
      s.flows_stored += batch.length;
      batch = [];
    };
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (err) {
        io.stderr.write(`flowlens import: cannot read ${file}: ${(err as Error).message}\n`);
        io.setExitCode(1);
        continue;
      }
      s.files++;
      try {
        for (const p of readCapture(bytes, {
          onError: (e) => io.stderr.write(`flowlens import: ${file}: ${e.message}\n`),
        })) {
          const res = decoder.decodeCaptured(p, file);
          s.decode_errors += res.errors.length;
          for (const r of res.records) {
            if (!isFlow(r)) continue;
            batch.push(r);
            touched.push({ flow_start: r.flow_start });
            if (r.flow_start < rawCutoff) s.flows_older_than_raw_retention++;
          }
          if (batch.length >= BATCH) await flush();
        }
      } catch (err) {
        io.stderr.write(`flowlens import: ${file}: ${(err as Error).message}\n`);
        io.setExitCode(1);
      }
    }
    await flush();
    const run = await aggregateTouched(store, touched);
    s.windows_aggregated = run.windows;
    s.aggregate_rows = run.aggregateRows;
    s.days_rolled_up = run.days.map((d) => new Date(d).toISOString().slice(0, 10));
    s.daily_rows = run.dailyRows;
    // Discovery over the imported days only (captures may lie years apart), contiguous days as one
    // range; it rolls them up again, now with the edges it found.
    if (run.days.length > 0) s.daily_rows = 0;
    for (const [from, to] of dayRanges(run.days)) {
      const d = await discoverRange(store, from, to, {
        infer: { userPorts: parseUserServicePorts(config.deps.servicePorts) },
        windowMs: config.deps.discoveryWindow,
        maxConversations: config.deps.maxConversations,
      });
      s.conversations_left_out += d.leftOut;
      s.dependency_edges += d.edges;
      s.new_dependency_edges += d.newEdges;
      s.direction_corrections += d.corrections;
      s.daily_rows += d.dailyRows;
    }
    s.elapsed_ms = Math.round(performance.now() - started);
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(s)}\n`);
      return;
    }
    io.stdout.write(
      [
        `files: ${s.files}, flows stored: ${s.flows_stored}, decode errors: ${s.decode_errors}`,
        `aggregated ${s.windows_aggregated} five-minute windows into ${s.aggregate_rows} aggregate rows`,
        `discovered ${s.dependency_edges} dependency edge(s) (${s.new_dependency_edges} new, ${s.direction_corrections} direction correction(s))`,
        `rolled up ${s.days_rolled_up.length} day(s) into ${s.daily_rows} dependency stats rows${s.days_rolled_up.length ? ` (${s.days_rolled_up.join(', ')})` : ''}`,
        `elapsed: ${s.elapsed_ms} ms`,
        '',
      ].join('\n'),
    );
    if (s.conversations_left_out > 0)
      io.stderr.write(
        `flowlens import: ${s.conversations_left_out} conversations (the lightest by bytes) were left out of dependency discovery: more than deps.maxConversations in a pass (raise it; each costs about 3 kB of memory)\n`,
      );
    if (s.flows_older_than_raw_retention > 0) {
      io.stderr.write(
        `flowlens import: ${s.flows_older_than_raw_retention} flows are older than the raw retention: the store expires them and does not aggregate their windows (to keep old captures give a longer retention, e.g. --retention-raw 20y --retention-aggregates 20y --retention-daily 20y, or forever)\n`,
      );
    }
  });
}

export function registerImport(program: Command, io: CliIO): void {
  addConfigFlags(
    program
      .command('import')
      .description('decode captures, store their flows, aggregate the windows and days they touch')
      .argument('<files...>', 'capture files (classic pcap or pcapng)'),
    'import',
  )
    .option('--json', 'print the import summary as JSON')
    .action(async (files: string[], opts: ImportOpts) => {
      await runImport({ files, opts, io });
    });
}
