/** IPFIX decoder edge cases built byte by byte (ByteWriter), expected values computed by hand. */
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../wire/writer.js';
import { ExporterState } from '../state.js';
import { pendingCount, restoreTemplateState, snapshotTemplateState } from '../template/index.js';
import type { Datagram } from '../types.js';
import { decodeIpfix, IpfixStreamFramer } from './index.js';

const EXPORTER = '192.0.2.10';
const DOMAIN = 7;

type Field = [id: number, length: number, pen?: number];

/** One IPFIX message: header + the given sets, lengths patched. */
function message(
  sets: ((w: ByteWriter) => void)[],
  opts: { domain?: number; seq?: number; time?: number } = {},
): Uint8Array {
  const w = new ByteWriter();
  w.u16(10)
    .u16(0)
    .u32(opts.time ?? 1_700_000_000)
    .u32(opts.seq ?? 0)
    .u32(opts.domain ?? DOMAIN);
  for (const s of sets) {
    const at = w.mark();
    w.u16(0).u16(0);
    s(w);
    w.patchU16(at + 2, w.length - at);
    // set id written by the set builder into the first 2 bytes
  }
  w.patchU16(2, w.length);
  return w.finish();
}

function templateSet(id: number, fields: Field[]) {
  return (w: ByteWriter) => {
    w.patchU16(w.length - 4, 2);
    w.u16(id).u16(fields.length);
    for (const [fid, len, pen] of fields) {
      if (pen)
        w.u16(fid | 0x8000)
          .u16(len)
          .u32(pen);
      else w.u16(fid).u16(len);
    }
  };
}

function optionsTemplateSet(id: number, scope: Field[], fields: Field[]) {
  return (w: ByteWriter) => {
    w.patchU16(w.length - 4, 3);
    w.u16(id)
      .u16(scope.length + fields.length)
      .u16(scope.length);
    for (const [fid, len] of [...scope, ...fields]) w.u16(fid).u16(len);
  };
}

function withdrawal(setId: 2 | 3, id: number) {
  return (w: ByteWriter) => {
    w.patchU16(w.length - 4, setId);
    w.u16(id).u16(0);
  };
}

function dataSet(id: number, body: (w: ByteWriter) => void) {
  return (w: ByteWriter) => {
    w.patchU16(w.length - 4, id);
    body(w);
  };
}

function dg(bytes: Uint8Array): Datagram {
  return { bytes, exporter: EXPORTER, exporterPort: 4739, receivedAt: 1_700_000_000_000 };
}

const SIMPLE: Field[] = [
  [8, 4],
  [12, 4],
  [1, 8],
];
const simpleRecord = (src: string, dst: string, bytes: number | bigint) => (w: ByteWriter) =>
  w.ip(src).ip(dst).u64(bytes);

