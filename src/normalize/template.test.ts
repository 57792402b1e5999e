/** v9 / IPFIX normalization: sampling resolution, times, columns, extended fields. Built with ByteWriter. */
import { describe, expect, it } from 'vitest';
import { decodeIpfix } from '../decode/ipfix/index.js';
import { decodeNetflowV9 } from '../decode/netflow9/index.js';
import { ExporterState } from '../decode/state.js';
import { ipfixMessage, type SetBody, v9Packet } from '../decode/template/testing.js';
import type { Datagram } from '../decode/types.js';
import { normalizeTemplateRecord } from './template.js';
import { EXPORT_SKEW_MS } from './time-rule.js';

const EXPORTER = '192.0.2.20';
const UNIX = 1_700_000_000;
const UPTIME = 3_600_000; // ms

function v9(flowsets: [number, SetBody][], sourceId = 5, seq = 1): Uint8Array {
  return v9Packet(flowsets, { uptime: UPTIME, unixSecs: UNIX, sequence: seq, sourceId });
}

const tpl =
  (id: number, fields: [number, number][]): SetBody =>
  (w) => {
    w.u16(id).u16(fields.length);
    for (const [t, l] of fields) w.u16(t).u16(l);
  };

const optTpl =
  (id: number, scope: [number, number][], fields: [number, number][]): SetBody =>
  (w) => {
    w.u16(id)
      .u16(scope.length * 4)
      .u16(fields.length * 4);
    for (const [t, l] of [...scope, ...fields]) w.u16(t).u16(l);
  };

function dg(bytes: Uint8Array): Datagram {
  return { bytes, exporter: EXPORTER, exporterPort: 2055, receivedAt: UNIX * 1000 + 500 };
}

const FLOW: [number, number][] = [
  [8, 4],
  [12, 4],
  [7, 2],
  [11, 2],
  [4, 1],
  [1, 4],
  [2, 4],
  [22, 4],
  [21, 4],
  [48, 1], // FLOW_SAMPLER_ID
];
const flow =
  (sampler: number): SetBody =>
  (w) =>
    w
      .ip('10.0.0.1')
      .ip('10.0.0.2')
      .u16(1234)
      .u16(80)
      .u8(6)
      .u32(1000)
      .u32(10)
      .u32(UPTIME - 5000)
      .u32(UPTIME - 1000)
      .u8(sampler);

