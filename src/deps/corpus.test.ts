/**
 * Issue 9 "Real captures of the corpus imported and discovered without errors; edges to ephemeral ports
 * counted (target 0)": every capture of src/decode/testdata/corpus imported into one embedded (chdb) store by
 * `flowlens import`'s own function (decode, store, aggregate, discover), discovery run again over the
 * imported days, and the edges held against a definition of "ephemeral" that does not come from the
 * inference code (testing/ephemeral.ts: dynamic or Linux ephemeral range, no IANA service, no operator port).
 *
 * The per-capture edges and the counts by rule are printed for the README (vitest shows console output).
 *
 * Both were findings when the test was written (95 captures, 331 edges), since fixed:
 * - 7 edges pointed at an ephemeral port, all `lower_port`/low: two ports both in the ephemeral range (or
 *   equal) and nothing else to say which side serves. Discovery now makes no edge then (`undecided`).
 * - Re-discovering the imported days dropped 6 edges: peers that open sessions to each other (BGP 179 on
 *   both sides) have two edges A -> B:179 and B -> A:179; a later pass deleted one as a "duplicate" of the
 *   other's conversation. The merge now leaves a reversed edge beside a direct one alone (merge.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../app/store.js';
import { tempDir } from '../app/testing/harness.js';
import { dayRanges, runImport } from '../cli/commands/import.js';
import { captureIO } from '../cli/testing/io.js';
import type { FlowRecord } from '../core/record.js';
import { canonicalIp } from '../core/rules.js';
import { listCaptures } from '../decode/testing/corpus.js';
import { FlowDecoder } from '../normalize/flow-decoder.js';
import type { DependencyEdge, FlowStore } from '../storage/port.js';
import { readCapture } from '../wire/pcap.js';
import { discoverRange } from './discover.js';
import { ephemeralServerPort } from './testing/ephemeral.js';

const captures = listCaptures();

interface CaptureFlows {
  name: string;
  flows: FlowRecord[];
}

/**
 * The flows of each capture, decoded as `flowlens import` decodes them (one decoder across the files in
 * the same order, so a template learnt in one file serves the next): which capture an edge came from.
 */
function decodePerCapture(): CaptureFlows[] {
  const decoder = new FlowDecoder();
  return captures.map((c) => {
    const flows: FlowRecord[] = [];
    for (const p of readCapture(readFileSync(c.path), { onError: () => {} })) {
      const res = decoder.decodeCaptured(p, c.path);
      for (const r of res.records) if (r.record_type === undefined || r.record_type === 'flow') flows.push(r);
    }
    return { name: c.name, flows };
  });
}

const edgeText = (e: DependencyEdge) =>
  `${e.client_ip} -> ${e.server_ip}:${e.server_port}/${e.ip_protocol} (${e.service_name ?? '-'}, ${e.direction_rule}/${e.confidence})`;