describe('IPFIX templates', () => {
  it('decodes data with a template from an earlier message, keyed by domain', () => {
    const st = new ExporterState(EXPORTER);
    decodeIpfix(dg(message([templateSet(300, SIMPLE)])), st);
    const out = decodeIpfix(dg(message([dataSet(300, simpleRecord('10.0.0.1', '10.0.0.2', 1500))])), st);
    expect(out.errors).toEqual([]);
    expect(out.records).toHaveLength(1);
    expect(out.records[0].values).toEqual(['10.0.0.1', '10.0.0.2', 1500]);
    // Another domain of the same exporter does not see the template: the set is held.
    const other = decodeIpfix(
      dg(message([dataSet(300, simpleRecord('10.0.0.1', '10.0.0.2', 1))], { domain: 8 })),
      st,
    );
    expect(other.records).toEqual([]);
    expect(pendingCount(st)).toBe(1);
    expect(st.domain('ipfix', DOMAIN).templates).toBe(1);
  });

  it('a byte-identical refresh keeps the compiled template; a changed one (same id) replaces it', () => {
    const st = new ExporterState(EXPORTER);
    const data = dataSet(300, simpleRecord('10.0.0.1', '10.0.0.2', 1500));
    const first = decodeIpfix(dg(message([templateSet(300, SIMPLE), data])), st).records[0];
    const again = decodeIpfix(dg(message([templateSet(300, SIMPLE), data])), st).records[0];
    expect(again.template).toBe(first.template);
    // Same id, one byte different (octetDeltaCount sent in 4 bytes): must be re-parsed, not mistaken.
    const changed = decodeIpfix(
      dg(
        message([
          templateSet(300, [
            [8, 4],
            [12, 4],
            [1, 4],
          ]),
          dataSet(300, (w) => w.ip('10.0.0.3').ip('10.0.0.4').u32(77)),
        ]),
      ),
      st,
    ).records[0];
    expect(changed.template).not.toBe(first.template);
    expect(changed.values).toEqual(['10.0.0.3', '10.0.0.4', 77]);
    expect(st.domain('ipfix', DOMAIN).templates).toBe(1);
  });

  it('withdraws a single template (field count 0)', () => {
    const st = new ExporterState(EXPORTER);
    decodeIpfix(dg(message([templateSet(300, SIMPLE), templateSet(301, SIMPLE)])), st);
    expect(st.domain('ipfix', DOMAIN).templates).toBe(2);
    decodeIpfix(dg(message([withdrawal(2, 300)])), st);
    expect(st.domain('ipfix', DOMAIN).templates).toBe(1);
    const out = decodeIpfix(
      dg(
        message([
          dataSet(300, simpleRecord('1.1.1.1', '2.2.2.2', 1)),
          dataSet(301, simpleRecord('1.1.1.1', '2.2.2.2', 2)),
        ]),
      ),
      st,
    );
    expect(out.records.map((r) => r.templateId)).toEqual([301]);
    expect(pendingCount(st)).toBe(1);
  });

  it('withdraws all data templates (id 2) or all options templates (id 3) of the domain only', () => {
    const st = new ExporterState(EXPORTER);
    decodeIpfix(
      dg(
        message([
          templateSet(300, SIMPLE),
          templateSet(301, SIMPLE),
          optionsTemplateSet(400, [[149, 4]], [[34, 4]]),
        ]),
      ),
      st,
    );
    decodeIpfix(dg(message([templateSet(300, SIMPLE)], { domain: 9 })), st);
    decodeIpfix(dg(message([withdrawal(2, 2)])), st);
    expect(st.domain('ipfix', DOMAIN).templates).toBe(0);
    expect(st.domain('ipfix', DOMAIN).optionsTemplates).toBe(1);
    expect(st.domain('ipfix', 9).templates).toBe(1);
    decodeIpfix(dg(message([withdrawal(3, 3)])), st);
    expect(st.domain('ipfix', DOMAIN).optionsTemplates).toBe(0);
  });

  it('reads variable-length fields: 1-byte and 3-byte (255 + u16) lengths', () => {
    const st = new ExporterState(EXPORTER);
    const long = 'x'.repeat(300);
    const bytes = message([
      templateSet(310, [
        [82, 65535], // interfaceName, string
        [7, 2],
        [82, 65535],
      ]),
      dataSet(310, (w) => {
        w.u8(3).ascii('ge0').u16(443).u8(255).u16(300).ascii(long);
      }),
    ]);
    const out = decodeIpfix(dg(bytes), st);
    expect(out.errors).toEqual([]);
    expect(out.records[0].values).toEqual(['ge0', 443, long]);
    expect(out.records[0].fields.map((f) => f.name)).toEqual([
      'interfaceName',
      'sourceTransportPort',
      'interfaceName',
    ]);
  });

  it('keeps 64-bit counters above 2^53 exact (bigint)', () => {
    const st = new ExporterState(EXPORTER);
    const big = (1n << 60n) + 12345n;
    const out = decodeIpfix(
      dg(message([templateSet(300, SIMPLE), dataSet(300, simpleRecord('1.2.3.4', '5.6.7.8', big))])),
      st,
    );
    expect(out.records[0].values[2]).toBe(big);
    const edge = decodeIpfix(
      dg(message([dataSet(300, simpleRecord('1.2.3.4', '5.6.7.8', 2n ** 53n + 1n))])),
      st,
    );
    expect(edge.records[0].values[2]).toBe(2n ** 53n + 1n);
  });

  it('holds data that arrives before its template and emits it with the template message', () => {
    const st = new ExporterState(EXPORTER);
    const early = decodeIpfix(
      dg(message([dataSet(320, simpleRecord('10.1.1.1', '10.2.2.2', 42))], { seq: 10 })),
      st,
    );
    expect(early.records).toEqual([]);
    expect(early.errors).toEqual([]);
    expect(pendingCount(st)).toBe(1);
    const late = decodeIpfix(dg(message([templateSet(320, SIMPLE)], { seq: 11, time: 1_700_000_100 })), st);
    expect(late.records).toHaveLength(1);
    expect(late.records[0].values).toEqual(['10.1.1.1', '10.2.2.2', 42]);
    expect(late.records[0].delayed).toBe(true);
    // The held record keeps the header of the message it came in.
    expect(late.records[0].exportTime).toBe(1_700_000_000);
    expect(late.records[0].sequence).toBe(10);
    expect(pendingCount(st)).toBe(0);
  });

  it('bounds held data per exporter: oldest evicted and counted', () => {
    const st = new ExporterState(EXPORTER);
    let evicted = 0;
    for (let i = 0; i < 300; i++) {
      const out = decodeIpfix(
        dg(message([dataSet(500 + (i % 50), simpleRecord('1.1.1.1', '2.2.2.2', i))])),
        st,
      );
      evicted += out.errors.filter((e) => e.code === 'bad_template').length;
    }
    expect(pendingCount(st)).toBe(256);
    expect(evicted).toBe(44);
    expect(st.domain('ipfix', DOMAIN).errors.bad_template).toBe(44);
  });

  it('reads enterprise and RFC 5103 reverse elements', () => {
    const st = new ExporterState(EXPORTER);
    const out = decodeIpfix(
      dg(
        message([
          templateSet(330, [
            [1, 8],
            [1, 8, 29305],
            [100, 4, 9],
          ]),
          dataSet(330, (w) => w.u64(10).u64(20).u32(30)),
        ]),
      ),
      st,
    );
    expect(out.records[0].fields.map((f) => f.name)).toEqual([
      'octetDeltaCount',
      'reverseOctetDeltaCount',
      'pen9_100',
    ]);
    expect(out.records[0].values).toEqual([10, 20, 30]);
  });

  it('reduced-size encoding: an 8-byte counter sent in 2 or 4 bytes', () => {
    const st = new ExporterState(EXPORTER);
    const out = decodeIpfix(
      dg(
        message([
          templateSet(340, [
            [1, 2],
            [2, 4],
          ]),
          dataSet(340, (w) => w.u16(65000).u32(4_000_000_000)),
        ]),
      ),
      st,
    );
    expect(out.records[0].values).toEqual([65000, 4_000_000_000]);
  });

  it('one bad set does not lose the others; errors carry context', () => {
    const st = new ExporterState(EXPORTER);
    const bytes = message([
      templateSet(300, SIMPLE),
      dataSet(5, (w) => w.u32(0)), // reserved set id
      dataSet(300, simpleRecord('9.9.9.9', '8.8.8.8', 1)),
    ]);
    const out = decodeIpfix(dg(bytes), st);
    expect(out.records).toHaveLength(1);
    expect(out.errors.map((e) => e.code)).toEqual(['bad_set_id']);
    expect(out.errors[0].context).toMatchObject({
      exporter: EXPORTER,
      version: 10,
      domain: DOMAIN,
      setId: 5,
    });
  });

  it('counts sequence loss in data records (RFC 7011 section 3.1)', () => {
    const st = new ExporterState(EXPORTER);
    decodeIpfix(dg(message([templateSet(300, SIMPLE)], { seq: 100 })), st);
    const two = dataSet(300, (w) => {
      simpleRecord('1.1.1.1', '2.2.2.2', 1)(w);
      simpleRecord('1.1.1.1', '2.2.2.2', 1)(w);
    });
    decodeIpfix(dg(message([two], { seq: 100 })), st);
    decodeIpfix(dg(message([two], { seq: 102 })), st);
    expect(st.domain('ipfix', DOMAIN).sequenceLost).toBe(0);
    decodeIpfix(dg(message([two], { seq: 110 })), st);
    expect(st.domain('ipfix', DOMAIN).sequenceLost).toBe(6);
  });
});

