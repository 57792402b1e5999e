/**
 * Tokens of the filter language. A word is any run of the characters addresses, prefixes, numbers with
 * suffixes, ranges and dotted ext paths are written with (10.1.0.0/16, 2001:db8::/32, 10M, 1024-65535,
 * ext.vendor.cisco.firewall_event); the parser decides what a word means where it stands, so one lexer
 * serves every term without guessing.
 */
import { FilterError } from './errors.js';

export type TokenKind = 'word' | 'string' | 'op' | '(' | ')' | '[' | ']' | ',' | 'end';

export interface Token {
  kind: TokenKind;
  /** The text as typed (a string's unescaped content is in `value`). */
  text: string;
  value: string;
  pos: number;
  end: number;
}

const WORD = /[A-Za-z0-9_.:/-]/;
const OPS = ['<=', '>=', '!=', '==', '<', '>', '=', '~', '!'];
const PUNCT = new Set(['(', ')', '[', ']', ',']);

export function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, pos: number, end: number, value = input.slice(pos, end)) =>
    out.push({ kind, text: input.slice(pos, end), value, pos, end });
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (PUNCT.has(c)) {
      push(c as TokenKind, i, i + 1);
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      i = lexString(input, i, push);
      continue;
    }
    const op = OPS.find((o) => input.startsWith(o, i));
    if (op) {
      push('op', i, i + op.length);
      i += op.length;
      continue;
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < input.length && WORD.test(input[i])) i++;
      push('word', start, i);
      continue;
    }
    throw new FilterError(i, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'end', text: '', value: '', pos: input.length, end: input.length });
  return out;
}

/** A quoted string ("..." or '...'); a backslash escapes the next character. Returns the offset after it. */
function lexString(
  input: string,
  start: number,
  push: (kind: TokenKind, pos: number, end: number, value: string) => void,
): number {
  const quote = input[start];
  let value = '';
  let i = start + 1;
  while (i < input.length && input[i] !== quote) {
    if (input[i] === '\\' && i + 1 < input.length) i++;
    value += input[i];
    i++;
  }
  if (i >= input.length) throw new FilterError(start, 'unterminated string', input.length - start);
  push('string', start, i + 1, value);
  return i + 1;
}
