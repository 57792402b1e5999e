/**
 * `flowlens labels import/list` and `flowlens deps --view/--filter`, `deps diff`, `deps history` on a real
 * embedded store, parsed by commander as the binary parses them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../app/store.js';
import { DAY_MS, dayStart } from '../../core/rules.js';
import { seedBytes, seedMap } from '../../deps/testing/seed.js';
import type { DependencyEdge } from '../../storage/port.js';
import { captureIO } from '../testing/io.js';
import { registerDeps } from './deps.js';
import { registerLabels } from './labels.js';

const DAYS = 6;
const DAY0 = dayStart(Date.now()) - DAYS * DAY_MS;
const iso = (ms: number) => new Date(ms).toISOString();
let data: string;
let edges: DependencyEdge[];

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'flowlens-deps-cli-'));
  const store = await openStore({ data });
  await store.migrate();
  edges = await seedMap(store, { edges: 300, days: DAYS, day0: DAY0 });
  await store.close();
}, 120_000);
afterAll(() => rmSync(data, { recursive: true, force: true }));

async function flowlens(...args: string[]) {
  const io = captureIO();
  const program = new Command().exitOverride();
  registerDeps(program, io);
  registerLabels(program, io);
  await program.parseAsync(['node', 'flowlens', ...args, '--data', data]);
  return io;
}

describe('flowlens labels', () => {
  it('imports a YAML file and lists it; a bad CSV is refused by line, keeping the labels', async () => {
    const yaml = join(data, 'labels.yaml');
    writeFileSync(
      yaml,
      `labels:\n  - {cidr: 10.0.0.0/24, group: front}\n  - {cidr: 10.1.0.0/24, group: back, valid_from: "${iso(DAY0)}"}\n  - {cidr: 10.1.0.5, name: db5}\n`,
    );
    const imp = await flowlens('labels', 'import', yaml);
    expect([imp.code(), imp.err()]).toEqual([
      0,
      "3 label(s) imported (every earlier stored label replaced; the configuration's stay)\n",
    ]);
    const list = await flowlens('labels', 'list');
    expect(list.out()).toMatch(/cidr\s+name\s+group/);
    expect(list.out()).toContain('10.1.0.5');
    const csv = join(data, 'bad.csv');
    writeFileSync(csv, 'cidr,group\n10.0.0.0/8,corp\n10.0.0.0/33,oops\n');
    const bad = await flowlens('labels', 'import', csv);
    expect(bad.code()).toBe(2);
    expect(bad.err()).toMatch(/bad\.csv: line 3: cidr: expected an address or prefix/);
    const json = await flowlens('labels', 'list', '--json');
    expect(JSON.parse(json.out())).toHaveLength(3);
  });
});

describe('flowlens deps with labels', () => {
  const range = ['--from', iso(DAY0), '--to', iso(DAY0 + DAYS * DAY_MS)];

  it('--view group sums the host view; --filter narrows; a bad filter shows a caret (exit 2)', async () => {
    const host = JSON.parse((await flowlens('deps', ...range, '--format', 'json')).out());
    const group = JSON.parse((await flowlens('deps', ...range, '--view', 'group', '--format', 'json')).out());
    const sum = (rows: { bytes_total: number }[]) => rows.reduce((a, r) => a + r.bytes_total, 0);
    expect(host.length).toBe(edges.length);
    expect(sum(group)).toBe(sum(host));
    expect(group.some((r: { client_ip: string }) => r.client_ip === 'front')).toBe(true);
    const f = JSON.parse(
      (await flowlens('deps', ...range, '--filter', 'server name db5', '--format', 'json')).out(),
    );
    expect(f.length).toBeGreaterThan(0);
    for (const r of f) expect(r.server_ip).toBe('10.1.0.5');
    const dot = (await flowlens('deps', ...range, '--filter', 'server name db5', '--format', 'dot')).out();
    expect(dot).toContain('"10.1.0.5" [label="db5\n10.1.0.5"];');
    const bad = await flowlens('deps', ...range, '--filter', 'client port 80');
    expect(bad.code()).toBe(2);
    expect(bad.err()).toBe(
      'flowlens deps: --filter:\nclient port 80\n^^^^^^\nat 0: edges keep no client port: port applies to the server\n',
    );
  });

  it('deps diff --period/--against gives what the four times give; bad input names the flag', async () => {
    const half = DAY0 + (DAYS / 2) * DAY_MS;
    const end = DAY0 + DAYS * DAY_MS;
    const json = async (...args: string[]) => {
      const r = await flowlens('deps', 'diff', ...args, '--format', 'json');
      expect(r.err()).toBe('');
      return JSON.parse(r.out());
    };
    const four = await json(
      '--from',
      iso(half),
      '--to',
      iso(end),
      '--base-from',
      iso(DAY0),
      '--base-to',
      iso(half),
    );
    expect(
      await json('--period', `${iso(half)}..${iso(end)}`, '--against', `${iso(DAY0)}..${iso(half)}`),
    ).toEqual(four);
    // A duration base: the same length, ending where the period starts.
    expect(await json('--period', `${iso(half)}..${iso(end)}`, '--against', `${(DAYS / 2) * 24}h`)).toEqual(
      four,
    );
    // Durations end now: --period 3d --against 3d against the explicit relative times.
    expect(await json('--period', '3d', '--against', '3d')).toEqual(
      await json('--from', '-3d', '--to', 'now', '--base-from', '-6d', '--base-to', '-3d'),
    );
    const fails = async (...args: string[]) => {
      const r = await flowlens('deps', 'diff', ...args);
      expect(r.code()).toBe(2);
      return r.err();
    };
    expect(await fails('--period', 'week', '--against', '7d')).toMatch(
      /^flowlens deps diff: --period: expected FROM\.\.TO \(.*\) or a duration such as 7d, got "week"\n$/,
    );
    expect(await fails('--period', '7d', '--against', '-1d..yesterday')).toMatch(
      /^flowlens deps diff: --against: expected FROM\.\.TO .*; "yesterday" is not a time\n$/,
    );
    expect(await fails('--period', '7d')).toBe(
      'flowlens deps diff: --against: required with --period (e.g. "7d": the 7 days before)\n',
    );
    expect(await fails('--period', '7d', '--against', '7d', '--from', '-1d')).toBe(
      'flowlens deps diff: --from: give --period and --against, or --from, --to, --base-from and --base-to, not both\n',
    );
    expect(await fails('--to', 'now')).toBe(
      'flowlens deps diff: --from: required with --from, --to, --base-from and --base-to (or give --period and --against instead)\n',
    );
  });

  it('deps diff --history gives each edge its days (json, csv, table); --p95-factor is checked', async () => {
    const period = ['--period', `${iso(DAY0 + 3 * DAY_MS)}..${iso(DAY0 + DAYS * DAY_MS)}`, '--against', '3d'];
    const json = await flowlens('deps', 'diff', ...period, '--history', '--format', 'json');
    expect(json.err()).toBe('');
    const rows = JSON.parse(json.out());
    expect(rows).toHaveLength(edges.length);
    // Rows name their edge by its sides (the seed's edge i has one client, server, port).
    const key = (r: { client_ip: string; server_ip: string; server_port: number }) =>
      `${r.client_ip}>${r.server_ip}:${r.server_port}`;
    const index = new Map(edges.map((e, i) => [key(e), i]));
    const days = [...Array(DAYS).keys()];
    for (const r of rows)
      expect(r.history).toEqual(
        days.map((d) => ({
          day: iso(DAY0 + d * DAY_MS).slice(0, 10),
          bytes: seedBytes(index.get(key(r)) as number, d, DAYS),
        })),
      );
    const csv = (await flowlens('deps', 'diff', ...period, '--history', '--format', 'csv')).out().split('\n');
    expect(csv[0].endsWith(',history')).toBe(true);
    const first = rows[0];
    expect(
      csv[1].endsWith(
        `,"${first.history.map((d: { day: string; bytes: number }) => `${d.day}:${d.bytes}`).join(';')}"`,
      ),
    ).toBe(true);
    const table = (await flowlens('deps', 'diff', ...period, '--history')).out();
    expect(table).toContain(first.history.map((d: { bytes: number }) => d.bytes).join(' '));
    expect(table).toContain(
      `history: bytes per day, ${first.history[0].day} to ${first.history[DAYS - 1].day}`,
    );
    const bad = await flowlens('deps', 'diff', ...period, '--p95-factor', 'lots');
    expect([bad.code(), bad.err()]).toEqual([
      2,
      'flowlens deps diff: --p95-factor: expected a number >= 0 (0.5 = p95 moved by 50%), got lots\n',
    ]);
  });

  it('deps diff takes its own --from/--to; deps history prints the days', async () => {
    const half = DAY0 + (DAYS / 2) * DAY_MS;
    const diff = await flowlens(
      'deps',
      'diff',
      '--from',
      iso(half),
      '--to',
      iso(DAY0 + DAYS * DAY_MS),
      '--base-from',
      iso(DAY0),
      '--base-to',
      iso(half),
      '--format',
      'json',
    );
    expect(diff.err()).toBe('');
    const rows = JSON.parse(diff.out());
    expect(rows.filter((r: { change: string }) => r.change === 'new')).toHaveLength(30);
    const table = await flowlens(
      'deps',
      'diff',
      '--from',
      iso(half),
      '--base-from',
      iso(DAY0),
      '--base-to',
      iso(half),
    );
    expect(table.out()).toMatch(/change\s+client_ip\s+server_ip/);
    const e = edges[5];
    const h = await flowlens(
      'deps',
      'history',
      '--client',
      e.client_ip,
      '--server',
      e.server_ip,
      '--port',
      String(e.server_port),
      '--protocol',
      String(e.ip_protocol),
      '--from',
      iso(DAY0),
      '--to',
      iso(DAY0 + DAYS * DAY_MS),
      '--json',
    );
    expect(JSON.parse(h.out()).days.map((d: { bytes: number }) => d.bytes)).toEqual(
      [...Array(DAYS).keys()].map((k) => seedBytes(5, k, DAYS)),
    );
    const missing = await flowlens(
      'deps',
      'history',
      '--client',
      e.client_ip,
      '--server',
      e.server_ip,
      '--port',
      'x',
    );
    expect([missing.code(), missing.err()]).toEqual([
      2,
      'flowlens deps history: --port: expected 0-65535, got x\n',
    ]);
  });
});