describe('template state snapshot', () => {
  it('decodes data after restore without the template being sent again', () => {
    const a = new ExporterState(EXPORTER);
    decodeIpfix(
      dg(
        message([
          templateSet(300, SIMPLE),
          templateSet(301, [
            [8, 4],
            [302, 4],
          ]),
          optionsTemplateSet(
            400,
            [[302, 4]],
            [
              [305, 4],
              [306, 4],
            ],
          ),
        ]),
      ),
      a,
    );
    decodeIpfix(dg(message([dataSet(400, (w) => w.u32(1).u32(1).u32(99))])), a);
    const snap = JSON.parse(JSON.stringify(snapshotTemplateState(a)));
    const b = new ExporterState(EXPORTER);
    restoreTemplateState(b, snap);
    expect(b.domain('ipfix', DOMAIN).templates).toBe(2);
    expect(b.domain('ipfix', DOMAIN).optionsTemplates).toBe(1);
    const out = decodeIpfix(dg(message([dataSet(300, simpleRecord('10.0.0.1', '10.0.0.2', 7))])), b);
    expect(out.records[0].values).toEqual(['10.0.0.1', '10.0.0.2', 7]);
    // Sampling learnt before the snapshot survives it: selector 1 selects 1 packet, skips 99 -> 1:100.
    const sampled = decodeIpfix(dg(message([dataSet(301, (w) => w.ip('10.0.0.9').u32(1))])), b);
    expect(sampled.records[0].sampling).toEqual({ rate: 100, source: 'options' });
    // Corrupt snapshots are ignored entry by entry (reserved template id 3, not an object at all).
    restoreTemplateState(b, {
      format: 'flowlens.template.v1',
      templates: [{ v: 10, d: 1, id: 3, k: 'data', s: 0, f: [] }],
    });
    restoreTemplateState(b, 'garbage');
    expect(b.domain('ipfix', 1).templates).toBe(0);
  });
});

