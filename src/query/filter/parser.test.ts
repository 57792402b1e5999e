import { describe, expect, it } from 'vitest';
import type { Filter } from '../ast.js';
import { filterSchema } from '../validate.js';
import { assertFlowFilter, FilterError, formatFilterError, parseFilter } from './index.js';

const either = (a: Filter, b: Filter): Filter => ({ op: 'or', filters: [a, b] });
const eq = (field: string, value: string | number) => ({ op: 'eq', field, value }) as Filter;

/** Expected ASTs written from issue 10's grammar (not from parser output). */
const TABLE: [string, Filter][] = [
  ['host 10.0.0.1', either(eq('src_ip', '10.0.0.1'), eq('dst_ip', '10.0.0.1'))],
  ['src host 10.0.0.1', eq('src_ip', '10.0.0.1')],
  ['dst host 2001:db8::1', eq('dst_ip', '2001:db8::1')],
  ['SRC IP 10.0.0.1', eq('src_ip', '10.0.0.1')],
  [
    'net 10.1.0.0/16',
    either(
      { op: 'in_cidr', field: 'src_ip', cidr: '10.1.0.0/16' },
      { op: 'in_cidr', field: 'dst_ip', cidr: '10.1.0.0/16' },
    ),
  ],
  ['src net 2001:db8::/32', { op: 'in_cidr', field: 'src_ip', cidr: '2001:db8::/32' }],
  ['dst net 10.2.0.0/16', { op: 'in_cidr', field: 'dst_ip', cidr: '10.2.0.0/16' }],
  ['port 443', either(eq('src_port', 443), eq('dst_port', 443))],
  ['dst port 443', eq('dst_port', 443)],
  ['dst port in [80 443 8080]', { op: 'in', field: 'dst_port', values: [80, 443, 8080] }],
  ['src port in [80, 443]', { op: 'in', field: 'src_port', values: [80, 443] }],
  [
    'port in [80 443 8080]',
    either(
      { op: 'in', field: 'src_port', values: [80, 443, 8080] },
      { op: 'in', field: 'dst_port', values: [80, 443, 8080] },
    ),
  ],
  ['src port 1024-65535', { op: 'range', field: 'src_port', min: 1024, max: 65535 }],
  ['dst port > 1023', { op: 'cmp', field: 'dst_port', cmp: '>', value: 1023 }],
  ['dst port<=22', { op: 'cmp', field: 'dst_port', cmp: '<=', value: 22 }],
  ['dst port != 53', { op: 'cmp', field: 'dst_port', cmp: '!=', value: 53 }],
  ['dst port = 53', eq('dst_port', 53)],
  ['proto tcp', eq('ip_protocol', 6)],
  ['proto UDP', eq('ip_protocol', 17)],
  ['proto icmp', eq('ip_protocol', 1)],
  ['proto icmp6', eq('ip_protocol', 58)],
  ['proto 47', eq('ip_protocol', 47)],
  ['as 65001', either(eq('src_as', 65001), eq('dst_as', 65001))],
  ['src as 65001', eq('src_as', 65001)],
  ['dst as 64512-65534', { op: 'range', field: 'dst_as', min: 64512, max: 65534 }],
  ['if 3', either(eq('input_interface', 3), eq('output_interface', 3))],
  ['in if 3', eq('input_interface', 3)],
  ['out if 5', eq('output_interface', 5)],
  ['vlan 100', either(eq('src_vlan', 100), eq('dst_vlan', 100))],
  ['exporter 192.0.2.1', eq('exporter_ip', '192.0.2.1')],
  ['exporter 192.0.2.0/24', { op: 'in_cidr', field: 'exporter_ip', cidr: '192.0.2.0/24' }],
  ['sampled', { op: 'cmp', field: 'sampling_rate', cmp: '>', value: 1 }],
  ['sampling > 1', { op: 'cmp', field: 'sampling_rate', cmp: '>', value: 1 }],
  ['sampling 1000', eq('sampling_rate', 1000)],
  [
    'flags S and not flags A',
    {
      op: 'and',
      filters: [
        { op: 'flags', mask: 2 },
        { op: 'not', filter: { op: 'flags', mask: 16 } },
      ],
    },
  ],
  ['flags SA', { op: 'flags', mask: 0x12 }],
  ['flags CEUAPRSF', { op: 'flags', mask: 0xff }],
  ['tos 0x10', eq('tos', 16)],
  ['dscp 46', { op: 'range', field: 'tos', min: 184, max: 187 }],
  ['bytes > 10M', { op: 'cmp', field: 'bytes', cmp: '>', value: 10_000_000 }],
  ['bytes >= 1.5k', { op: 'cmp', field: 'bytes', cmp: '>=', value: 1500 }],
  ['packets < 3', { op: 'cmp', field: 'packets', cmp: '<', value: 3 }],
  ['duration > 30s', { op: 'cmp', field: 'duration', cmp: '>', value: 30_000 }],
  ['duration < 500', { op: 'cmp', field: 'duration', cmp: '<', value: 500 }],
  ['duration >= 2m', { op: 'cmp', field: 'duration', cmp: '>=', value: 120_000 }],
  ['bps > 1G', { op: 'cmp', field: 'bps', cmp: '>', value: 1e9 }],
  ['pps != 100K', { op: 'cmp', field: 'pps', cmp: '!=', value: 100_000 }],
  ['ext.application_name = "HTTPS"', { op: 'ext', path: ['application_name'], test: 'eq', value: 'HTTPS' }],
  [
    'ext.vendor.cisco.firewall_event = 2',
    { op: 'ext', path: ['vendor', 'cisco', 'firewall_event'], test: 'eq', value: 2 },
  ],
  [
    "ext.application_name != 'DNS'",
    { op: 'not', filter: { op: 'ext', path: ['application_name'], test: 'eq', value: 'DNS' } },
  ],
  ['exists ext.http_host', { op: 'ext', path: ['http_host'], test: 'exists' }],
  ['ext.http_host ~ "^api\\\\."', { op: 'ext', path: ['http_host'], test: 'regex', value: '^api\\.' }],
  ['ext.http_host like "shop%"', { op: 'ext', path: ['http_host'], test: 'like', value: 'shop%' }],
  [
    'server port 5432 and client group payments',
    {
      op: 'and',
      filters: [
        { op: 'role', role: 'server', pos: 0, filter: eq('dst_port', 5432) },
        {
          op: 'role',
          role: 'client',
          pos: 21,
          filter: { op: 'label', label: 'group', value: 'payments', pos: 28 },
        },
      ],
    },
  ],
  ['name "db primary"', { op: 'label', label: 'name', value: 'db primary', pos: 0 }],
  [
    'src net 10.1.0.0/16 and dst port 443 and not flags A',
    {
      op: 'and',
      filters: [
        { op: 'in_cidr', field: 'src_ip', cidr: '10.1.0.0/16' },
        eq('dst_port', 443),
        { op: 'not', filter: { op: 'flags', mask: 16 } },
      ],
    },
  ],
  [
    'proto udp and (dst port 53 or dst port 5353) OR NOT src host 10.0.0.1',
    {
      op: 'or',
      filters: [
        {
          op: 'and',
          filters: [eq('ip_protocol', 17), { op: 'or', filters: [eq('dst_port', 53), eq('dst_port', 5353)] }],
        },
        { op: 'not', filter: eq('src_ip', '10.0.0.1') },
      ],
    },
  ],
  ['! (proto tcp)', { op: 'not', filter: eq('ip_protocol', 6) }],
  ['not not proto tcp', { op: 'not', filter: { op: 'not', filter: eq('ip_protocol', 6) } }],
];

