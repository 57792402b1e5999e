/**
 * The map's filter: the project's filter language (src/query/filter), whose dependency terms are
 * `client`/`server` before host/net/port/group/name and `group NAME`/`name NAME` of either side, evaluated
 * on an edge. A term without a role holds when either side matches (`host X`: client or server). Edges keep
 * no client port, so `port N` is the server's port and `client port N` is refused. Terms about flows
 * (bytes, flags, AS, interfaces, ...) are refused: an edge has none of them.
 */
import { parseIp, toIpv6Bytes } from '../core/ip.js';
import type { Filter } from '../query/ast.js';
import { FilterError } from '../query/filter/errors.js';
import { parseFilter } from '../query/filter/parser.js';

/** What the filter sees of an edge (a host-view row). */
export interface EdgeSides {
  client_ip: string;
  server_ip: string;
  server_port: number;
  ip_protocol?: number;
  client_name: string | null;
  client_group: string | null;
  server_name: string | null;
  server_group: string | null;
}

export type EdgePredicate = (e: EdgeSides) => boolean;
type Side = 'client' | 'server';

function ipKey(ip: string): string | null {
  const b = parseIp(ip);
  return b ? toIpv6Bytes(b).join('.') : null;
}

/** The address is inside the prefix (the filter language masks host bits: 10.0.0.1/8 is 10.0.0.0/8). */
function inPrefix(ip: string, cidr: string): boolean {
  const [addr, len] = cidr.split('/');
  const net = parseIp(addr);
  const raw = parseIp(ip);
  if (!net || !raw) return false;
  const bits = (len === undefined ? net.length * 8 : Number(len)) + (net.length === 4 ? 96 : 0);
  const a = toIpv6Bytes(raw);
  const b = toIpv6Bytes(net);
  for (let i = 0; i * 8 < bits; i++) {
    const keep = Math.min(8, bits - i * 8);
    const m = (0xff << (8 - keep)) & 0xff;
    if ((a[i] & m) !== (b[i] & m)) return false;
  }
  return true;
}

/** The edge's value of a flow field: src_* is the client's side, dst_* the server's. */
function fieldOf(field: string): ((e: EdgeSides) => string | number | null) | 'client_port' | null {
  switch (field) {
    case 'src_ip':
      return (e) => e.client_ip;
    case 'dst_ip':
      return (e) => e.server_ip;
    case 'dst_port':
      return (e) => e.server_port;
    case 'src_port':
      return 'client_port';
    case 'ip_protocol':
      return (e) => e.ip_protocol ?? null;
    default:
      return null;
  }
}

class Compiler {
  constructor(private readonly text: string) {}

  private refuse(what: string, pos = 0, length = this.text.length): never {
    throw new FilterError(pos, what, Math.max(1, length));
  }

  compile(f: Filter, role: { side: Side; pos: number } | null): EdgePredicate {
    switch (f.op) {
      case 'and': {
        const ps = f.filters.map((x) => this.compile(x, role));
        return (e) => ps.every((p) => p(e));
      }
      case 'or': {
        // `port N` without a role reads (src_port N or dst_port N): the client side has no port, so the
        // server's alone decides.
        const ps = f.filters
          .filter((x) => !(role === null && isClientPort(x)))
          .map((x) => this.compile(x, role));
        return (e) => ps.some((p) => p(e));
      }
      case 'not': {
        const p = this.compile(f.filter, role);
        return (e) => !p(e);
      }
      case 'role':
        return this.compile(f.filter, { side: f.role, pos: f.pos ?? 0 });
      case 'label': {
        const sides: Side[] = role ? [role.side] : ['client', 'server'];
        const attr = f.label;
        return (e) => sides.some((s) => e[`${s}_${attr}`] === f.value);
      }
      case 'eq':
      case 'in_cidr':
      case 'cmp':
      case 'range':
      case 'in': {
        const get = fieldOf(f.field);
        if (get === 'client_port')
          this.refuse(
            'edges keep no client port: port applies to the server',
            role?.pos ?? 0,
            role ? 6 : undefined,
          );
        if (get === null)
          this.refuse(`${f.field}: not a property of a dependency edge (host, net, port, group, name)`);
        return leaf(f, get);
      }
      default:
        return this.refuse(`${f.op}: not a property of a dependency edge (host, net, port, group, name)`);
    }
  }
}

function isClientPort(f: Filter): boolean {
  return (f.op === 'eq' || f.op === 'cmp' || f.op === 'range' || f.op === 'in') && f.field === 'src_port';
}

function leaf(
  f: Extract<Filter, { op: 'eq' | 'in_cidr' | 'cmp' | 'range' | 'in' }>,
  get: (e: EdgeSides) => string | number | null,
): EdgePredicate {
  switch (f.op) {
    case 'eq':
      if (typeof f.value === 'string') {
        const want = ipKey(f.value);
        return (e) => {
          const v = get(e);
          return typeof v === 'string' && ipKey(v) === want;
        };
      }
      return (e) => get(e) === f.value;
    case 'in_cidr':
      return (e) => {
        const v = get(e);
        return typeof v === 'string' && inPrefix(v, f.cidr);
      };
    case 'in':
      return (e) => f.values.includes(Number(get(e)));
    case 'range':
      return (e) => {
        const v = Number(get(e));
        return v >= f.min && v <= f.max;
      };
    case 'cmp': {
      const c = f.cmp;
      return (e) => {
        const v = get(e);
        if (v === null) return false;
        const n = Number(v);
        return c === '<'
          ? n < f.value
          : c === '<='
            ? n <= f.value
            : c === '='
              ? n === f.value
              : c === '!='
                ? n !== f.value
                : c === '>='
                  ? n >= f.value
                  : n > f.value;
      };
    }
  }
}

/** Throws FilterError (with the position) on a bad filter or a term an edge does not have. */
export function parseEdgeFilter(text: string): EdgePredicate {
  if (text.trim() === '') return () => true;
  return new Compiler(text).compile(parseFilter(text), null);
}
