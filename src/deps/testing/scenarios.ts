/**
 * The truth set of the discovery tests: src/gen's ordinary traffic plus the hard cases of issue 9, each
 * under its own address block so a failure names its case.
 */
import { FlowGenerator } from '../../gen/flows.js';
import { genFlowTruth, type SessionSpec, TruthNet } from './truth.js';
import { VIA } from './wire.js';

export const T0 = Date.UTC(2024, 2, 4, 8, 0, 0);
const MIN = 60_000;

type Spec = Omit<SessionSpec, 'start' | 'durationMs' | 'reqPackets' | 'respPackets' | 'proto'> &
  Partial<Pick<SessionSpec, 'start' | 'durationMs' | 'reqPackets' | 'respPackets' | 'proto'>>;

export function buildTruthSet(seed = 1): TruthNet {
  const net = new TruthNet(seed);
  const rng = net.rng;
  const eph = (): number => rng.int(32768, 60999);
  const at = (): number => T0 + rng.int(0, 180) * MIN;
  const add = (s: Spec): void =>
    net.session({
      proto: 6,
      start: at(),
      durationMs: rng.int(1, 20) * 1000,
      reqPackets: 20,
      respPackets: 40,
      ...s,
    });

  // Ordinary traffic of the synthetic exporter (web, DNS, databases, NTP, syslog one-way, ICMP, stray
  // SYN-only probes), two hours of it.
  const gen = new FlowGenerator({ seed, clients: 80, servers: 12, scanShare: 0.01 });
  for (let i = 0; i < 4000; i++) {
    const g = gen.next(T0 + i * 1800);
    net.send(VIA.gen, g);
    const t = genFlowTruth(g);
    if (t) net.note(t);
  }

  // Servers on high ports, clients with ephemeral ports (collapsed) and with ports of the old Windows/BSD
  // range 1025-5000 (both ports kept: IANA names both, fan-in decides).
  for (const [server, port] of [
    ['10.3.0.10', 8080],
    ['10.3.0.11', 9200],
    ['10.3.0.12', 27017],
  ] as const) {
    for (let c = 1; c <= 12; c++)
      add({
        client: `10.3.1.${c}`,
        clientPort: eph(),
        server,
        serverPort: port,
        style: 'uniflow',
        label: `high port ${port}`,
      });
    for (let c = 1; c <= 6; c++)
      add({
        client: `10.3.2.${c}`,
        clientPort: rng.int(1025, 5000),
        server,
        serverPort: port,
        style: 'uniflow',
        label: `high port ${port}, client port 1025-5000`,
      });
  }

  // Clients with low source ports: rsh-style reserved ports to 514/tcp (both below 1024), NTP clients
  // sending from 123, ssh from 1023.
  for (let c = 1; c <= 6; c++)
    add({
      client: `10.4.1.${c}`,
      clientPort: 1024 - c,
      server: '10.4.0.5',
      serverPort: 514,
      style: 'uniflow',
      label: 'rsh from reserved port',
    });
  for (let c = 1; c <= 8; c++)
    add({
      client: `10.4.2.${c}`,
      clientPort: 123,
      server: '10.4.0.123',
      serverPort: 123,
      proto: 17,
      style: 'uniflow',
      label: 'ntp client from 123',
    });
  add({
    client: '10.4.3.1',
    clientPort: 1023,
    server: '10.4.0.22',
    serverPort: 22,
    style: 'uniflow',
    label: 'ssh from 1023',
  });

  // Both ports ephemeral: a TCP service on 40000 and a UDP one on 45000; fan-in decides.
  for (let c = 1; c <= 8; c++)
    add({
      client: `10.5.1.${c}`,
      clientPort: eph(),
      server: '10.5.0.1',
      serverPort: 40000,
      style: 'uniflow',
      label: 'service on ephemeral port (tcp)',
    });
  for (let c = 1; c <= 6; c++)
    add({
      client: `10.5.2.${c}`,
      clientPort: rng.int(49152, 65535),
      server: '10.5.0.2',
      serverPort: 45000,
      proto: 17,
      style: 'uniflow',
      label: 'service on ephemeral port (udp)',
    });

  // NTP peers and DNS server to server, same port both sides: both are servers; one edge by convention.
  add({
    client: '10.6.0.1',
    clientPort: 123,
    server: '10.6.0.2',
    serverPort: 123,
    proto: 17,
    style: 'uniflow',
    kind: 'peer',
    label: 'ntp peers',
  });
  add({
    client: '10.6.0.53',
    clientPort: 53,
    server: '10.6.0.54',
    serverPort: 53,
    proto: 17,
    style: 'uniflow',
    kind: 'peer',
    label: 'dns server to server',
  });

  // Seen mid-stream (long-lived pools): no SYN anywhere.
  for (let c = 1; c <= 5; c++)
    add({
      client: `10.7.1.${c}`,
      clientPort: eph(),
      server: '10.7.0.5',
      serverPort: 5432,
      style: 'midstream',
      durationMs: 40 * MIN,
      label: 'db pool mid-stream',
    });
  for (let c = 1; c <= 4; c++)
    add({
      client: `10.7.2.${c}`,
      clientPort: eph(),
      server: '10.7.0.6',
      serverPort: 33000,
      style: 'midstream',
      durationMs: 25 * MIN,
      label: 'mid-stream, both ephemeral',
    });

  // IPFIX biflows (source = client, or source = server with reverseInitiator), one with a single client
  // on both-ephemeral ports (nothing but the biflow can decide), and NSEL connection records.
  for (let c = 1; c <= 6; c++)
    add({
      client: `10.8.1.${c}`,
      clientPort: eph(),
      server: '10.8.0.5',
      serverPort: 443,
      style: 'biflow',
      label: 'ipfix biflow',
    });
  for (let c = 1; c <= 4; c++)
    add({
      client: `10.8.2.${c}`,
      clientPort: eph(),
      server: '10.8.0.6',
      serverPort: 8443,
      style: 'biflow_reversed',
      label: 'ipfix biflow, reverseInitiator',
    });
  add({
    client: '10.8.4.1',
    clientPort: 50001,
    server: '10.8.0.8',
    serverPort: 41000,
    style: 'biflow',
    label: 'ipfix biflow, both ephemeral, one client',
  });
  for (let c = 1; c <= 3; c++)
    add({
      client: `10.8.5.${c}`,
      clientPort: eph(),
      server: '10.8.0.9',
      serverPort: 1433,
      style: 'nsel',
      label: 'nsel',
    });

  // Sampled (sFlow 1:64): bulk transfers, a service on both-ephemeral ports.
  for (let c = 1; c <= 15; c++)
    add({
      client: `10.9.1.${c}`,
      clientPort: eph(),
      server: '10.9.0.5',
      serverPort: 443,
      style: 'sampled',
      reqPackets: 600,
      respPackets: 1500,
      durationMs: 8 * MIN,
      label: 'sampled https',
    });
  for (let c = 1; c <= 6; c++)
    add({
      client: `10.9.2.${c}`,
      clientPort: eph(),
      server: '10.9.0.6',
      serverPort: 36000,
      style: 'sampled',
      reqPackets: 800,
      respPackets: 800,
      durationMs: 12 * MIN,
      label: 'sampled, both ephemeral',
    });

  // Sampled 1:2 short connections of one client to a server on the HIGHER of two ephemeral ports (lower
  // port would be wrong, fan-in has one peer): the sampled bare SYN rows decide.
  for (let i = 0; i < 12; i++)
    add({
      client: '10.9.4.1',
      clientPort: 40000 + i,
      server: '10.9.0.8',
      serverPort: 60000,
      style: 'sampled',
      rate: 2,
      reqPackets: 6,
      respPackets: 6,
      start: T0 + i * 10 * MIN,
      label: 'sampled SYN, one client',
    });

  // Sampled 1:20 short connections (6 packets each way) to a collapsed service: over three hours some
  // client rows hold nothing but a sampled SYN, and tcp_flags decides before the service port does.
  for (let c = 1; c <= 20; c++) {
    for (let i = 0; i < 40; i++)
      add({
        client: `10.9.6.${c}`,
        clientPort: eph(),
        server: '10.9.0.10',
        serverPort: 443,
        style: 'sampled',
        rate: 20,
        reqPackets: 6,
        respPackets: 6,
        start: T0 + i * 4 * MIN + c * 1000,
        label: 'sampled short https',
      });
  }

  // A retried connection: the first SYN went unanswered in one window, the retry a window later worked.
  net.session({
    client: '10.9.5.1',
    clientPort: 41000,
    server: '10.9.0.9',
    serverPort: 50000,
    proto: 6,
    start: T0 + 3 * MIN,
    durationMs: 1,
    reqPackets: 1,
    respPackets: 0,
    style: 'probe',
    kind: 'dependency',
    label: 'retried SYN',
  });
  net.session({
    client: '10.9.5.1',
    clientPort: 41000,
    server: '10.9.0.9',
    serverPort: 50000,
    proto: 6,
    start: T0 + 6 * MIN,
    durationMs: 30_000,
    reqPackets: 10,
    respPackets: 10,
    style: 'uniflow',
    label: 'retried SYN',
  });

  // A biflow from a client on a reserved port to a registered one: the tier collapsed the SERVER's port
  // (3260 > 700), the biflow still names the client; the edge gets server port 0 (unknown).
  add({
    client: '10.8.3.1',
    clientPort: 700,
    server: '10.8.0.7',
    serverPort: 3260,
    style: 'biflow',
    label: 'biflow, client on reserved port',
  });

  // An address that changes owner mid-period: 10.7.7.7 serves PostgreSQL to four clients in the first 90
  // minutes, then belongs to a workstation, a client of a web server. Both roles are edges of their own.
  for (let c = 1; c <= 4; c++)
    add({
      client: `10.7.1.${c}`,
      clientPort: eph(),
      server: '10.7.7.7',
      serverPort: 5432,
      start: T0 + rng.int(0, 85) * MIN,
      style: 'uniflow',
      label: 'owner change: server before',
    });
  for (let k = 0; k < 3; k++)
    add({
      client: '10.7.7.7',
      clientPort: eph(),
      server: '10.7.0.80',
      serverPort: 443,
      start: T0 + rng.int(95, 175) * MIN,
      style: 'uniflow',
      label: 'owner change: client after',
    });

  addScanners(net, at);
  return net;
}