describe('the corpus imported and discovered on the embedded store', () => {
  const data = tempDir('flowlens-corpus-deps-');
  let store: FlowStore;
  let summary: Record<string, unknown>;
  let importErr = '';
  let importCode = 0;
  let edges: DependencyEdge[] = [];

  beforeAll(async () => {
    const io = captureIO();
    // Captures are years (some decades) old: nothing expires, every window is aggregated and discovered.
    const keep = { retentionRaw: 'forever', retentionAggregates: 'forever', retentionDaily: 'forever' };
    await runImport({ files: captures.map((c) => c.path), opts: { data, ...keep, json: true }, io });
    importErr = io.err();
    importCode = io.code();
    summary = JSON.parse(io.out() || '{}');
    store = await openStore({ data });
    edges = await store.listDependencies();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    rmSync(data, { recursive: true, force: true });
  });

  it('imports every capture and discovers without an error', () => {
    expect(captures.length).toBeGreaterThanOrEqual(95);
    expect(importErr).toBe('');
    expect(importCode).toBe(0);
    expect(summary.files).toBe(captures.length);
    expect(summary.flows_stored).toBeGreaterThan(0);
    expect(summary.flows_older_than_raw_retention).toBe(0);
    expect(summary.dependency_edges).toBeGreaterThan(0);
    expect(edges.length).toBeGreaterThan(0);
    console.log(
      `corpus import: ${summary.files} captures, ${summary.flows_stored} flows, ${summary.decode_errors} decode errors, ` +
        `${summary.windows_aggregated} windows, ${summary.aggregate_rows} aggregate rows, ` +
        `${(summary.days_rolled_up as string[]).length} days, ${edges.length} edges stored, ${summary.elapsed_ms} ms`,
    );
  });

  it('discovering the imported days again, as the import did, keeps the same edges (idempotent)', async () => {
    // The import's own ranges (contiguous days as one range), so the passes are the ones it ran.
    const days = (summary.days_rolled_up as string[]).map((d) => Date.parse(`${d}T00:00:00Z`));
    const byRule: Record<string, number> = {};
    let newEdges = 0;
    let corrections = 0;
    for (const [from, to] of dayRanges(days)) {
      const r = await discoverRange(store, from, to);
      newEdges += r.newEdges;
      corrections += r.corrections;
      for (const [k, v] of Object.entries(r.byRule)) byRule[k] = (byRule[k] ?? 0) + v;
    }
    const edgeRules: Record<string, number> = {};
    for (const e of edges) edgeRules[e.direction_rule] = (edgeRules[e.direction_rule] ?? 0) + 1;
    console.log(`conversations by rule: ${JSON.stringify(byRule)}`);
    console.log(`edges by rule: ${JSON.stringify(edgeRules)}`);
    const again = await store.listDependencies();
    const lost = edges.filter((e) => !again.some((x) => x.id === e.id)).map(edgeText);
    const gained = again.filter((e) => !edges.some((x) => x.id === e.id)).map(edgeText);
    if (lost.length || gained.length)
      console.log(`re-discovery lost ${lost.join('; ')} gained ${gained.join('; ')}`);
    expect({ lost, gained, newEdges, corrections }).toEqual({
      lost: [],
      gained: [],
      newEdges: 0,
      corrections: 0,
    });
    // The same edges: direction, rule, confidence and name. Times may only widen: a pass over earlier days
    // can match an edge a later day made when the two hosts also talked the other way (README "Known
    // limit"); one edge of the corpus (a BGP pair) gets an earlier first_seen on the re-run.
    const byId = (xs: DependencyEdge[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
    const untimed = (xs: DependencyEdge[]) => byId(xs).map(({ first_seen: _f, last_seen: _l, ...e }) => e);
    expect(untimed(again)).toEqual(untimed(edges));
    const before = new Map(edges.map((e) => [e.id, e]));
    const narrowed = again.filter((e) => {
      const b = before.get(e.id) as DependencyEdge;
      return e.first_seen > b.first_seen || e.last_seen < b.last_seen;
    });
    expect(narrowed).toEqual([]);
  });

  it('no edge points at an ephemeral port (per capture, with the flows behind any that does)', () => {
    const perCapture = decodePerCapture();
    // A capture holds an edge when one of its flows joins the edge's two addresses with the server's port
    // on the server's side (any port when the edge's is 0, unknown).
    const holds = (e: DependencyEdge, f: FlowRecord) => {
      const src = canonicalIp(f.src_ip);
      const dst = canonicalIp(f.dst_ip);
      if ((f.ip_protocol ?? 0) !== e.ip_protocol) return false;
      const port = (p: number | null) => e.server_port === 0 || p === e.server_port;
      return (
        (src === e.server_ip && dst === e.client_ip && port(f.src_port)) ||
        (dst === e.server_ip && src === e.client_ip && port(f.dst_port))
      );
    };
    const byCapture = new Map<string, DependencyEdge[]>();
    for (const e of edges) {
      const from = perCapture.filter((c) => c.flows.some((f) => holds(e, f))).map((c) => c.name);
      for (const n of from.length ? from : ['(no capture)'])
        byCapture.set(n, [...(byCapture.get(n) ?? []), e]);
    }
    const userPorts = new Set<string>();
    const ephemeral = edges.filter((e) => ephemeralServerPort(e.server_port, e.ip_protocol, userPorts));
    const unknownPort = edges.filter((e) => e.server_port === 0);
    const lines = [`edges per capture (${byCapture.size} of ${captures.length} captures hold an edge):`];
    for (const c of perCapture) {
      const es = byCapture.get(c.name);
      if (!es) continue;
      const eph = es.filter((e) => ephemeral.includes(e)).length;
      lines.push(`  ${c.name}: ${c.flows.length} flows, ${es.length} edges, ${eph} to an ephemeral port`);
    }
    lines.push(
      `total: ${edges.length} edges, ${ephemeral.length} to an ephemeral port, ${unknownPort.length} with server port 0`,
    );
    // Why an edge points where it does: its raw flows (either way round), ports and flags as exported.
    for (const e of ephemeral) {
      lines.push(`  EPHEMERAL ${edgeText(e)}`);
      for (const c of perCapture) {
        const fs = c.flows.filter((f) => holds(e, f));
        for (const f of fs.slice(0, 6))
          lines.push(
            `    ${c.name}: ${f.src_ip}:${f.src_port} -> ${f.dst_ip}:${f.dst_port} flags=0x${(f.tcp_flags ?? 0).toString(16)}`,
          );
        if (fs.length > 6) lines.push(`    ${c.name}: ... ${fs.length - 6} more`);
      }
    }
    console.log(lines.join('\n'));
    expect(ephemeral.map(edgeText)).toEqual([]);
  });
});
