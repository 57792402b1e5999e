/** One hard case per test, written as the aggregate rows a store would return. */
import { describe, expect, it } from 'vitest';
import { emptyRecord } from '../core/record.js';
import { parseUserServicePorts } from '../core/services/services.js';
import { biflowEvidence } from './biflow.js';
import { inferEdges } from './infer.js';
import { aggregateForDeps } from './testing/aggregate.js';
import type { ConversationRow } from './types.js';

const W = Date.UTC(2024, 0, 1);
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const RST = 0x04;
const DATA = SYN | ACK | PSH | FIN;

function row(
  src: string,
  dst: string,
  ports: [number, number],
  flags: number,
  more: Partial<ConversationRow> = {},
) {
  return {
    window_start: W,
    src_ip: src,
    dst_ip: dst,
    src_port: ports[0],
    dst_port: ports[1],
    ip_protocol: 6,
    flow_count: 1,
    bytes_total: 1000,
    packets_total: 10,
    tcp_flags_observed: flags,
    new_sessions: flags & SYN ? 1 : 0,
    ...more,
  } satisfies ConversationRow;
}

const pair = (c: string, s: string, ports: [number, number], more: Partial<ConversationRow> = {}) => [
  row(c, s, ports, DATA, more),
  row(s, c, [ports[1], ports[0]], DATA, more),
];

const brief = (rows: ConversationRow[], opts = {}) =>
  inferEdges(rows, opts).edges.map((e) => `${e.client_ip} -> ${e.server_ip}:${e.server_port} ${e.rule}`);

describe('direction rules on aggregate rows', () => {
  it('a collapsed row (0 -> 443) names the server by the tier ephemeral-port rule', () => {
    expect(brief(pair('10.0.0.1', '10.0.0.2', [0, 443]))).toEqual(['10.0.0.1 -> 10.0.0.2:443 service_port']);
    // the reply row alone says the same: 443 -> 0
    expect(brief([row('10.0.0.2', '10.0.0.1', [443, 0], ACK | PSH)])).toEqual([
      '10.0.0.1 -> 10.0.0.2:443 service_port',
    ]);
  });

  it('a row whose flags hold SYN without ACK marks its source as the client, over the lower port', () => {
    const rows = [
      ...pair('10.0.0.1', '10.0.0.2', [45000, 33000]),
      row('10.0.0.1', '10.0.0.2', [45000, 33000], SYN),
    ];
    rows[2].window_start += 300_000;
    expect(brief(rows)).toEqual(['10.0.0.1 -> 10.0.0.2:33000 tcp_flags']);
    // Without the SYN row nothing tells two ephemeral ports apart: no edge rather than a guess.
    expect(brief(pair('10.0.0.1', '10.0.0.2', [45000, 33000]))).toEqual([]);
    // An unregistered port below the ephemeral range against an ephemeral one: the lower port serves.
    expect(brief(pair('10.0.0.1', '10.0.0.2', [45000, 30005]))).toEqual([
      '10.0.0.1 -> 10.0.0.2:30005 lower_port',
    ]);
    expect(brief(pair('10.0.0.1', '10.0.0.2', [30005, 45000]))).toEqual([
      '10.0.0.2 -> 10.0.0.1:30005 lower_port',
    ]);
  });

  it('operator service ports outrank IANA (client port 1500 is vlsi-lm, both kept by the tier)', () => {
    // 9012 is unassigned: IANA alone makes the client's 1500 look like the service
    const rows = pair('10.0.0.1', '10.0.0.2', [1500, 9012]);
    expect(brief(rows)).toEqual(['10.0.0.2 -> 10.0.0.1:1500 service_port']);
    expect(brief(rows, { userPorts: parseUserServicePorts(['9012/tcp=myapp']) })).toEqual([
      '10.0.0.1 -> 10.0.0.2:9012 service_port',
    ]);
    const [e] = inferEdges(rows, { userPorts: parseUserServicePorts(['9012/tcp=myapp']) }).edges;
    expect(e.service_name).toBe('myapp');
  });

  it('IANA assignments inside the ephemeral range do not make a service (40000 is safetynetp)', () => {
    const rows = [...pair('10.0.0.9', '10.0.0.5', [40000, 50000])];
    for (let c = 1; c <= 4; c++) rows.push(...pair(`10.0.1.${c}`, '10.0.0.5', [40000 + c, 50000]));
    expect(brief(rows).filter((e) => e.startsWith('10.0.0.9'))).toEqual([
      '10.0.0.9 -> 10.0.0.5:50000 fan_in',
    ]);
  });

  it('an unanswered SYN, a refused one and a half-open scan make no edge', () => {
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 22], SYN)])).toEqual([]);
    expect(
      brief([row('10.0.0.1', '10.0.0.2', [0, 22], SYN), row('10.0.0.2', '10.0.0.1', [22, 0], RST | ACK)]),
    ).toEqual([]);
    expect(
      brief([
        row('10.0.0.1', '10.0.0.2', [0, 22], SYN | RST),
        row('10.0.0.2', '10.0.0.1', [22, 0], SYN | ACK),
      ]),
    ).toEqual([]);
  });

  it('flows seen mid-stream (no SYN anywhere) and one direction only still make the edge', () => {
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 5432], ACK | PSH)])).toEqual([
      '10.0.0.1 -> 10.0.0.2:5432 service_port',
    ]);
    expect(brief([row('10.0.0.2', '10.0.0.1', [5432, 0], ACK)])).toEqual([
      '10.0.0.1 -> 10.0.0.2:5432 service_port',
    ]);
  });

  it('UDP one-way: to a service port yes (syslog), to an unassigned port no', () => {
    const udp = { ip_protocol: 17, tcp_flags_observed: 0, new_sessions: 0 };
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 514], 0, udp)])).toEqual([
      '10.0.0.1 -> 10.0.0.2:514 service_port',
    ]);
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 9012], 0, udp)])).toEqual([]);
  });

  it('TCP from exporters without flags is judged like UDP', () => {
    const noFlags = { tcp_flags_observed: 0, new_sessions: 0 };
    expect(brief(pair('10.0.0.1', '10.0.0.2', [0, 9012], noFlags))).toEqual([
      '10.0.0.1 -> 10.0.0.2:9012 service_port',
    ]);
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 9012], 0, noFlags)])).toEqual([]); // one-way, no service
  });

  it('biflow initiator beats the ports, also when the exporter put the responder first', () => {
    const bi = (src: number, dst: number) => ({
      biflow: {
        src_initiated: src,
        dst_initiated: dst,
        reverse_bytes: 500,
        reverse_packets: 5,
        reverse_flows: 1,
        reverse_tcp_flags: DATA,
      },
    });
    // reverseInitiator: the record's source 10.0.0.2:33000 is the responder
    const [e] = inferEdges([row('10.0.0.2', '10.0.0.1', [33000, 45000], DATA, bi(0, 1))]).edges;
    expect([e.client_ip, e.server_ip, e.server_port, e.rule, e.confidence]).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      33000,
      'biflow',
      'high',
    ]);
    expect([e.request_bytes, e.response_bytes]).toEqual([500, 1000]);
  });

  it('the tier loses a server port when the client sent from a port below 1024 (documented limit)', () => {
    // NFS-style 800 -> 2049: collapsePorts keeps 800 and zeroes 2049. Without biflow or SYN evidence the
    // row reads as 10.0.0.2 -> 10.0.0.1:800; the raw tier, still holding both ports, would be needed.
    expect(brief(pair('10.0.0.1', '10.0.0.2', [800, 0]))).toEqual(['10.0.0.2 -> 10.0.0.1:800 service_port']);
    // With initiator evidence the direction is right and the server port is unknown (0).
    const withSyn = [...pair('10.0.0.1', '10.0.0.2', [800, 0]), row('10.0.0.1', '10.0.0.2', [800, 0], SYN)];
    withSyn[2].window_start += 300_000;
    expect(brief(withSyn)).toEqual(['10.0.0.1 -> 10.0.0.2:0 tcp_flags']);
  });

  it('ICMP and portless rows name no service', () => {
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 2048], 0, { ip_protocol: 1 })])).toEqual([]);
    expect(brief([row('10.0.0.1', '10.0.0.2', [0, 0], DATA)])).toEqual([]);
  });
});

