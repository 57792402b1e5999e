import dgram from 'node:dgram';
import type { PacketEncoder } from '../gen/encoder.js';
import type { GenFlow } from '../gen/flows.js';
import { IpfixEncoder } from '../gen/ipfix.js';
import { V9Encoder } from '../gen/netflow9.js';
import { SflowEncoder } from '../gen/sflow.js';
import { CompanyNetwork, type Vantage } from './network.js';

export interface SimulatorOptions {
  /** Collector ports on 127.0.0.1. */
  netflowPort: number;
  ipfixPort: number;
  sflowPort: number;
  /** Conversations per second (each is two flows). */
  rate?: number;
  seed?: number;
}

interface VirtualExporter {
  name: string;
  vantage: Vantage;
  address: string;
  port: number;
  encoder: PacketEncoder;
  socket: dgram.Socket;
  queue: GenFlow[];
  datagrams: number;
  flows: number;
}

/**
 * Three virtual exporters over loopback, each from its own 127.0.0.x address where the OS allows it:
 * the edge router (NetFlow v9, internet traffic), the core switch (IPFIX, server-to-server) and the access
 * switch (sFlow 1:10, laptops and the scanner).
 */
export class Simulator {
  private exporters: VirtualExporter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly net: CompanyNetwork;
  private owed = 0;
  private last = 0;

  constructor(private readonly opts: SimulatorOptions) {
    this.net = new CompanyNetwork(opts.seed ?? 7);
  }

  async start(): Promise<void> {
    const boot = Date.now() - 86_400_000;
    const base = (id: number, samplingRate: number) => ({
      exporterId: id,
      samplingRate,
      mtu: 1400,
      bootTime: boot,
    });
    const specs: [string, Vantage, string, number, PacketEncoder][] = [
      [
        'edge-router',
        'edge',
        '127.0.0.2',
        this.opts.netflowPort,
        new V9Encoder({ ...base(1, 1), templateRefresh: 20 }),
      ],
      [
        'core-switch',
        'core',
        '127.0.0.3',
        this.opts.ipfixPort,
        new IpfixEncoder({ ...base(2, 1), templateRefresh: 20, variableLength: true }),
      ],
      [
        'access-switch',
        'access',
        '127.0.0.4',
        this.opts.sflowPort,
        new SflowEncoder({ ...base(3, 10), agentAddress: '127.0.0.4', expanded: false, counterEvery: 10 }),
      ],
    ];
    for (const [name, vantage, address, port, encoder] of specs) {
      const { socket, bound } = await bindSocket(address);
      this.exporters.push({
        name,
        vantage,
        address: bound,
        port,
        encoder,
        socket,
        queue: [],
        datagrams: 0,
        flows: 0,
      });
    }
    this.last = Date.now();
    this.timer = setInterval(() => this.tick(), 200);
  }

  describe(): { name: string; address: string; protocol: string; datagrams: number; flows: number }[] {
    const proto = (e: VirtualExporter) =>
      e.encoder instanceof V9Encoder
        ? 'netflow_v9'
        : e.encoder instanceof IpfixEncoder
          ? 'ipfix'
          : 'sflow_v5';
    return this.exporters.map((e) => ({
      name: e.name,
      address: e.address,
      protocol: proto(e),
      datagrams: e.datagrams,
      flows: e.flows,
    }));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.exporters.map((e) => new Promise<void>((r) => e.socket.close(() => r()))));
    this.exporters = [];
  }

  private tick(): void {
    const now = Date.now();
    this.owed += ((now - this.last) / 1000) * (this.opts.rate ?? 100);
    this.last = now;
    for (; this.owed >= 1; this.owed--) {
      const c = this.net.next(now);
      const e = this.exporters.find((x) => x.vantage === c.vantage);
      e?.queue.push(...c.flows);
    }
    for (const e of this.exporters) this.flush(e, now);
  }

  private flush(e: VirtualExporter, now: number): void {
    // Whole-second export times keep v9 (seconds-only header) consistent with flow end times.
    const t = Math.floor(now);
    while (e.queue.length) {
      e.encoder.begin(t);
      let n = 0;
      while (n < e.queue.length && e.encoder.add(e.queue[n])) n++;
      if (n === 0) {
        e.queue.shift(); // does not fit at all: never loop forever on it
        continue;
      }
      e.queue.splice(0, n);
      const out = e.encoder.finish();
      e.datagrams++;
      e.flows += n;
      e.socket.send(out.bytes, e.port, '127.0.0.1');
    }
  }
}

async function bindSocket(address: string): Promise<{ socket: dgram.Socket; bound: string }> {
  for (const a of [address, '127.0.0.1']) {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: a, port: 0 }, () => resolve());
      });
      return { socket, bound: a };
    } catch {
      socket.close();
    }
  }
  throw new Error('cannot bind a UDP socket on loopback');
}
