import { describe, expect, it } from 'vitest';
import { StateCarriers } from './state-carriers.js';
import { ipfixMessage, v9Packet } from './template/testing.js';

const H = { exportTime: 1_700_000_000, domain: 7 };
const V9 = { uptime: 1000, unixSecs: 1_700_000_000, sourceId: 7 };

describe('StateCarriers', () => {
  it('IPFIX: templates and options data carry state, data of a known data template does not', () => {
    const c = new StateCarriers();
    const data = ipfixMessage([[256, (w) => w.u32(1).u32(2)]], H);
    const options = ipfixMessage([[257, (w) => w.u32(1).u16(100)]], H);
    // Not defined yet: may be an options template's data.
    expect(c.carriesState('192.0.2.1', data)).toBe(true);
    const templates = ipfixMessage(
      [
        // data template 256: two fields, one an enterprise field (8-byte specifier)
        [
          2,
          (w) =>
            w
              .u16(256)
              .u16(2)
              .u16(8)
              .u16(4)
              .u16(0x8000 | 1)
              .u16(4)
              .u32(9),
        ],
        // options template 257: two fields, one scope
        [3, (w) => w.u16(257).u16(2).u16(1).u16(149).u16(4).u16(34).u16(2)],
      ],
      H,
    );
    expect(c.carriesState('192.0.2.1', templates)).toBe(true);
    expect(c.carriesState('192.0.2.1', data)).toBe(false);
    expect(c.carriesState('192.0.2.1', options)).toBe(true);
    // Another exporter, another domain: not known there.
    expect(c.carriesState('192.0.2.2', data)).toBe(true);
    expect(c.carriesState('192.0.2.1', ipfixMessage([[256, (w) => w.u32(1)]], { ...H, domain: 8 }))).toBe(
      true,
    );
    // Withdrawn: unknown again.
    expect(c.carriesState('192.0.2.1', ipfixMessage([[2, (w) => w.u16(256).u16(0)]], H))).toBe(true);
    expect(c.carriesState('192.0.2.1', data)).toBe(true);
  });

  it('NetFlow v9: template and options template FlowSets teach the ids', () => {
    const c = new StateCarriers();
    const templates = v9Packet(
      [
        [0, (w) => w.u16(300).u16(2).u16(8).u16(4).u16(12).u16(4)],
        // options template 301: scope length 4 (one field), options length 8 (two fields)
        [1, (w) => w.u16(301).u16(4).u16(8).u16(1).u16(4).u16(34).u16(4).u16(35).u16(1)],
      ],
      V9,
    );
    expect(c.carriesState('192.0.2.1', templates)).toBe(true);
    expect(c.carriesState('192.0.2.1', v9Packet([[300, (w) => w.u32(1).u32(2)]], V9))).toBe(false);
    expect(c.carriesState('192.0.2.1', v9Packet([[301, (w) => w.u32(1).u32(2).u8(1)]], V9))).toBe(true);
    expect(
      c.carriesState('192.0.2.1', v9Packet([[300, (w) => w.u32(1).u32(2)]], { ...V9, sourceId: 8 })),
    ).toBe(true);
  });

  it('NetFlow v5, sFlow and anything else carry none', () => {
    const c = new StateCarriers();
    const v5 = new Uint8Array(24 + 48);
    v5[1] = 5;
    const sflow = new Uint8Array(28);
    sflow[3] = 5;
    expect(c.carriesState('192.0.2.1', v5)).toBe(false);
    expect(c.carriesState('192.0.2.1', sflow)).toBe(false);
    expect(c.carriesState('192.0.2.1', new Uint8Array([0, 10]))).toBe(false);
  });
});