describe('biflowEvidence', () => {
  const rec = (ext: Record<string, unknown>, rate = 1) => {
    const r = emptyRecord('ipfix', '10.255.0.1', W);
    Object.assign(r.extended_fields, ext);
    r.sampling_rate = rate;
    return r;
  };

  it('reads RFC 5103 biflowDirection and reverse counters, scaled by sampling', () => {
    expect(
      biflowEvidence(
        rec(
          {
            biflowDirection: 2,
            reverseOctetDeltaCount: 100n,
            reversePacketDeltaCount: 2,
            reverseTcpControlBits: 0x12,
          },
          10,
        ),
      ),
    ).toEqual({
      src_initiated: 0,
      dst_initiated: 1,
      reverse_bytes: 1000,
      reverse_packets: 20,
      reverse_flows: 1,
      reverse_tcp_flags: 0x12,
    });
    expect(biflowEvidence(rec({ biflowDirection: 3 }))?.src_initiated).toBe(0); // perimeter: no initiator
    expect(biflowEvidence(rec({}))).toBeNull();
  });

  it('takes an NSEL record source as the initiator', () => {
    expect(biflowEvidence(rec({ responderOctets: 222, responderPackets: 3 }))).toMatchObject({
      src_initiated: 1,
      reverse_bytes: 222,
      reverse_packets: 3,
    });
  });

  it('is summed per row by the aggregation helper', () => {
    const r = rec({ biflowDirection: 1, reverseOctetDeltaCount: 10, reversePacketDeltaCount: 1 });
    Object.assign(r, {
      src_ip: '10.0.0.1',
      dst_ip: '10.0.0.2',
      src_port: 50000,
      dst_port: 443,
      ip_protocol: 6,
      tcp_flags: DATA,
    });
    const [agg] = aggregateForDeps([r, { ...r }]);
    expect(agg.biflow).toMatchObject({ src_initiated: 2, reverse_bytes: 20, reverse_flows: 2 });
    expect([agg.src_port, agg.dst_port]).toEqual([0, 443]);
  });
});
