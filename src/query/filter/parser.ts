/**
 * The filter language (issue 10): a hand-written recursive-descent parser over lexer.ts's tokens, giving
 * the query AST (query/ast.ts). Grammar (keywords case-insensitive):
 *
 *   filter  := or END
 *   or      := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := ('not' | '!') unary | '(' or ')' | term
 *   term    := [src|dst] (host|ip) ADDR | [src|dst] net CIDR | [src|dst] port NUMS | [src|dst] as NUMS
 *            | [src|dst] vlan NUMS | [in|out] if NUMS | proto PROTO | exporter ADDR|CIDR
 *            | sampled | sampling NUMS | flags LETTERS | tos NUMS | dscp N
 *            | (bytes|packets|bps|pps|duration) [CMP] MEASURE
 *            | ext.PATH (=|==|!=) (STRING|NUMBER) | ext.PATH ~ STRING | ext.PATH like STRING
 *            | exists ext.PATH | (client|server) (host|ip|net|port|as|group|name) ... | (group|name) NAME
 *   NUMS    := N | N-M | CMP N | in '[' N (','? N)* ']'
 *
 * A term without src/dst matches either side (an `or` of both). Errors are FilterErrors at the offending
 * token ("at 5: expected a port number, got \"https\"").
 */

import { parseIp } from '../../core/ip.js';
import { cidrToRange } from '../../core/rules.js';
import type { CmpOp, Filter, NumericField } from '../ast.js';
import { FilterError } from './errors.js';
import { lex, type Token } from './lexer.js';
import { parseFlags, parseInteger, parseMeasure, parseProtocol, SCALE, TIME } from './terms.js';

/** Operands of one and/or (the validated AST's bound); nesting with parentheses allows more. */
const MAX_TERMS = 64;
/** Nested parentheses and nots: deep enough for people, shallow enough for the stack. */
const MAX_DEPTH = 64;
const MAX_TEXT = 200;
const MAX_LIST = 256;

type Side = 'src' | 'dst' | undefined;

interface Sided {
  src: NumericField;
  dst: NumericField;
}

/** Numeric terms: their fields by side, what a value is called in errors, the largest value. */
const NUMERIC_TERMS: Record<string, { fields: Sided | NumericField; what: string; max: number }> = {
  port: { fields: { src: 'src_port', dst: 'dst_port' }, what: 'a port number', max: 65535 },
  as: { fields: { src: 'src_as', dst: 'dst_as' }, what: 'an AS number', max: 4294967295 },
  vlan: { fields: { src: 'src_vlan', dst: 'dst_vlan' }, what: 'a VLAN id', max: 4095 },
  if: {
    fields: { src: 'input_interface', dst: 'output_interface' },
    what: 'an interface index',
    max: 4294967295,
  },
  sampling: { fields: 'sampling_rate', what: 'a sampling rate', max: 4294967295 },
  tos: { fields: 'tos', what: 'a ToS value', max: 255 },
};

const MEASURES: Record<string, { units: Record<string, number>; what: string }> = {
  bytes: { units: SCALE, what: 'a byte count (K, M, G suffixes)' },
  packets: { units: SCALE, what: 'a packet count (K, M, G suffixes)' },
  bps: { units: SCALE, what: 'bits per second (K, M, G suffixes)' },
  pps: { units: SCALE, what: 'packets per second (K, M, G suffixes)' },
  duration: { units: TIME, what: 'a duration (ms, s, m, h, d; a bare number is ms)' },
};

const CMP: Record<string, CmpOp> = {
  '<': '<',
  '<=': '<=',
  '=': '=',
  '==': '=',
  '!=': '!=',
  '>=': '>=',
  '>': '>',
};

const describe = (t: Token) => (t.kind === 'end' ? 'end of input' : JSON.stringify(t.text));

