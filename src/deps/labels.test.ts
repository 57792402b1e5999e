/**
 * Label resolution against a plain reference (IPv4 as 32-bit numbers, a linear scan: the most specific
 * prefix valid at the time wins per attribute, later entries on ties), label files, the role filter.
 */
import { describe, expect, it } from 'vitest';
import { parseCidr, parseLabelCsv, parseLabelFile, parseLabelYaml } from '../core/label-file.js';
import { FilterError } from '../query/filter/errors.js';
import type { HostLabel } from '../storage/port.js';
import { type EdgeSides, parseEdgeFilter } from './filter.js';
import { LabelResolver } from './labels.js';

const u32 = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

function refResolve(labels: readonly HostLabel[], ip: string, at: number) {
  const pick = (attr: 'name' | 'group') => {
    let best: { bits: number; idx: number; v: string } | null = null;
    labels.forEach((l, idx) => {
      const [net, len] = l.cidr.split('/');
      const bits = len === undefined ? 32 : Number(len);
      const size = 2 ** (32 - bits);
      const inside = Math.floor(u32(ip) / size) === Math.floor(u32(net) / size);
      const valid = (l.valid_from === null || at >= l.valid_from) && (l.valid_to === null || at < l.valid_to);
      if (!inside || !valid || l[attr] === '') return;
      if (!best || bits > best.bits || (bits === best.bits && idx > best.idx))
        best = { bits, idx, v: l[attr] };
    });
    return (best as { v: string } | null)?.v ?? null;
  };
  return { name: pick('name'), group: pick('group') };
}

// A tiny deterministic generator (the test must fail the same way every run).
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('label resolution', () => {
  it('agrees with the reference on random labels, addresses and times (most specific, validity, ties)', () => {
    const r = rng(7);
    const int = (n: number) => Math.floor(r() * n);
    for (let round = 0; round < 30; round++) {
      const labels: HostLabel[] = [];
      for (let k = 0; k < 40; k++) {
        const bits = [8, 16, 20, 24, 28, 32][int(6)];
        const addr = (10 * 2 ** 24 + int(4) * 2 ** 16 + int(4) * 256 + int(16)) >>> 0;
        const net = Math.floor(addr / 2 ** (32 - bits)) * 2 ** (32 - bits);
        const ip = [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.');
        const from = r() < 0.5 ? null : int(100);
        labels.push({
          cidr: bits === 32 ? ip : `${ip}/${bits}`,
          name: r() < 0.5 ? `n${k}` : '',
          group: r() < 0.7 ? `g${int(5)}` : '',
          service: null,
          port: null,
          valid_from: from,
          valid_to: r() < 0.5 ? null : (from ?? 0) + 1 + int(100),
        });
      }
      const res = new LabelResolver(labels);
      for (let q = 0; q < 200; q++) {
        const ip = `10.${int(4)}.${int(4)}.${int(16)}`;
        const at = int(200);
        expect(res.resolve(ip, at), `${ip} at ${at}`).toEqual(refResolve(labels, ip, at));
      }
    }
  });

  it('names a service per server:port before the whole host, and IPv6 prefixes resolve', () => {
    const base = { name: '', group: '', valid_from: null, valid_to: null };
    const res = new LabelResolver([
      { ...base, cidr: '10.0.0.0/24', service: 'internal-api', port: null },
      { ...base, cidr: '10.0.0.5', service: 'orders-db', port: 5432 },
      { ...base, cidr: '2001:db8::/32', name: '', group: 'v6-lab', service: null, port: null },
    ]);
    expect(res.service('10.0.0.5', 5432, 0)).toBe('orders-db');
    expect(res.service('10.0.0.5', 8080, 0)).toBe('internal-api');
    expect(res.service('10.0.1.5', 8080, 0)).toBeNull();
    expect(res.resolve('2001:db8:1::7', 0).group).toBe('v6-lab');
    expect(res.resolve('2001:db9::7', 0).group).toBeNull();
  });

  it('refuses prefixes with host bits set and non-addresses', () => {
    expect(parseCidr('10.0.0.1/8')).toBeNull();
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('db-1')).toBeNull();
    expect(parseCidr('10.0.0.0/8')).not.toBeNull();
  });
});

