import { describe, expect, it } from 'vitest';
import { inferEdges } from './infer.js';
import { aggregateForDeps } from './testing/aggregate.js';
import { buildTruthSet } from './testing/scenarios.js';
import type { Truth } from './testing/truth.js';
import { collapsePorts } from './tier.js';
import type { DiscoveredEdge } from './types.js';

interface Score {
  edges: number;
  right: number;
  wrongEdges: { edge: DiscoveredEdge; truth: Truth }[];
  probeEdges: DiscoveredEdge[];
  unknownEdges: DiscoveredEdge[];
  peerEdges: number;
  byRule: Record<string, { right: number; total: number }>;
  /** Dependencies present in the data that got no edge. */
  missed: Truth[];
  dependenciesSeen: number;
  /** Edges whose server endpoint is some client's own (non-collapsed) port. */
  toClientPorts: DiscoveredEdge[];
  serverPortZero: number;
}

function score(edges: DiscoveredEdge[], truth: Map<string, Truth>, seenKeys: Set<string>): Score {
  const s: Score = {
    edges: edges.length,
    right: 0,
    wrongEdges: [],
    probeEdges: [],
    unknownEdges: [],
    peerEdges: 0,
    byRule: {},
    missed: [],
    dependenciesSeen: 0,
    toClientPorts: [],
    serverPortZero: 0,
  };
  const clientEndpoints = new Set<string>();
  for (const t of truth.values())
    if (t.kind !== 'peer') clientEndpoints.add(`${t.proto}|${t.client_ip}|${t.client_port}`);
  const got = new Set<string>();
  for (const e of edges) {
    for (const k of e.conversations) got.add(k);
    if (e.server_port === 0) s.serverPortZero++;
    else if (clientEndpoints.has(`${e.ip_protocol}|${e.server_ip}|${e.server_port}`)) s.toClientPorts.push(e);
    const ts = e.conversations.map((k) => truth.get(k));
    const deps = ts.filter((t): t is Truth => t?.kind === 'dependency');
    if (ts.some((t) => t === undefined)) s.unknownEdges.push(e);
    else if (ts.some((t) => t?.kind === 'probe')) s.probeEdges.push(e);
    else if (deps.length === 0) s.peerEdges++;
    else {
      const wrong = deps.find((t) => e.client_ip !== t.client_ip || e.server_ip !== t.server_ip);
      s.byRule[e.rule] ??= { right: 0, total: 0 };
      const r = s.byRule[e.rule];
      r.total++;
      if (!wrong) {
        s.right++;
        r.right++;
      } else s.wrongEdges.push({ edge: e, truth: wrong });
    }
  }
  for (const [k, t] of truth) {
    if (t.kind !== 'dependency' || !seenKeys.has(k)) continue;
    s.dependenciesSeen++;
    if (!got.has(k)) s.missed.push(t);
  }
  return s;
}

