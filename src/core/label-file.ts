/**
 * Label files the operator maintains (CSV with a header row, or YAML: a list, or `labels:` holding one)
 * and the API's label shape. Every entry is checked; the first bad one is reported by line (CSV) or
 * entry number (YAML) and field, and nothing is imported.
 * Here in core (re-exported by deps/label-file.ts) so the configuration checks its `deps.labels`
 * entries and `deps.labelsFile` with the same rules.
 */
import { parse as parseYaml } from 'yaml';
import { parseIp, toIpv6Bytes } from './ip.js';
import { cidrToRange, compareBytes } from './rules.js';

/**
 * A name, group and service for an address or CIDR, valid over [valid_from, valid_to) (null: unbounded).
 * '' name or group: this entry does not set it (a wider prefix may). `service` with `port`: the service
 * name of that server port only; without: of every port of the server.
 */
export interface HostLabel {
  cidr: string;
  name: string;
  group: string;
  service: string | null;
  port: number | null;
  valid_from: number | null;
  valid_to: number | null;
}

export interface Prefix {
  /** 16 bytes (IPv4 as IPv4-mapped IPv6). */
  bytes: Uint8Array;
  /** Prefix length over the 16 bytes (an IPv4 /24 is 120). */
  bits: number;
}

/** An address or CIDR (IPv4 or IPv6); null when it is neither or host bits are set beyond the prefix. */
export function parseCidr(text: string): Prefix | null {
  const t = text.trim();
  const range = cidrToRange(t);
  const raw = range && parseIp(t.split('/')[0]);
  if (!range || !raw) return null;
  const slash = t.indexOf('/');
  const len = slash < 0 ? raw.length * 8 : Number(t.slice(slash + 1));
  // 10.0.0.1/8 is a typo more often than a network: refuse it rather than guess.
  if (compareBytes(toIpv6Bytes(raw), range.lo) !== 0) return null;
  return { bytes: range.lo, bits: len + (raw.length === 4 ? 96 : 0) };
}

/** A label as the API and YAML files write it (times as ISO-8601 text). */
export interface LabelEntry {
  cidr: string;
  name?: string;
  group?: string;
  service?: string | null;
  port?: number | string | null;
  validFrom?: string | null;
  validTo?: string | null;
}

const FIELDS = ['cidr', 'name', 'group', 'service', 'port', 'valid_from', 'valid_to'] as const;

function time(v: unknown, where: string): number | null {
  if (v === null || v === undefined || v === '') return null;
  const ms = v instanceof Date ? v.getTime() : Date.parse(String(v));
  if (!Number.isFinite(ms)) throw new Error(`${where}: expected an ISO-8601 time, got ${JSON.stringify(v)}`);
  return ms;
}