describe('parseFilter: expressions and their ASTs', () => {
  it.each(TABLE)('%s', (text, want) => {
    const got = parseFilter(text);
    expect(got).toEqual(want);
    // Whatever the parser builds is a valid query AST.
    expect(filterSchema.safeParse(got).success).toBe(true);
  });
});

/** [input, position, message after "at N: "] */
const ERRORS: [string, number, string][] = [
  ['src net 10.0.0.0/8 port https', 19, 'expected "and", "or" or the end, got "port"'],
  ['src net 10.0.0.0/8 and port https', 28, 'expected a port number, got "https"'],
  ['port 70000', 5, 'expected a port number, got "70000"'],
  ['port', 4, 'expected a port number, got end of input'],
  ['host 10.0.0.0/8', 5, 'expected an IP address, got "10.0.0.0/8"'],
  ['net 10.0.0.1', 4, 'expected a network prefix (10.1.0.0/16, 2001:db8::/32), got "10.0.0.1"'],
  ['proto tcpx', 6, 'expected a protocol (tcp, udp, icmp, icmp6 or a number 0-255), got "tcpx"'],
  ['flags SX', 6, 'expected TCP flag letters (C E U A P R S F), got "SX"'],
  ['bytes > 10T', 8, 'expected a byte count (K, M, G suffixes), got "10T"'],
  ['(proto tcp', 10, 'expected ")", got end of input'],
  ['proto tcp)', 9, '")" without "(" before it'],
  ['src bytes > 1', 4, 'expected host, net, port, as or vlan after src, got "bytes"'],
  ['in 3', 3, 'expected "if" after in, got "3"'],
  ['port 2000-1000', 5, 'expected a range of port numbers (low-high), got "2000-1000"'],
  ['port in []', 9, 'expected a value in the list, got "]"'],
  ['ext.a = bare', 8, 'expected a quoted string or a number, got "bare"'],
  ['ext.a ~ 5', 8, 'expected a quoted regular expression, got "5"'],
  ['ext.a.b$ = 1', 7, 'unexpected character "$"'],
  ['exists host', 7, 'expected ext.<key> after exists, got "host"'],
  ['ext.a = "open', 8, 'unterminated string'],
  ['client proto tcp', 7, 'expected host, net, port, as, group or name after client, got "proto"'],
  ['dscp 64', 5, 'expected a DSCP value (0-63), got "64"'],
  ['host 10.0.0.1 and', 17, 'expected a filter term (host, net, port, proto, ...), got end of input'],
  ['', 0, 'expected a filter term (host, net, port, proto, ...), got end of input'],
];

