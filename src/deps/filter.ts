/**
 * The map's filter: terms about an edge's two sides, joined by and/or/not and parentheses.
 *
 *   term := [client|server] (host ADDR | net CIDR | group NAME | name NAME) | [server] port N
 *
 * Without a role a term holds when either side matches. Lexed by the flow filter's lexer (src/query/filter)
 * so errors carry the same positions and the CLI shows them with a caret.
 */
import { parseIp, toIpv6Bytes } from '../core/ip.js';
import { FilterError } from '../query/filter/errors.js';
import { lex, type Token } from '../query/filter/lexer.js';
import { parseCidr } from './labels.js';

/** What the filter sees of an edge (a host-view row). */
export interface EdgeSides {
  client_ip: string;
  server_ip: string;
  server_port: number;
  client_name: string | null;
  client_group: string | null;
  server_name: string | null;
  server_group: string | null;
}

export type EdgePredicate = (e: EdgeSides) => boolean;

type Side = 'client' | 'server';

function inPrefix(ip: string, cidr: string): boolean {
  const p = parseCidr(cidr);
  const raw = parseIp(ip);
  if (!p || !raw) return false;
  const b = toIpv6Bytes(raw);
  for (let i = 0; i * 8 < p.bits; i++) {
    const keep = Math.min(8, p.bits - i * 8);
    const m = (0xff << (8 - keep)) & 0xff;
    if ((b[i] & m) !== (p.bytes[i] & m)) return false;
  }
  return true;
}

const sameIp = (a: string, b: string) => {
  const x = parseIp(a);
  const y = parseIp(b);
  return !!x && !!y && toIpv6Bytes(x).join('.') === toIpv6Bytes(y).join('.');
};

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}

  private peek(): Token {
    return this.t[this.i];
  }
  private next(): Token {
    return this.t[this.i++];
  }
  private word(w: string): boolean {
    const t = this.peek();
    if (t.kind === 'word' && t.text.toLowerCase() === w) {
      this.i++;
      return true;
    }
    return false;
  }
  private fail(t: Token, expected: string): never {
    const got = t.kind === 'end' ? 'the end' : JSON.stringify(t.text);
    throw new FilterError(t.pos, `expected ${expected}, got ${got}`, Math.max(1, t.end - t.pos));
  }

  parse(): EdgePredicate {
    const p = this.or();
    if (this.peek().kind !== 'end') this.fail(this.peek(), '"and", "or" or the end');
    return p;
  }
  private or(): EdgePredicate {
    let l = this.and();
    while (this.word('or')) {
      const a = l;
      const b = this.and();
      l = (e) => a(e) || b(e);
    }
    return l;
  }
  private and(): EdgePredicate {
    let l = this.not();
    for (;;) {
      const t = this.peek();
      // `and` may be left out between terms, as in the flow filter.
      if (!this.word('and') && (t.kind === 'end' || t.kind === ')' || t.text.toLowerCase() === 'or'))
        return l;
      const a = l;
      const b = this.not();
      l = (e) => a(e) && b(e);
    }
  }
  private not(): EdgePredicate {
    if (this.word('not') || (this.peek().kind === 'op' && this.peek().text === '!' && this.next())) {
      const p = this.not();
      return (e) => !p(e);
    }
    if (this.peek().kind === '(') {
      this.next();
      const p = this.or();
      if (this.peek().kind !== ')') this.fail(this.peek(), '")"');
      this.next();
      return p;
    }
    return this.term();
  }
  private term(): EdgePredicate {
    const side: Side | null = this.word('client') ? 'client' : this.word('server') ? 'server' : null;
    const kw = this.next();
    const what = kw.kind === 'word' ? kw.text.toLowerCase() : '';
    const arg = (expected: string): Token => {
      const t = this.next();
      if (t.kind !== 'word' && t.kind !== 'string') this.fail(t, expected);
      return t;
    };
    const either = (f: (s: Side) => (e: EdgeSides) => boolean): EdgePredicate => {
      if (side) return f(side);
      const c = f('client');
      const s = f('server');
      return (e) => c(e) || s(e);
    };
    switch (what) {
      case 'host': {
        const t = arg('an IP address');
        if (!parseIp(t.value)) this.fail(t, 'an IP address');
        return either((s) => (e) => sameIp(e[`${s}_ip`], t.value));
      }
      case 'net': {
        const t = arg('a prefix (10.0.0.0/8)');
        if (!parseCidr(t.value)) this.fail(t, 'a prefix with its host bits clear (10.0.0.0/8)');
        return either((s) => (e) => inPrefix(e[`${s}_ip`], t.value));
      }
      case 'group':
      case 'name': {
        const t = arg(`a ${what}`);
        return either((s) => (e) => e[`${s}_${what}`] === t.value);
      }
      case 'port': {
        if (side === 'client') this.fail(kw, 'host, net, group or name (edges keep no client port)');
        const t = arg('a port number');
        const n = /^\d{1,5}$/.test(t.value) ? Number(t.value) : -1;
        if (n < 0 || n > 65535) this.fail(t, 'a port number 0-65535');
        return (e) => e.server_port === n;
      }
      default:
        return this.fail(
          kw,
          side
            ? 'host, net, group, name or port'
            : 'client, server, host, net, group, name, port, not or "("',
        );
    }
  }
}

/** Throws FilterError (with the position) on a bad filter. */
export function parseEdgeFilter(text: string): EdgePredicate {
  if (text.trim() === '') return () => true;
  return new Parser(lex(text)).parse();
}