/** Parse a filter expression into the query AST; throws FilterError with the position. */
export function parseFilter(text: string): Filter {
  const p = new Parser(lex(text));
  const f = p.or();
  const t = p.peek();
  if (t.kind === ')') throw new FilterError(t.pos, '")" without "(" before it');
  if (t.kind !== 'end') p.fail(t, '"and", "or" or the end');
  return f;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  peek(): Token {
    return this.toks[this.i];
  }
  private next(): Token {
    const t = this.toks[this.i];
    if (t.kind !== 'end') this.i++;
    return t;
  }
  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toLowerCase());
  }

  fail(t: Token, expected: string): never {
    if (expected.startsWith('no '))
      throw new FilterError(t.pos, expected.slice(3), Math.max(1, t.end - t.pos));
    throw new FilterError(t.pos, `expected ${expected}, got ${describe(t)}`, Math.max(1, t.end - t.pos));
  }

  private nest<T>(t: Token, f: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new FilterError(t.pos, `nested more than ${MAX_DEPTH} deep`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  or(): Filter {
    return this.list('or', () => this.and());
  }

  private and(): Filter {
    return this.list('and', () => this.unary());
  }

  private list(op: 'and' | 'or', item: () => Filter): Filter {
    const filters = [item()];
    while (this.isWord(this.peek(), op)) {
      const t = this.next();
      if (filters.length >= MAX_TERMS)
        throw new FilterError(
          t.pos,
          `more than ${MAX_TERMS} terms joined by "${op}": group them with parentheses`,
        );
      filters.push(item());
    }
    return filters.length === 1 ? filters[0] : { op, filters };
  }

  private unary(): Filter {
    const t = this.peek();
    if (this.isWord(t, 'not') || (t.kind === 'op' && t.text === '!')) {
      this.next();
      return this.nest(t, () => ({ op: 'not', filter: this.unary() }));
    }
    if (t.kind === '(') {
      this.next();
      return this.nest(t, () => {
        const f = this.or();
        if (this.peek().kind !== ')') this.fail(this.peek(), '")"');
        this.next();
        return f;
      });
    }
    return this.term();
  }

  private term(): Filter {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(t, 'a filter term (host, net, port, proto, ...)');
    const kw = t.text.toLowerCase();
    if (kw === 'src' || kw === 'dst') {
      this.next();
      const what = this.peek();
      if (!this.isWord(what, 'host', 'ip', 'net', 'port', 'as', 'vlan'))
        this.fail(what, `host, net, port, as or vlan after ${kw}`);
      return this.sided(kw);
    }
    if (kw === 'client' || kw === 'server') return this.role(kw);
    if (kw === 'in' || kw === 'out') {
      this.next();
      if (!this.isWord(this.peek(), 'if')) this.fail(this.peek(), `"if" after ${kw}`);
      this.next();
      return this.numeric('if', kw === 'in' ? 'src' : 'dst');
    }
    if (kw.startsWith('ext.')) return this.ext();
    if (Object.hasOwn(MEASURES, kw)) return this.measure(kw);
    switch (kw) {
      case 'host':
      case 'ip':
      case 'net':
      case 'port':
      case 'as':
      case 'vlan':
      case 'if':
        return this.sided(undefined);
      case 'sampling':
      case 'tos':
        this.next();
        return this.numeric(kw, undefined);
      case 'proto':
        return this.proto();
      case 'exporter':
        return this.exporter();
      case 'sampled':
        this.next();
        return { op: 'cmp', field: 'sampling_rate', cmp: '>', value: 1 };
      case 'flags':
        return this.flags();
      case 'dscp':
        return this.dscp();
      case 'exists':
        return this.exists();
      case 'group':
      case 'name':
        return this.label();
    }
    return this.fail(t, 'a filter term (host, net, port, proto, ...)');
  }

  /** host/ip/net/port/as/vlan/if with a side, or on either side (an `or` of both) without one. */
  private sided(side: Side): Filter {
    const kw = this.next().text.toLowerCase();
    if (kw === 'host' || kw === 'ip' || kw === 'net') {
      const v = this.peek();
      const isNet = kw === 'net';
      const ok =
        v.kind === 'word' &&
        (isNet ? v.text.includes('/') && cidrToRange(v.text) : !v.text.includes('/') && parseIp(v.text));
      if (!ok) this.fail(v, isNet ? 'a network prefix (10.1.0.0/16, 2001:db8::/32)' : 'an IP address');
      this.next();
      const leaf = (s: 'src' | 'dst'): Filter =>
        isNet
          ? { op: 'in_cidr', field: s === 'src' ? 'src_ip' : 'dst_ip', cidr: v.text }
          : { op: 'eq', field: s === 'src' ? 'src_ip' : 'dst_ip', value: v.text };
      return either(side, leaf);
    }
    return this.numeric(kw, side);
  }

  /** NUMS of a numeric term: N, N-M, CMP N, in [N ...]; both sides when the term has two and none is named. */
  private numeric(kw: string, side: Side): Filter {
    const spec = NUMERIC_TERMS[kw];
    const t = this.peek();
    const num = (tok: Token) => {
      const n = tok.kind === 'word' ? parseInteger(tok.text, spec.max) : null;
      if (n === null) this.fail(tok, spec.what);
      return n;
    };
    let make: (field: NumericField) => Filter;
    if (t.kind === 'op' && CMP[t.text]) {
      this.next();
      const cmp = CMP[t.text];
      const value = num(this.next());
      make = (field) => (cmp === '=' ? { op: 'eq', field, value } : { op: 'cmp', field, cmp, value });
    } else if (this.isWord(t, 'in')) {
      this.next();
      const values = this.list_(num);
      make = (field) => ({ op: 'in', field, values });
    } else {
      const m = t.kind === 'word' ? /^([0-9a-fA-Fx]+)-([0-9a-fA-Fx]+)$/.exec(t.text) : null;
      if (m) {
        const min = parseInteger(m[1], spec.max);
        const max = parseInteger(m[2], spec.max);
        if (min === null || max === null || min > max)
          this.fail(t, `a range of ${spec.what.replace(/^an? /, '')}s (low-high)`);
        this.next();
        make = (field) => ({ op: 'range', field, min, max });
      } else {
        const value = num(this.next());
        make = (field) => ({ op: 'eq', field, value });
      }
    }
    const f = spec.fields;
    if (typeof f === 'string') return make(f);
    return either(side, (s) => make(f[s]));
  }

  /** `[ N N, N ]`: commas optional, at least one value. */
  private list_(item: (t: Token) => number): number[] {
    if (this.peek().kind !== '[') this.fail(this.peek(), '"[" to start a list');
    this.next();
    const values: number[] = [];
    while (this.peek().kind !== ']') {
      if (values.length > 0 && this.peek().kind === ',') this.next();
      if (values.length >= MAX_LIST) this.fail(this.peek(), `"]" (a list holds ${MAX_LIST} values at most)`);
      values.push(item(this.next()));
    }
    if (values.length === 0) this.fail(this.peek(), 'a value in the list');
    this.next();
    return values;
  }

  private proto(): Filter {
    this.next();
    const t = this.next();
    const n = t.kind === 'word' ? parseProtocol(t.text) : null;
    if (n === null) this.fail(t, 'a protocol (tcp, udp, icmp, icmp6 or a number 0-255)');
    return { op: 'eq', field: 'ip_protocol', value: n };
  }

  private exporter(): Filter {
    this.next();
    const t = this.next();
    if (t.kind === 'word' && t.text.includes('/') && cidrToRange(t.text))
      return { op: 'in_cidr', field: 'exporter_ip', cidr: t.text };
    if (t.kind !== 'word' || !parseIp(t.text)) this.fail(t, "an exporter's IP address or prefix");
    return { op: 'eq', field: 'exporter_ip', value: t.text };
  }

  private flags(): Filter {
    this.next();
    const t = this.next();
    const mask = t.kind === 'word' ? parseFlags(t.text) : null;
    if (mask === null) this.fail(t, 'TCP flag letters (C E U A P R S F)');
    return { op: 'flags', mask };
  }

  /** DSCP is the upper six bits of the ToS byte: dscp N is tos 4N..4N+3 whatever the ECN bits. */
  private dscp(): Filter {
    this.next();
    const t = this.next();
    const n = t.kind === 'word' ? parseInteger(t.text, 63) : null;
    if (n === null) this.fail(t, 'a DSCP value (0-63)');
    return { op: 'range', field: 'tos', min: n * 4, max: n * 4 + 3 };
  }

  /** bytes/packets/bps/pps/duration [CMP] VALUE: a bare value is equality. */
  private measure(kw: string): Filter {
    this.next();
    const spec = MEASURES[kw];
    const field = kw as NumericField;
    let cmp: CmpOp = '=';
    const t = this.peek();
    if (t.kind === 'op' && CMP[t.text]) {
      cmp = CMP[t.text];
      this.next();
    }
    const v = this.next();
    const value = v.kind === 'word' ? parseMeasure(v.text, spec.units) : null;
    if (value === null) this.fail(v, spec.what);
    return cmp === '=' ? { op: 'eq', field, value } : { op: 'cmp', field, cmp, value };
  }

  private path(t: Token): string[] {
    const keys = t.text.slice(4).split('.');
    if (keys.length > 8 || keys.some((k) => !/^[A-Za-z0-9_-]{1,64}$/.test(k)))
      this.fail(t, 'ext.<key>[.<key>...] (letters, digits, _ and -; 8 keys at most)');
    return keys;
  }

  private ext(): Filter {
    const t = this.next();
    const path = this.path(t);
    const o = this.peek();
    if (this.isWord(o, 'like') || (o.kind === 'op' && o.text === '~')) {
      this.next();
      const s = this.next();
      if (s.kind !== 'string')
        this.fail(s, `a quoted ${o.text === '~' ? 'regular expression' : 'LIKE pattern'}`);
      return { op: 'ext', path, test: o.text === '~' ? 'regex' : 'like', value: this.text(s) };
    }
    if (o.kind !== 'op' || !['=', '==', '!='].includes(o.text)) this.fail(o, '=, !=, ~ or like');
    this.next();
    const v = this.next();
    let value: string | number;
    if (v.kind === 'string') value = this.text(v);
    else if (v.kind === 'word' && /^-?\d+(\.\d+)?$/.test(v.text)) value = Number(v.text);
    else return this.fail(v, 'a quoted string or a number');
    const eq: Filter = { op: 'ext', path, test: 'eq', value };
    return o.text === '!=' ? { op: 'not', filter: eq } : eq;
  }

  private exists(): Filter {
    this.next();
    const t = this.peek();
    if (t.kind !== 'word' || !t.text.toLowerCase().startsWith('ext.')) this.fail(t, 'ext.<key> after exists');
    this.next();
    return { op: 'ext', path: this.path(t), test: 'exists' };
  }

  /** A string's content, bounded like every text value of the AST. */
  private text(t: Token): string {
    if (t.value.length > MAX_TEXT)
      throw new FilterError(t.pos, `a string longer than ${MAX_TEXT} characters`, t.end - t.pos);
    return t.value;
  }

  private label(): Filter {
    const k = this.next();
    const v = this.next();
    if (v.kind !== 'word' && v.kind !== 'string')
      this.fail(v, `a ${k.text.toLowerCase()} (a word or a quoted string)`);
    if (this.isWord(v, 'and', 'or', 'not')) this.fail(v, `a ${k.text.toLowerCase()}`);
    return { op: 'label', label: k.text.toLowerCase() as 'group' | 'name', value: this.text(v), pos: k.pos };
  }

  /** client/server TERM: the term on that side of a dependency edge (client = src_*, server = dst_*). */
  private role(kw: 'client' | 'server'): Filter {
    const r = this.next();
    const t = this.peek();
    const side = kw === 'client' ? 'src' : 'dst';
    let filter: Filter;
    if (this.isWord(t, 'group', 'name')) filter = this.label();
    else if (this.isWord(t, 'host', 'ip', 'net', 'port', 'as')) filter = this.sided(side);
    else return this.fail(t, `host, net, port, as, group or name after ${kw}`);
    return { op: 'role', role: kw, filter, pos: r.pos };
  }
}

function either(side: Side, leaf: (s: 'src' | 'dst') => Filter): Filter {
  return side ? leaf(side) : { op: 'or', filters: [leaf('src'), leaf('dst')] };
}
