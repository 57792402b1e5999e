/** Test helper: NetFlow v5 datagrams built by hand (ByteWriter), with known field values. */
import { ByteWriter } from '../../wire/writer.js';

export interface V5DatagramOptions {
  count?: number;
  records?: number;
  sampling?: number;
  seq?: number;
  uptime?: number;
  first?: number;
  last?: number;
}

/** A v5 datagram built by hand: header fields as given, `records` 48-byte records with known values. */
export function v5Datagram(opts: V5DatagramOptions = {}) {
  const n = opts.records ?? 1;
  const w = new ByteWriter();
  w.u16(5)
    .u16(opts.count ?? n)
    .u32(opts.uptime ?? 10_000)
    .u32(1_700_000_000)
    .u32(500_000_000);
  w.u32(opts.seq ?? 100)
    .u8(1)
    .u8(7)
    .u16(opts.sampling ?? 0);
  for (let i = 0; i < n; i++) {
    w.ip('192.0.2.1').ip('198.51.100.2').ip('203.0.113.9').u16(3).u16(4).u32(10).u32(1500);
    w.u32(opts.first ?? 9_000)
      .u32(opts.last ?? 9_500)
      .u16(443)
      .u16(51000)
      .u8(0)
      .u8(0x12)
      .u8(6)
      .u8(0xb8);
    w.u16(64500).u16(64501).u8(24).u8(16).u16(0);
  }
  return w.finish();
}
