/**
 * Completion for the filter editor: given the text and the cursor, what may come next. The parser itself
 * is the grammar: a candidate is offered only when the text before the cursor followed by the candidate
 * parses, or fails only at the end of the input (it was accepted and more is expected). So completion can
 * never offer what the parser refuses, and follows the grammar as it changes. Values (addresses, ports,
 * exporters) are the busiest ones of the last hour, read from the store and kept for a short while.
 */
import type { GroupField, Query, QueryResult } from '../query/ast.js';
import { FilterError, parseFilter } from '../query/filter/index.js';
import { lex, type Token } from '../query/filter/lexer.js';
import { PROTOCOLS } from '../query/filter/terms.js';

export type ItemKind = 'keyword' | 'operator' | 'value' | 'punctuation';

export interface CompletionItem {
  text: string;
  kind: ItemKind;
  detail?: string;
}

export interface Completion {
  /** The span [from, to) of the text the chosen item replaces (the word at the cursor). */
  replace: { from: number; to: number };
  items: CompletionItem[];
  /** The text before the cursor is already wrong here: nothing can follow until it is fixed. */
  error?: { position: number; length: number; message: string };
}

/** Words that start a term, with what each takes (the grammar's term keywords, README "Filter language"). */
const TERM_WORDS: Record<string, string> = {
  host: 'address (either side)',
  ip: 'address (either side)',
  net: 'prefix (either side)',
  port: 'port (either side)',
  src: 'source side: host, net, port, as, vlan',
  dst: 'destination side: host, net, port, as, vlan',
  as: 'AS number (either side)',
  vlan: 'VLAN id (either side)',
  if: 'interface index (either side)',
  in: 'in if N: input interface; in [..]: a list',
  out: 'out if N: output interface',
  proto: 'IP protocol',
  exporter: "exporter's address or prefix",
  sampled: 'sampling rate > 1',
  sampling: 'sampling rate',
  flags: 'TCP flags (C E U A P R S F)',
  tos: 'ToS byte',
  dscp: 'DSCP (0-63)',
  bytes: 'bytes per flow',
  packets: 'packets per flow',
  bps: 'bits per second',
  pps: 'packets per second',
  duration: 'flow duration (ms, s, m, h, d)',
  exists: 'exists ext.KEY',
  'ext.': 'extended_fields key',
  not: 'negation',
  and: 'both',
  or: 'either',
};

/** Dependency queries only (the parser takes them; flow queries refuse them). */
const DEPENDENCY_WORDS: Record<string, string> = {
  client: 'client side of a dependency',
  server: 'server side of a dependency',
  group: 'operator label: group',
  name: 'operator label: name',
};

const OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '~', 'like'];
const PUNCTUATION = ['(', ')', '[', ']'];
const FLAG_VALUES = ['S', 'A', 'SA', 'F', 'R', 'P', 'FA', 'RA'];

/** What the candidate is probed with when its own text is not a complete token (`ext.` needs a key). */
const PROBE: Record<string, string> = { 'ext.': 'ext.x' };

/** Recently seen values of a field: the source of value suggestions (null when none can be had). */
export type RecentValues = (field: GroupField) => Promise<string[]>;

function accepts(before: string, candidate: string): boolean {
  const text = before + (PROBE[candidate] ?? candidate);
  try {
    parseFilter(text);
    return true;
  } catch (err) {
    if (err instanceof FilterError) return err.position >= text.length;
    throw err;
  }
}

/** The word (or operator) the cursor is in: its start, and where it ends after the cursor. */
function wordAt(text: string, cursor: number): { from: number; to: number } {
  const word = /[A-Za-z0-9_.:/-]/;
  const op = /[<>=!~]/;
  const cls = cursor > 0 && op.test(text[cursor - 1]) ? op : word;
  let from = cursor;
  while (from > 0 && cls.test(text[from - 1])) from--;
  let to = cursor;
  while (to < text.length && cls.test(text[to])) to++;
  return { from, to };
}

