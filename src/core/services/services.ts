/**
 * Service names of transport ports from the IANA registry (RFC 6335), plus the operator's own service
 * ports. The table is generated (scripts/gen-service-table.mjs -> service-table.ts); this file only reads it.
 */
import { SERVICE_LINES } from './service-table.js';

/** Transport protocols with IANA port assignments that FlowLens names (IP protocol numbers 6, 17, 132). */
export type TransportName = 'tcp' | 'udp' | 'sctp';

const BY_NUMBER: Readonly<Record<number, TransportName>> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
const LETTER: Readonly<Record<string, TransportName>> = { t: 'tcp', u: 'udp', s: 'sctp' };

/** IP protocol number or transport name -> transport name; null for protocols without ports (ICMP, GRE). */
export function transportName(proto: number | TransportName): TransportName | null {
  return typeof proto === 'number' ? (BY_NUMBER[proto] ?? null) : proto;
}

/** RFC 6335 section 6: System Ports 0-1023, User (registered) Ports 1024-49151, Dynamic Ports 49152-65535. */
export type PortRange = 'system' | 'user' | 'dynamic';

export function portRange(port: number): PortRange {
  if (port < 1024) return 'system';
  return port < 49152 ? 'user' : 'dynamic';
}

/** Built on first use: "port/proto" -> name (about 11 500 entries; parsing costs a few milliseconds). */
let table: Map<string, string> | null = null;

function ianaTable(): Map<string, string> {
  if (table) return table;
  table = new Map();
  for (const line of SERVICE_LINES.split('\n')) {
    if (line === '') continue;
    const [port, protos, name] = line.split(' ');
    for (const letter of protos) table.set(`${port}/${LETTER[letter]}`, name);
  }
  return table;
}

/** The IANA service name of a port, e.g. (443, 6) -> 'https'; null when unassigned or reserved. */
export function serviceName(port: number, proto: number | TransportName): string | null {
  const t = transportName(proto);
  if (t === null) return null;
  return ianaTable().get(`${port}/${t}`) ?? null;
}

/**
 * The operator's service ports, keyed "port/proto" (e.g. "9200/tcp"), each with an optional name that
 * overrides IANA's (9200/tcp is IANA's wap-wsp; here it is elasticsearch).
 */
export type UserServicePorts = ReadonlyMap<string, string | null>;

/**
 * Parses service-port specs: "9200/tcp", "9200/tcp=elasticsearch", "8125/udp=statsd", or "9000" (tcp and
 * udp). Throws on anything else, naming the spec, so a config error stops start-up with its cause.
 */
export function parseUserServicePorts(specs: readonly string[]): UserServicePorts {
  const out = new Map<string, string | null>();
  for (const spec of specs) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?(?:=([A-Za-z0-9][A-Za-z0-9._+-]*))?$/.exec(spec.trim());
    const port = m ? Number(m[1]) : -1;
    if (!m || port < 1 || port > 65535) {
      throw new Error(`service port: expected PORT[/tcp|udp|sctp][=name], got "${spec}"`);
    }
    for (const proto of m[2] ? [m[2]] : ['tcp', 'udp']) out.set(`${port}/${proto}`, m[3] ?? null);
  }
  return out;
}

/** A service port: one the operator declared, or one IANA assigned (system or user range). */
export function isServicePort(
  port: number,
  proto: number | TransportName,
  userPorts: UserServicePorts = new Map(),
): boolean {
  const t = transportName(proto);
  if (t === null || port <= 0) return false;
  return userPorts.has(`${port}/${t}`) || ianaTable().has(`${port}/${t}`);
}

/** The operator's name for the port if given, else IANA's. */
export function serviceNameFor(
  port: number,
  proto: number | TransportName,
  userPorts: UserServicePorts = new Map(),
): string | null {
  const t = transportName(proto);
  if (t === null) return null;
  return userPorts.get(`${port}/${t}`) ?? serviceName(port, t);
}