describe('NetFlow v9 normalization', () => {
  it('maps columns, sysUptime-relative times, and extended fields', () => {
    const st = new ExporterState(EXPORTER);
    const d = dg(
      v9([
        [0, tpl(260, FLOW)],
        [260, flow(0)],
      ]),
    );
    const out = decodeNetflowV9(d, st);
    expect(out.errors).toEqual([]);
    const r = normalizeTemplateRecord(out.records[0], d, {});
    expect(r).toMatchObject({
      protocol_type: 'netflow_v9',
      exporter_ip: EXPORTER,
      exporter_id: 5,
      src_ip: '10.0.0.1',
      dst_ip: '10.0.0.2',
      src_port: 1234,
      dst_port: 80,
      ip_protocol: 6,
      bytes_total: 1000,
      packets_total: 10,
      // unix_secs*1000 - (sysUptime - first): 5 s and 1 s before the export.
      flow_start: UNIX * 1000 - 5000,
      flow_end: UNIX * 1000 - 1000,
      sampling_rate: 1,
    });
    expect(r.extended_fields).toMatchObject({
      sampling_source: 'none',
      template_id: 260,
      observation_domain_id: 5,
      samplerId: 0,
      flowStartSysUpTime: UPTIME - 5000,
      time_source: 'sysuptime',
    });
  });

  it('options data with a sampler id sets the rate of records naming that sampler', () => {
    const st = new ExporterState(EXPORTER);
    const d = dg(
      v9([
        [
          1,
          optTpl(
            256,
            [[1, 4]],
            [
              [48, 1],
              [49, 1],
              [50, 4],
            ],
          ),
        ], // scope system; sampler id, mode, random interval
        [0, tpl(260, FLOW)],
        [256, (w) => w.u32(0).u8(3).u8(2).u32(1000)],
        [256, (w) => w.u32(0).u8(4).u8(2).u32(64)],
        [
          260,
          (w) => {
            flow(3)(w);
            flow(4)(w);
            flow(9)(w);
          },
        ],
      ]),
    );
    const out = decodeNetflowV9(d, st);
    expect(out.errors).toEqual([]);
    const flows = out.records.filter((r) => r.kind === 'data').map((r) => normalizeTemplateRecord(r, d, {}));
    expect(flows.map((f) => [f.sampling_rate, f.extended_fields.sampling_source])).toEqual([
      [1000, 'options'],
      [64, 'options'],
      [1, 'none'], // sampler 9 is unknown
    ]);
    const opt = normalizeTemplateRecord(out.records[0], d, {});
    expect(opt.record_type).toBe('options');
    expect(opt.extended_fields).toMatchObject({
      scope_system: 0,
      samplerId: 3,
      samplerMode: 2,
      samplerRandomInterval: 1000,
    });
  });

  it('a record carrying samplingInterval uses it (source record); config override wins, default applies last', () => {
    const st = new ExporterState(EXPORTER);
    const fields: [number, number][] = [...FLOW, [34, 4]];
    const d = dg(
      v9([
        [0, tpl(261, fields)],
        [
          261,
          (w) => {
            flow(0)(w);
            w.u32(512);
          },
        ],
      ]),
    );
    const rec = decodeNetflowV9(d, st).records[0];
    const r = normalizeTemplateRecord(rec, d, {});
    expect([r.sampling_rate, r.extended_fields.sampling_source]).toEqual([512, 'record']);
    const o = normalizeTemplateRecord(rec, d, { samplingOverride: { [EXPORTER]: 10 } });
    expect([o.sampling_rate, o.extended_fields.sampling_source]).toEqual([10, 'config_override']);
    const plain = decodeNetflowV9(
      dg(
        v9([
          [0, tpl(262, FLOW)],
          [262, flow(0)],
        ]),
      ),
      st,
    ).records[0];
    const def = normalizeTemplateRecord(plain, d, { samplingDefault: 100 });
    expect([def.sampling_rate, def.extended_fields.sampling_source]).toEqual([100, 'config_default']);
  });

  it('domain-wide sampling (options without sampler id) applies to the source id only', () => {
    const st = new ExporterState(EXPORTER);
    decodeNetflowV9(
      dg(
        v9(
          [
            [
              1,
              optTpl(
                257,
                [[1, 4]],
                [
                  [34, 4],
                  [35, 1],
                ],
              ),
            ],
            [257, (w) => w.u32(0).u32(2000).u8(2)],
          ],
          5,
        ),
      ),
      st,
    );
    const a = dg(
      v9(
        [
          [0, tpl(262, FLOW)],
          [262, flow(0)],
        ],
        5,
      ),
    );
    const b = dg(
      v9(
        [
          [0, tpl(262, FLOW)],
          [262, flow(0)],
        ],
        6,
      ),
    );
    const ra = normalizeTemplateRecord(decodeNetflowV9(a, st).records[0], a, {});
    const rb = normalizeTemplateRecord(decodeNetflowV9(b, st).records[0], b, {});
    expect([ra.sampling_rate, ra.extended_fields.sampling_source]).toEqual([2000, 'options']);
    expect([rb.sampling_rate, rb.extended_fields.sampling_source]).toEqual([1, 'none']);
  });

  it('handles padding, trailing zero-fill, 0-length fields and 0-length scope fields', () => {
    const st = new ExporterState(EXPORTER);
    const bytes = v9([
      [1, optTpl(258, [[1, 0]], [[34, 4]])],
      [
        0,
        tpl(263, [
          [8, 4],
          [95, 0],
          [12, 4],
        ]),
      ],
      [258, (w) => w.u32(100)],
      [263, (w) => w.ip('1.2.3.4').ip('5.6.7.8')],
    ]);
    const padded = new Uint8Array(bytes.length + 64);
    padded.set(bytes);
    const d = dg(padded);
    const out = decodeNetflowV9(d, st);
    expect(out.errors).toEqual([]);
    expect(out.records.map((r) => r.values)).toEqual([
      [null, 100],
      ['1.2.3.4', null, '5.6.7.8'],
    ]);
  });
});