describe('parseFilter: errors name the position and what was expected', () => {
  it.each(ERRORS)('%s', (text, position, detail) => {
    let err: unknown;
    try {
      parseFilter(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect((err as FilterError).position).toBe(position);
    expect((err as FilterError).message).toBe(`at ${position}: ${detail}`);
  });

  it('renders the input with a caret under the offending text', () => {
    const text = 'src net 10.0.0.0/8 and port https';
    let err: FilterError | undefined;
    try {
      parseFilter(text);
    } catch (e) {
      err = e as FilterError;
    }
    expect(formatFilterError(text, err as FilterError)).toBe(
      `${text}\n${' '.repeat(28)}^^^^^\nat 28: expected a port number, got "https"\n`,
    );
    const end = 'port';
    expect(formatFilterError(end, new FilterError(4, 'x'))).toBe('port\n    ^\nat 4: x\n');
  });

  it('refuses nesting deeper than the stack should go, with a position', () => {
    const deep = `${'('.repeat(5000)}proto tcp${')'.repeat(5000)}`;
    expect(() => parseFilter(deep)).toThrow(FilterError);
    expect(() => parseFilter(`${'not '.repeat(5000)}proto tcp`)).toThrow(FilterError);
    const many = Array.from({ length: 70 }, () => 'proto tcp').join(' or ');
    expect(() => parseFilter(many)).toThrow(/more than 64 terms/);
  });

  it('flow queries refuse client/server and group/name at their position', () => {
    const f = parseFilter('dst port 443 and server port 5432');
    expect(() => assertFlowFilter(f)).toThrow('at 17: client/server applies to dependency queries only');
    expect(() => assertFlowFilter(parseFilter('not (group web)'))).toThrow(
      'at 5: group/name applies to dependency queries only',
    );
    expect(() => assertFlowFilter(parseFilter('host 10.0.0.1 and flags S'))).not.toThrow();
  });
});
