import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';

/** One socket to open. Any listener accepts any protocol: the decoder detects it per datagram. */
export interface ListenSpec {
  /** Metrics label, e.g. "netflow". */
  name: string;
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

export type UdpHandler = (msg: Buffer, address: string, port: number) => void;

export interface TcpHandlers {
  onData(conn: TcpConn, chunk: Buffer): void;
  onClose(conn: TcpConn): void;
}

export interface TcpConn {
  id: string;
  address: string;
  port: number;
  socket: net.Socket;
}

export interface BoundInfo {
  name: string;
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  /** Asked and granted SO_RCVBUF (UDP only; Linux reports double the usable size). */
  recvBufferAsked?: number;
  recvBufferGranted?: number;
}

async function family(host: string): Promise<{ address: string; v6: boolean }> {
  const fam = net.isIP(host);
  if (fam) return { address: host, v6: fam === 6 };
  const r = await lookup(host);
  return { address: r.address, v6: r.family === 6 };
}

/**
 * A UDP socket. On `::` the socket is dual-stack (ipv6Only false), so IPv4 exporters arrive as
 * IPv4-mapped addresses, which the handler maps back to dotted IPv4.
 */
export class UdpListener {
  private socket: dgram.Socket | null = null;
  info: BoundInfo | null = null;

  constructor(
    readonly spec: ListenSpec,
    private readonly recvBufferSize: number,
    private readonly handler: UdpHandler,
  ) {}

  async start(): Promise<BoundInfo> {
    const { address, v6 } = await family(this.spec.host);
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: false });
    socket.on('message', (msg, rinfo) => this.handler(msg, rinfo.address, rinfo.port));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: this.spec.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Errors after bind (rare on UDP) must not crash the process: the listener stays and the next
    // datagram still arrives.
    socket.on('error', () => {});
    let granted: number | undefined;
    try {
      socket.setRecvBufferSize(this.recvBufferSize);
    } catch {
      // The kernel refused outright; what it kept is read back below.
    }
    try {
      granted = socket.getRecvBufferSize();
    } catch {
      granted = undefined;
    }
    this.socket = socket;
    const a = socket.address();
    this.info = {
      name: this.spec.name,
      transport: 'udp',
      address: a.address,
      port: a.port,
      recvBufferAsked: this.recvBufferSize,
      recvBufferGranted: granted,
    };
    return this.info;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

/** IPFIX over TCP (RFC 7011 §10.4): one byte stream per connection, message boundaries found by the decoder. */
export class TcpListener {
  private server: net.Server | null = null;
  private readonly conns = new Set<TcpConn>();
  private nextId = 1;
  info: BoundInfo | null = null;

  constructor(
    readonly spec: ListenSpec,
    private readonly handlers: TcpHandlers,
  ) {}

  get connections(): number {
    return this.conns.size;
  }

  async start(): Promise<BoundInfo> {
    const { address, v6 } = await family(this.spec.host);
    const server = net.createServer((socket) => {
      const conn: TcpConn = {
        id: `tcp-${this.spec.port}-${this.nextId++}`,
        address: socket.remoteAddress ?? 'unknown',
        port: socket.remotePort ?? 0,
        socket,
      };
      this.conns.add(conn);
      socket.on('data', (chunk) => this.handlers.onData(conn, chunk));
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.conns.delete(conn);
        this.handlers.onClose(conn);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: this.spec.port, ipv6Only: v6 ? false : undefined }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const a = server.address() as net.AddressInfo;
    this.info = { name: this.spec.name, transport: 'tcp', address: a.address, port: a.port };
    return this.info;
  }

  /** Stop accepting, then end every connection after what it already sent has been read. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const c of this.conns) c.socket.end();
    const timer = setTimeout(() => {
      for (const c of this.conns) c.socket.destroy();
    }, 2000);
    await closed;
    clearTimeout(timer);
  }
}