describe('inferEdges on the synthetic truth set', () => {
  const net = buildTruthSet(1);
  const rows = aggregateForDeps(net.flows);
  const { edges, report } = inferEdges(rows);
  const seenKeys = new Set(
    net.flows.map((f) =>
      net.keyOf({
        client_ip: f.src_ip!,
        client_port: f.src_port!,
        server_ip: f.dst_ip!,
        server_port: f.dst_port!,
        proto: f.ip_protocol!,
      }),
    ),
  );
  const s = score(edges, net.truth, seenKeys);

  it('gets >= 99% of edge directions right, per rule reported', () => {
    // What the tier's ports alone would say (kept port of a collapsed row, else the lower port), to show
    // the cases are not decided by the ports anyway.
    let naiveWrong = 0;
    for (const t of net.truth.values()) {
      if (t.kind !== 'dependency') continue;
      const [cp, sp] = collapsePorts(t.client_port, t.server_port, t.proto);
      if (sp === 0 || (cp !== 0 && cp < sp)) naiveWrong++;
    }
    console.log(
      `tier ports alone: ${naiveWrong} of ${[...net.truth.values()].filter((t) => t.kind === 'dependency').length} dependencies wrong`,
    );
    const lines = Object.entries(s.byRule).map(
      ([rule, r]) =>
        `  ${rule.padEnd(13)} ${String(r.right).padStart(5)}/${String(r.total).padEnd(5)} ${((100 * r.right) / r.total).toFixed(2)}%`,
    );
    console.log(
      [
        `direction accuracy (edges): ${s.right}/${s.right + s.wrongEdges.length} = ${((100 * s.right) / (s.right + s.wrongEdges.length)).toFixed(2)}%`,
        ...lines,
        `rows ${rows.length}, conversations ${report.conversations} (decided ${report.decided}: ${JSON.stringify(report.byRule)}), edges ${report.edges}, unanswered ${report.unanswered}, scanner-dropped ${report.scannerDropped}`,
        `recall ${s.dependenciesSeen - s.missed.length}/${s.dependenciesSeen}, peer edges ${s.peerEdges}, server_port 0: ${s.serverPortZero}`,
        `scanners: ${report.scanners.join(', ')}`,
      ].join('\n'),
    );
    expect(s.wrongEdges.map((w) => `${w.truth.label}: ${w.edge.conversations[0]} ${w.edge.rule}`)).toEqual(
      [],
    );
    expect(s.right / (s.right + s.wrongEdges.length)).toBeGreaterThanOrEqual(0.99);
    expect(s.unknownEdges).toEqual([]);
  });

  it('points no edge at a client port', () => {
    expect(s.toClientPorts.map((e) => e.conversations)).toEqual([]);
  });

  it('makes no edge of a probe: unanswered, refused, half-open and connect() scans', () => {
    expect(s.probeEdges.map((e) => e.conversations)).toEqual([]);
    expect(report.scanners).toEqual(['10.66.6.6', '10.66.6.7', '10.66.6.8']);
    const fromScanners = edges.filter((e) => e.client_ip.startsWith('10.66.6.'));
    expect(fromScanners.map((e) => `${e.client_ip} -> ${e.server_ip}:${e.server_port}`)).toEqual([
      '10.66.6.6 -> 10.6.0.53:53', // its own DNS lookups: answered, kept
    ]);
  });

  it('finds the dependencies the data shows', () => {
    expect(s.missed.map((t) => t.label)).toEqual([]);
  });

  it('gives same-port server pairs one edge, the same whatever the row order', () => {
    const peers = edges.filter((e) => e.server_ip.startsWith('10.6.0.') && e.client_ip.startsWith('10.6.0.'));
    expect(peers.map((e) => `${e.client_ip} -> ${e.server_ip}:${e.server_port} ${e.rule}`)).toEqual([
      '10.6.0.2 -> 10.6.0.1:123 lower_port', // equal ports: the lower address is the server
      '10.6.0.54 -> 10.6.0.53:53 lower_port',
    ]);
    const shuffled = [...rows].reverse();
    expect(inferEdges(shuffled).edges).toEqual(edges);
  });

  it('counts both directions: request is client -> server, response server -> client', () => {
    const bulk = edges.filter((e) => e.server_ip === '10.8.0.5' && e.server_port === 443);
    expect(bulk).toHaveLength(6);
    for (const e of bulk) {
      expect(e.rule).toBe('biflow');
      expect(e.confidence).toBe('high');
      expect(e.response_bytes).toBeGreaterThan(e.request_bytes);
      expect(e.request_flows).toBeGreaterThan(0);
      expect(e.response_flows).toBeGreaterThan(0);
      expect(e.service_name).toBe('https');
    }
  });
});

describe('inferEdges on other seeds of the truth set', () => {
  for (const seed of [2, 3, 4]) {
    it(`seed ${seed}: >= 99% right, no edge to a client port, none for a probe`, () => {
      const net = buildTruthSet(seed);
      const rows = aggregateForDeps(net.flows);
      const s = score(inferEdges(rows).edges, net.truth, new Set(net.truth.keys()));
      const total = s.right + s.wrongEdges.length;
      console.log(`seed ${seed}: ${s.right}/${total} right, ${JSON.stringify(s.byRule)}`);
      expect(s.right / total).toBeGreaterThanOrEqual(0.99);
      expect(s.toClientPorts).toEqual([]);
      expect(s.probeEdges).toEqual([]);
    });
  }
});