describe('label files', () => {
  it('reads CSV and YAML alike, validity as ISO times', () => {
    const csv = parseLabelCsv(
      '# operator file\ncidr,name,group,service,port,valid_from,valid_to\n10.1.0.0/16,,payments,,,,\n10.1.0.5,"db, primary",db-servers,postgres,5432,2026-01-01T00:00:00Z,\n',
    );
    const yaml = parseLabelYaml(
      'labels:\n  - {cidr: 10.1.0.0/16, group: payments}\n  - cidr: 10.1.0.5\n    name: db, primary\n    group: db-servers\n    service: postgres\n    port: 5432\n    valid_from: "2026-01-01T00:00:00Z"\n',
    );
    expect(csv).toEqual(yaml);
    expect(csv[1]).toMatchObject({ name: 'db, primary', port: 5432, valid_from: Date.UTC(2026, 0, 1) });
  });

  it('names the bad line or entry and field', () => {
    expect(() => parseLabelCsv('cidr,name\n10.0.0.0/8,a\n10.0.0.1/8,b\n')).toThrow(/^line 3: cidr: /);
    expect(() => parseLabelCsv('cidr,nom\n')).toThrow(/line 1: unknown column "nom"/);
    expect(() => parseLabelCsv('cidr,name,valid_from\n10.0.0.1,a,yesterday\n')).toThrow(/line 2: valid_from/);
    expect(() => parseLabelYaml('- {cidr: 10.0.0.1}\n')).toThrow(
      /entry 1: gives none of name, group, service/,
    );
    expect(() =>
      parseLabelYaml('- {cidr: 10.0.0.1, name: a, valid_from: 2026-02-01, valid_to: 2026-01-01}'),
    ).toThrow(/entry 1: valid_to: must be after valid_from/);
    expect(() => parseLabelFile('labels.txt', '')).toThrow(/expected a \.csv, \.yaml or \.yml file/);
  });
});

describe('the role filter', () => {
  const e: EdgeSides = {
    client_ip: '10.0.0.7',
    server_ip: '10.1.0.5',
    server_port: 5432,
    ip_protocol: 6,
    client_name: 'web-7',
    client_group: 'web',
    server_name: 'db5',
    server_group: 'db-servers',
  };
  const t = (f: string) => parseEdgeFilter(f)(e);

  it('matches by role, either side without one, with and/or/not', () => {
    expect(t('client group web and server port 5432')).toBe(true);
    expect(t('port 5432 and proto tcp')).toBe(true);
    expect(t('server net 10.1.0.9/16')).toBe(true);
    expect(t('server group web')).toBe(false);
    expect(t('group web')).toBe(true);
    expect(t('net 10.1.0.0/16')).toBe(true);
    expect(t('client net 10.1.0.0/16')).toBe(false);
    expect(t('not (name db5 or host 10.9.9.9)')).toBe(false);
    expect(t('server name "db5" and port 5432')).toBe(true);
    expect(t('')).toBe(true);
  });

  it('gives the position of what is wrong', () => {
    const pos = (f: string) => {
      try {
        parseEdgeFilter(f);
      } catch (err) {
        if (err instanceof FilterError) return [err.position, err.detail];
      }
      return null;
    };
    expect(pos('client port 80')).toEqual([0, 'edges keep no client port: port applies to the server']);
    expect(pos('host 10.0.0.1 and bytes > 10')).toEqual([
      0,
      expect.stringMatching(/^bytes: not a property of a dependency edge/),
    ]);
    expect(pos('group web or')).toEqual([12, expect.stringMatching(/got end of input$/)]);
    expect(pos('(port 80')).toEqual([8, 'expected ")", got end of input']);
  });
});