describe('IPFIX normalization', () => {
  function ipfix(sets: [number, SetBody][], domain = 1): Uint8Array {
    return ipfixMessage(sets, { exportTime: UNIX, domain });
  }

  it('absolute times (ms, NTP µs), IPv6 columns, Cisco NSEL initiator/responder octets', () => {
    const st = new ExporterState(EXPORTER);
    const ntpSecs = UNIX - 10 + 2_208_988_800;
    const d = dg(
      ipfix([
        [
          2,
          tpl(300, [
            [27, 16],
            [28, 16],
            [152, 8],
            [155, 8],
            [231, 8],
            [232, 8],
            [62, 16],
          ]),
        ],
        [
          300,
          (w) =>
            w
              .ip('2001:db8::1')
              .ip('2001:db8::2')
              .u64(UNIX * 1000 - 20_000)
              .u32(ntpSecs)
              .u32(0x80000000) // .5 s
              .u64(111)
              .u64(222)
              .ip('fe80::1'),
        ],
      ]),
    );
    const r = normalizeTemplateRecord(decodeIpfix(d, st).records[0], d, {});
    expect(r).toMatchObject({
      protocol_type: 'ipfix',
      src_ip: '2001:db8::1',
      dst_ip: '2001:db8::2',
      flow_start: UNIX * 1000 - 20_000,
      flow_end: UNIX * 1000 - 9_500,
      bytes_total: 111,
      next_hop: 'fe80::1',
    });
    expect(r.extended_fields).toMatchObject({ responderOctets: 222, time_source: 'absolute' });
  });

  it('IE 21/22: systemInitTimeMilliseconds from options data, else relative to the export time', () => {
    const st = new ExporterState(EXPORTER);
    const rel: [number, number][] = [
      [22, 4],
      [21, 4],
    ];
    const d1 = dg(
      ipfix([
        [2, tpl(301, rel)],
        [301, (w) => w.u32(1000).u32(4000)],
      ]),
    );
    const r1 = normalizeTemplateRecord(decodeIpfix(d1, st).records[0], d1, {});
    expect([r1.flow_start, r1.flow_end, r1.extended_fields.time_source]).toEqual([
      UNIX * 1000 - 3000,
      UNIX * 1000,
      'export_relative',
    ]);
    // Booted a day before the export: offsets 1 s and 4 s are the first seconds after boot.
    const init = UNIX * 1000 - 86_400_000;
    const d2 = dg(
      ipfix([
        [3, (w) => w.u16(400).u16(2).u16(1).u16(149).u16(4).u16(160).u16(8)],
        [400, (w) => w.u32(1).u64(init)],
        [301, (w) => w.u32(1000).u32(4000)],
      ]),
    );
    const recs = decodeIpfix(d2, st).records;
    const r2 = normalizeTemplateRecord(recs[1], d2, {});
    expect([r2.flow_start, r2.flow_end, r2.extended_fields.time_source]).toEqual([
      init + 1000,
      init + 4000,
      'system_init',
    ]);
  });

  it('missing times take the export time; unknown elements keep their data under ie<id> / pen<N>_<id>', () => {
    const st = new ExporterState(EXPORTER);
    const d = dg(
      ipfix([
        [
          2,
          (w) =>
            w
              .u16(302)
              .u16(3)
              .u16(8)
              .u16(4)
              .u16(0x8000 | 77)
              .u16(2)
              .u32(4242)
              .u16(32000)
              .u16(3),
        ],
        [302, (w) => w.ip('8.8.8.8').u16(5).u8(1).u8(2).u8(3)],
      ]),
    );
    const r = normalizeTemplateRecord(decodeIpfix(d, st).records[0], d, {});
    expect([r.flow_start, r.flow_end, r.extended_fields.time_source]).toEqual([
      UNIX * 1000,
      UNIX * 1000,
      'export_time',
    ]);
    expect(r.extended_fields).toMatchObject({ pen4242_77: 5, ie32000: 0x010203 });
  });

  it('times beyond what a Date holds (IE 152 = 9.7e18 from a corrupt template) take the export time', () => {
    const st = new ExporterState(EXPORTER);
    const abs: [number, number][] = [
      [152, 8],
      [153, 8],
      [1, 4],
    ];
    const d = dg(
      ipfix([
        [2, tpl(303, abs)],
        [
          303,
          (w) =>
            w
              .u64(9_700_000_000_000_000_000n)
              .u64(BigInt(UNIX * 1000 - 1000))
              .u32(64),
        ],
        [
          303,
          (w) =>
            w
              .u64(BigInt(UNIX * 1000 - 2000))
              .u64(BigInt(UNIX * 1000 - 1000))
              .u32(64),
        ],
      ]),
    );
    const [bad, good] = decodeIpfix(d, st).records.map((x) => normalizeTemplateRecord(x, d, {}));
    // 8.64e15 ms is the Date limit (ECMA-262 21.4.1.1); the corrupt record keeps its counters.
    expect([bad.flow_start, bad.flow_end, bad.extended_fields.time_source, bad.bytes_total]).toEqual([
      UNIX * 1000,
      UNIX * 1000,
      'out_of_range',
      64,
    ]);
    expect([good.flow_start, good.flow_end, good.extended_fields.time_source]).toEqual([
      UNIX * 1000 - 2000,
      UNIX * 1000 - 1000,
      'absolute',
    ]);
  });
});