/** A SYN scanner, a UDP scanner and a connect() scanner, plus a real dependency of the first. */
function addScanners(net: TruthNet, at: () => number): void {
  const rng = net.rng;
  const t = at();
  for (let h = 1; h <= 5; h++) {
    for (let port = 1; port <= 200; port++) {
      const open = h === 5 && [22, 80, 443].includes(port);
      const style = open ? 'half_open' : h <= 2 || h === 5 ? 'refused' : 'probe';
      net.session({
        client: '10.66.6.6',
        clientPort: rng.int(32768, 60999),
        server: `10.10.0.${h}`,
        serverPort: port,
        proto: 6,
        start: t + port * 10,
        durationMs: 1,
        reqPackets: 1,
        respPackets: 1,
        style,
        label: `syn scan ${style}`,
      });
    }
  }
  for (let h = 1; h <= 3; h++) {
    for (let port = 1; port <= 100; port++) {
      net.session({
        client: '10.66.6.7',
        clientPort: rng.int(32768, 60999),
        server: `10.10.0.${h}`,
        serverPort: port,
        proto: 17,
        start: t + port * 10,
        durationMs: 1,
        reqPackets: 1,
        respPackets: 0,
        style: 'probe',
        label: 'udp scan',
      });
    }
  }
  for (let port = 1; port <= 100; port++) {
    const style = port === 25 || port === 80 ? 'connect_probe' : 'refused';
    net.session({
      client: '10.66.6.8',
      clientPort: rng.int(32768, 60999),
      server: '10.10.0.6',
      serverPort: port,
      proto: 6,
      start: t + port * 10,
      durationMs: 1,
      reqPackets: 1,
      respPackets: 1,
      style,
      label: `connect scan ${style}`,
    });
  }
  net.session({
    client: '10.66.6.6',
    clientPort: 40123,
    server: '10.6.0.53',
    serverPort: 53,
    proto: 17,
    start: t,
    durationMs: 1000,
    reqPackets: 2,
    respPackets: 2,
    style: 'uniflow',
    label: "the scanner's own DNS",
  });
}