/** The fields whose values fit after the keyword the cursor follows (`src host` -> src_ip). */
function valueFields(before: string): GroupField[] {
  let toks: Token[];
  try {
    toks = lex(before).filter((t) => t.kind !== 'end');
  } catch {
    return [];
  }
  // Inside `KW in [ ... `: the keyword before `in`.
  let i = toks.length - 1;
  let depth = 0;
  for (let j = toks.length - 1; j >= 0; j--) {
    if (toks[j].kind === ']') break;
    if (toks[j].kind === '[') {
      depth = 1;
      i = j - 2;
      break;
    }
  }
  if (depth === 0 && toks[i]?.kind === 'op') i--;
  const kw = toks[i]?.text.toLowerCase();
  const side = toks[i - 1]?.text.toLowerCase();
  const sided = (src: GroupField, dst: GroupField): GroupField[] =>
    side === 'src' || side === 'in' || side === 'client'
      ? [src]
      : side === 'dst' || side === 'out' || side === 'server'
        ? [dst]
        : [dst, src];
  switch (kw) {
    case 'host':
    case 'ip':
      return sided('src_ip', 'dst_ip');
    case 'port':
      return sided('src_port', 'dst_port');
    case 'as':
      return sided('src_as', 'dst_as');
    case 'if':
      return sided('input_interface', 'output_interface');
    case 'exporter':
      return ['exporter_ip'];
  }
  return [];
}

export interface CompleteOptions {
  text: string;
  cursor: number;
  /** Offer dependency-only terms (client, server, group, name). */
  dependency?: boolean;
  recent?: RecentValues;
  /** Items at most. */
  max?: number;
}

export async function complete(o: CompleteOptions): Promise<Completion> {
  const cursor = Math.max(0, Math.min(o.cursor, o.text.length));
  const replace = wordAt(o.text, cursor);
  const before = o.text.slice(0, replace.from);
  const partial = o.text.slice(replace.from, cursor).toLowerCase();
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  const offer = (text: string, kind: ItemKind, detail?: string) => {
    if (seen.has(text) || !text.toLowerCase().startsWith(partial) || !accepts(before, text)) return;
    seen.add(text);
    items.push({ text, kind, ...(detail ? { detail } : {}) });
  };
  const words = { ...TERM_WORDS, ...(o.dependency ? DEPENDENCY_WORDS : {}) };
  for (const [w, detail] of Object.entries(words)) offer(w, 'keyword', detail);
  for (const op of OPERATORS) offer(op, 'operator');
  for (const p of PUNCTUATION) offer(p, 'punctuation');
  for (const [name, n] of Object.entries(PROTOCOLS)) offer(name, 'value', `protocol ${n}`);
  for (const f of FLAG_VALUES) offer(f, 'value', 'TCP flags');
  if (o.recent) {
    for (const field of valueFields(before)) {
      for (const v of await o.recent(field)) offer(v, 'value', `seen recently (${field})`);
    }
  }
  const out: Completion = { replace, items: items.slice(0, o.max ?? 100) };
  if (items.length === 0) {
    // Say why nothing fits when the text before the cursor is already wrong.
    try {
      parseFilter(before);
    } catch (err) {
      if (err instanceof FilterError && err.position < before.trimEnd().length)
        out.error = { position: err.position, length: err.length, message: err.message };
    }
  }
  return out;
}

/**
 * Recent values from the store: the busiest values of a field over the last hour by flow count, cached per
 * field for `ttlMs` so typing does not ask the store on every key. A failing or slow store gives no
 * values, never an error: completion works without them.
 */
export function storeRecentValues(
  query: (q: Query) => Promise<QueryResult>,
  options: { ttlMs?: number; limit?: number; timeoutMs?: number; now?: () => number } = {},
): RecentValues {
  const ttl = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<GroupField, { at: number; values: Promise<string[]> }>();
  const load = async (field: GroupField): Promise<string[]> => {
    const t = now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), options.timeoutMs ?? 2000);
    });
    try {
      const res = await Promise.race([
        query({
          kind: 'top',
          by: [field],
          metric: 'flows',
          from: t - 3_600_000,
          to: t + 1,
          limit: options.limit ?? 10,
        }),
        timeout,
      ]);
      return res.rows
        .map((r) => r[field])
        .filter((v) => v !== null && v !== '' && v !== '::')
        .map(String);
    } catch {
      cache.delete(field);
      return [];
    } finally {
      clearTimeout(timer);
    }
  };
  return (field) => {
    const hit = cache.get(field);
    if (hit && now() - hit.at < ttl) return hit.values;
    const entry = { at: now(), values: load(field) };
    cache.set(field, entry);
    return entry.values;
  };
}