describe('IPFIX times never end after the export (time-rule.ts)', () => {
  const E = UNIX * 1000;
  const DAY = 86_400_000;
  const WRAP = 2 ** 32;
  const REL_INIT: [number, number][] = [
    [22, 4], // flowStartSysUpTime
    [21, 4], // flowEndSysUpTime
    [160, 8], // systemInitTimeMilliseconds, in the record
  ];
  const ABS: [number, number][] = [
    [152, 8], // flowStartMilliseconds
    [153, 8], // flowEndMilliseconds
  ];

  function one(fields: [number, number][], body: SetBody) {
    const d = dg(
      ipfixMessage(
        [
          [2, tpl(310, fields)],
          [310, body],
        ],
        { exportTime: UNIX, domain: 1 },
      ),
    );
    const r = normalizeTemplateRecord(decodeIpfix(d, new ExporterState(EXPORTER)).records[0], d, {});
    const x = r.extended_fields;
    return {
      times: [r.flow_start, r.flow_end, x.time_source],
      reported: [x.flow_start_reported, x.flow_end_reported],
    };
  }
  const rel = (init: number, start: number, end: number) =>
    one(REL_INIT, (w) => w.u32(start).u32(end).u64(BigInt(init)));

  it('IE 21/22 wrapped past 2^32 (60 days of uptime): the instants before the export, not 49.7 days back', () => {
    const up = 60 * DAY;
    // The exporter sends uptime modulo 2^32 (unsigned32, RFC 5102 section 5.9): 5 s and 1 s before export.
    const r = rel(E - up, (up - 5000) % WRAP, (up - 1000) % WRAP);
    expect(r.times).toEqual([E - 5000, E - 1000, 'system_init_wrapped']);
    expect(r.reported).toEqual([undefined, undefined]);
  });

  it('IE 22 just below 2^32 (the flow began before init): 3 s before init, not 49.7 days after the export', () => {
    // Up 10 s; the flow began 3 s before the (re-)initialization and ended 8 s after it.
    const init = E - 10_000;
    expect(rel(init, WRAP - 3000, 8000).times).toEqual([init - 3000, init + 8000, 'system_init_wrapped']);
    // Start and end both before init (a flow cache that survived the re-initialization).
    expect(rel(E - 500, WRAP - 5000, WRAP - 1000).times).toEqual([E - 5500, E - 1500, 'system_init_wrapped']);
  });

  it('IE 22/21 without IE 160 across the wrap: the duration modulo 2^32, the start before the end', () => {
    const r = one(
      [
        [22, 4],
        [21, 4],
      ],
      (w) => w.u32(WRAP - 1000).u32(2000),
    );
    expect(r.times).toEqual([E - 3000, E, 'export_relative']);
  });

  it('an offset ahead of the uptime at export has no sound correction: clamped, reported times kept', () => {
    // Up 1 hour, the flow "ends" a day later: neither a wrap nor skew.
    const init = E - 3_600_000;
    const r = rel(init, 3_600_000 + DAY - 4000, 3_600_000 + DAY);
    expect(r.times).toEqual([E - 4000, E, 'future_clamped']);
    expect(r.reported).toEqual([E + DAY - 4000, E + DAY]);
  });

  it('absolute times after the export: clamped to it and flagged; within EXPORT_SKEW_MS: kept', () => {
    const abs = (start: number, end: number) => one(ABS, (w) => w.u64(BigInt(start)).u64(BigInt(end)));
    // Both 10 days ahead: shifted to end at the export, the 4 s duration exact.
    const both = abs(E + 10 * DAY, E + 10 * DAY + 4000);
    expect(both.times).toEqual([E - 4000, E, 'future_clamped']);
    expect(both.reported).toEqual([E + 10 * DAY, E + 10 * DAY + 4000]);
    // A plausible start and an end in 2100: the end alone is pulled back.
    const end2100 = Date.UTC(2100, 0, 1);
    expect(abs(E - 2000, end2100).times).toEqual([E - 2000, E, 'future_clamped']);
    // The export time is whole seconds (RFC 7011 section 3.1); an end 900 ms (or 59 s) after it is skew.
    expect(abs(E - 2000, E + 900).times).toEqual([E - 2000, E + 900, 'absolute']);
    expect(abs(E - 2000, E + EXPORT_SKEW_MS).times).toEqual([E - 2000, E + EXPORT_SKEW_MS, 'absolute']);
    expect(abs(E - 2000, E + EXPORT_SKEW_MS + 1).times).toEqual([E - 2000, E, 'future_clamped']);
  });

  it('v9 switched times ahead of sysUptime (FortiOS 5.2.1 capture: 7 days at 5.7 hours of uptime): clamped', () => {
    const st = new ExporterState(EXPORTER);
    const d = dg(
      v9([
        [0, tpl(260, FLOW)],
        [
          260,
          (w) =>
            w
              .ip('10.0.0.1')
              .ip('10.0.0.2')
              .u16(1)
              .u16(2)
              .u8(6)
              .u32(1)
              .u32(1)
              .u32(UPTIME + 7 * DAY)
              .u32(UPTIME + 7 * DAY + 9000)
              .u8(0),
        ],
      ]),
    );
    const r = normalizeTemplateRecord(decodeNetflowV9(d, st).records[0], d, {});
    expect([r.flow_start, r.flow_end, r.extended_fields.time_source]).toEqual([
      E - 9000,
      E,
      'future_clamped',
    ]);
    expect(r.extended_fields.flow_end_reported).toBe(E + 7 * DAY + 9000);
  });
});