/** One entry checked and normalized; `where` names it in the error ("line 4", "entry 2"). */
export function toHostLabel(e: Record<string, unknown>, where: string): HostLabel {
  const str = (k: string): string => (e[k] === null || e[k] === undefined ? '' : String(e[k]).trim());
  const cidr = str('cidr');
  if (!parseCidr(cidr))
    throw new Error(
      `${where}: cidr: expected an address or prefix (host bits clear), got ${JSON.stringify(cidr)}`,
    );
  const portText = str('port');
  const port = portText === '' ? null : Number(portText);
  if (port !== null && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new Error(`${where}: port: expected 0-65535, got ${JSON.stringify(portText)}`);
  const service = str('service') === '' ? null : str('service');
  if (port !== null && service === null) throw new Error(`${where}: port: given without a service name`);
  const label: HostLabel = {
    cidr,
    name: str('name'),
    group: str('group'),
    service,
    port,
    valid_from: time(e.valid_from ?? e.validFrom, `${where}: valid_from`),
    valid_to: time(e.valid_to ?? e.validTo, `${where}: valid_to`),
  };
  if (label.name === '' && label.group === '' && label.service === null)
    throw new Error(`${where}: gives none of name, group, service`);
  if (label.valid_from !== null && label.valid_to !== null && label.valid_to <= label.valid_from)
    throw new Error(`${where}: valid_to: must be after valid_from`);
  return label;
}

/** The API's shape of a stored label. */
export function toLabelEntry(l: HostLabel): Required<Omit<LabelEntry, 'port'>> & { port: number | null } {
  const iso = (v: number | null) => (v === null ? null : new Date(v).toISOString());
  return {
    cidr: l.cidr,
    name: l.name,
    group: l.group,
    service: l.service,
    port: l.port,
    validFrom: iso(l.valid_from),
    validTo: iso(l.valid_to),
  };
}

/** RFC 4180 fields of one line (quotes, doubled quotes); a line break inside quotes is not supported. */
function csvFields(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let v = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`${where}: unterminated quote`);
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') break;
        else v += line[i++];
      }
      i++;
      if (i < line.length && line[i] !== ',') throw new Error(`${where}: text after a closing quote`);
    } else {
      const end = line.indexOf(',', i);
      v = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    out.push(v);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

export function parseLabelCsv(text: string): HostLabel[] {
  const lines = text.split(/\r?\n/);
  const headAt = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  if (headAt < 0) return [];
  const head = csvFields(lines[headAt], `line ${headAt + 1}`).map((h) => h.trim().toLowerCase());
  for (const h of head)
    if (!(FIELDS as readonly string[]).includes(h))
      throw new Error(
        `line ${headAt + 1}: unknown column ${JSON.stringify(h)} (expected ${FIELDS.join(', ')})`,
      );
  if (!head.includes('cidr')) throw new Error(`line ${headAt + 1}: the header has no cidr column`);
  const out: HostLabel[] = [];
  for (let i = headAt + 1; i < lines.length; i++) {
    if (lines[i].trim() === '' || lines[i].startsWith('#')) continue;
    const where = `line ${i + 1}`;
    const f = csvFields(lines[i], where);
    if (f.length !== head.length)
      throw new Error(`${where}: expected ${head.length} fields, got ${f.length}`);
    out.push(toHostLabel(Object.fromEntries(head.map((h, j) => [h, f[j]])), where));
  }
  return out;
}

export function parseLabelYaml(text: string): HostLabel[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  const list = Array.isArray(doc) ? doc : (doc as { labels?: unknown }).labels;
  if (!Array.isArray(list)) throw new Error('YAML: expected a list of labels, or `labels:` holding one');
  return list.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new Error(`entry ${i + 1}: expected a mapping with cidr, name, group, ...`);
    return toHostLabel(e as Record<string, unknown>, `entry ${i + 1}`);
  });
}

/** By the file name: .csv is CSV, .yaml/.yml is YAML. */
export function parseLabelFile(name: string, text: string): HostLabel[] {
  if (/\.csv$/i.test(name)) return parseLabelCsv(text);
  if (/\.ya?ml$/i.test(name)) return parseLabelYaml(text);
  throw new Error(`${name}: expected a .csv, .yaml or .yml file`);
}

/** Where a label comes from: the configuration (deps.labels, deps.labelsFile) or the store (import, PUT). */
export interface SourcedLabel extends HostLabel {
  source: 'config' | 'store';
}

/**
 * Every label in resolution order, the one way labels are read (the map, the diff, tenant groups, the
 * API): the configuration's first, the store's after them. Among entries of one prefix length the later
 * wins (deps/labels.ts), so a stored label overrides a configured one for the same prefix length.
 */
export async function readLabels(
  store: { getLabels(): Promise<HostLabel[]> },
  config: readonly HostLabel[] = [],
): Promise<SourcedLabel[]> {
  const stored = await store.getLabels();
  return [
    ...config.map((l) => ({ ...l, source: 'config' as const })),
    ...stored.map((l) => ({ ...l, source: 'store' as const })),
  ];
}
