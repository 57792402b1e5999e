import { Prng } from '../core/prng.js';
import { type GenFlow, plainFlow } from '../gen/flows.js';

/**
 * A small company network for the demo: laptops, a web tier, an API tier, a database, a cache, DNS,
 * traffic to and from the internet, and one port scanner. Each call of `next` yields one conversation as
 * flows (request and answer), tagged with the vantage point that sees it (edge router, core, access).
 */
export type Vantage = 'edge' | 'core' | 'access';

export interface Role {
  hosts: string[];
}

const range = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

const CLIENTS: Role = { hosts: range('10.10.0.', 20, 40) };
const WEB: Role = { hosts: ['10.20.0.10', '10.20.0.11'] };
const API: Role = { hosts: ['10.20.1.10', '10.20.1.11', '10.20.1.12'] };
const DB: Role = { hosts: ['10.20.2.10'] };
const CACHE: Role = { hosts: ['10.20.2.20'] };
const DNS: Role = { hosts: ['10.20.3.53'] };
const INTERNET_USERS: Role = {
  hosts: [...range('198.51.100.', 1, 30), '2001:db8:beef::10', '2001:db8:beef::11'],
};
const INTERNET_SITES: Role = { hosts: [...range('203.0.113.', 10, 12), '2001:db8:cafe::443'] };
/** Probes random ports of the servers with bare SYNs, never answered: no dependency of anyone. */
export const SCANNER = '10.10.0.66';

export interface Conversation {
  vantage: Vantage;
  client: Role;
  server: Role;
  port: number;
  protocol: number;
  app: string;
  weight: number;
  req: [packets: number, size: number];
  resp: [packets: number, size: number];
}

/** The declared topology: who talks to whom on which port (tests hold discovery against it). */
export const CONVERSATIONS: readonly Conversation[] = [
  {
    vantage: 'edge',
    client: INTERNET_USERS,
    server: WEB,
    port: 443,
    protocol: 6,
    app: 'https',
    weight: 20,
    req: [8, 220],
    resp: [14, 1200],
  },
  {
    vantage: 'access',
    client: CLIENTS,
    server: WEB,
    port: 443,
    protocol: 6,
    app: 'https',
    weight: 8,
    req: [6, 200],
    resp: [10, 1100],
  },
  {
    vantage: 'core',
    client: WEB,
    server: API,
    port: 8080,
    protocol: 6,
    app: 'http-alt',
    weight: 25,
    req: [5, 300],
    resp: [6, 900],
  },
  {
    vantage: 'core',
    client: API,
    server: DB,
    port: 5432,
    protocol: 6,
    app: 'postgresql',
    weight: 18,
    req: [4, 250],
    resp: [8, 1000],
  },
  {
    vantage: 'core',
    client: API,
    server: CACHE,
    port: 6379,
    protocol: 6,
    app: 'redis',
    weight: 22,
    req: [3, 90],
    resp: [3, 140],
  },
  {
    vantage: 'access',
    client: CLIENTS,
    server: DNS,
    port: 53,
    protocol: 17,
    app: 'dns',
    weight: 12,
    req: [1, 70],
    resp: [1, 150],
  },
  {
    vantage: 'core',
    client: API,
    server: DNS,
    port: 53,
    protocol: 17,
    app: 'dns',
    weight: 4,
    req: [1, 70],
    resp: [1, 150],
  },
  {
    vantage: 'edge',
    client: CLIENTS,
    server: INTERNET_SITES,
    port: 443,
    protocol: 6,
    app: 'https',
    weight: 15,
    req: [10, 250],
    resp: [30, 1300],
  },
];

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const TCP_FIN = 0x01;

export class CompanyNetwork {
  private readonly rng: Prng;
  private readonly total: number;

  constructor(seed = 7) {
    this.rng = new Prng(seed);
    this.total = CONVERSATIONS.reduce((a, c) => a + c.weight, 0);
  }

  /** One conversation (two flows) or one scan probe, ending just before `now`. */
  next(now: number): { vantage: Vantage; flows: GenFlow[] } {
    if (this.rng.chance(0.03)) return { vantage: 'access', flows: [this.probe(now)] };
    let pick = this.rng.int(0, this.total - 1);
    let c = CONVERSATIONS[0];
    for (const conv of CONVERSATIONS) {
      if (pick < conv.weight) {
        c = conv;
        break;
      }
      pick -= conv.weight;
    }
    const client = this.rng.pick(c.client.hosts);
    let server = this.rng.pick(c.server.hosts);
    // Keep address families consistent within a conversation.
    if (client.includes(':') !== server.includes(':')) {
      server = client.includes(':') ? '2001:db8:cafe::443' : c.server.hosts[0];
      if (server.includes(':') !== client.includes(':')) return this.next(now);
    }
    const sport = this.rng.int(32768, 60999);
    const end = now - this.rng.int(1000, 3000);
    const start = end - this.rng.int(50, 20_000);
    const tcp = c.protocol === 6;
    const flags = tcp ? TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN : 0;
    const scale = this.rng.int(1, 4);
    const req = this.flow({
      src: client,
      dst: server,
      sport,
      dport: c.port,
      c,
      start,
      end,
      packets: c.req[0] * scale,
      size: c.req[1],
      flags,
    });
    const resp = this.flow({
      src: server,
      dst: client,
      sport: c.port,
      dport: sport,
      c,
      start: start + 1,
      end,
      packets: c.resp[0] * scale,
      size: c.resp[1],
      flags,
    });
    return { vantage: c.vantage, flows: [req, resp] };
  }

  private probe(now: number): GenFlow {
    const target = this.rng.pick([...WEB.hosts, ...API.hosts, ...DB.hosts, ...CACHE.hosts]);
    const t = now - this.rng.int(1000, 3000);
    const c: Conversation = { ...CONVERSATIONS[0], app: '' };
    return this.flow({
      src: SCANNER,
      dst: target,
      sport: this.rng.int(40000, 60000),
      dport: this.rng.int(1, 10_000),
      c,
      start: t,
      end: t,
      packets: 1,
      size: 44,
      flags: TCP_SYN,
    });
  }

  private flow(f: {
    src: string;
    dst: string;
    sport: number;
    dport: number;
    c: Conversation;
    start: number;
    end: number;
    packets: number;
    size: number;
    flags: number;
  }): GenFlow {
    return plainFlow({
      srcIp: f.src,
      dstIp: f.dst,
      srcPort: f.sport,
      dstPort: f.dport,
      protocol: f.c.protocol,
      packets: f.packets,
      bytes: f.packets * f.size,
      tcpFlags: f.flags,
      start: f.start,
      end: f.end,
      app: f.c.app,
    });
  }
}
