/**
 * `flowlens query flows [--from T --to T] [--filter EXPR] [--limit N] [--cursor C] [--json|--csv]`: raw
 * flows newest first, one page (query/ast.ts FlowSearchQuery); the next page's cursor is printed on
 * stderr (and is `next_cursor` in --json). Validated by the API's schema (query/validate.ts).
 */
import type { Command } from 'commander';
import type { FlowSearchQuery, QueryResult } from '../../query/ast.js';
import { addConfigFlags } from '../command-config.js';
import type { CliIO } from '../io.js';
import { type CommandContext, UsageError } from '../store.js';
import {
  addQueryOptions,
  formatTable,
  parseFilterFlag,
  parseRange,
  type QueryFlags,
  runQuery,
  validated,
} from './query-common.js';

export interface FlowsFlags extends QueryFlags {
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
}

export function parseFlowsFlags(flags: FlowsFlags, now: number): FlowSearchQuery {
  const limit = Number(flags.limit ?? 50);
  if (!Number.isInteger(limit))
    throw new UsageError(`--limit: expected an integer, got ${JSON.stringify(flags.limit)}`);
  return validated({
    kind: 'flow_search',
    limit,
    ...parseRange(flags, now),
    ...(flags.cursor ? { cursor: flags.cursor } : {}),
    ...parseFilterFlag(flags.filter),
  }) as FlowSearchQuery;
}

/** The columns people read first; --json and --csv carry every canonical column. */
const SHOWN = [
  'flow_start',
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
  'ip_protocol',
  'bytes_total',
  'packets_total',
  'tcp_flags',
  'exporter_ip',
];

export function formatFlows(res: QueryResult): string {
  const rows = res.rows.map((r) => ({
    ...r,
    flow_start: new Date(Number(r.flow_start)).toISOString(),
  }));
  return formatTable({ ...res, columns: SHOWN, rows });
}

export async function runFlows(flags: FlowsFlags, io: CliIO, ctx: CommandContext = {}): Promise<void> {
  await runQuery({
    label: 'query flows',
    flags,
    io,
    ctx,
    parse: parseFlowsFlags,
    table: formatFlows,
    notes: (res) => (res.next_cursor ? `next page: --cursor ${res.next_cursor}\n` : ''),
  });
}

export function registerFlows(query: Command, io: CliIO): void {
  addConfigFlags(
    addQueryOptions(
      query
        .command('flows')
        .description('raw flows newest first, a page at a time (--cursor from the previous page)')
        .option('--limit <n>', 'page size (at most 10000)', '50')
        .option('--cursor <cursor>', 'continue after the page that printed it'),
      {
        json: 'print {tier, parts, gaps, complete, columns, rows, next_cursor} as JSON',
        csv: 'print every canonical column as CSV',
      },
    ),
    'query',
  ).action(async (flags: FlowsFlags) => {
    await runFlows(flags, io);
  });
}