describe('IpfixStreamFramer (RFC 7011 section 10.4)', () => {
  const m1 = message([templateSet(300, SIMPLE)]);
  const m2 = message([dataSet(300, simpleRecord('1.1.1.1', '2.2.2.2', 1))]);
  const m3 = message([dataSet(300, simpleRecord('3.3.3.3', '4.4.4.4', 2))]);

  it('reassembles one message split over 3 chunks', () => {
    const f = new IpfixStreamFramer();
    expect(f.push(m1.subarray(0, 3))).toEqual([]);
    expect(f.push(m1.subarray(3, 20))).toEqual([]);
    expect(f.buffered).toBe(20);
    const out = f.push(m1.subarray(20));
    expect(out).toEqual([m1]);
    expect(f.buffered).toBe(0);
  });

  it('cuts three messages out of one chunk', () => {
    const f = new IpfixStreamFramer();
    const all = new Uint8Array([...m1, ...m2, ...m3]);
    expect(f.push(all)).toEqual([m1, m2, m3]);
    expect(f.buffered).toBe(0);
  });

  it('reports an impossible header and resynchronises on the next message', () => {
    const f = new IpfixStreamFramer();
    const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x05, 0x00, 0x01]);
    const out = f.push(new Uint8Array([...garbage, ...m2]));
    expect(out).toEqual([m2]);
    expect(f.lastError?.code).toBe('bad_version');
    expect(f.errorCount).toBeGreaterThan(0);
    // A header with length < 16 is impossible too; memory stays bounded whatever is pushed.
    const g = new IpfixStreamFramer();
    g.push(new Uint8Array([0, 10, 0, 3]));
    expect(g.lastError).not.toBeNull();
    for (let i = 0; i < 100; i++) g.push(new Uint8Array(10_000).fill(0x41));
    expect(g.buffered).toBeLessThan(4);
  });
});
