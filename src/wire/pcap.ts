import { DecodeError } from '../core/errors.js';
import { IpDefragmenter } from './ip-defrag.js';
import { parseLink } from './link.js';
import { TcpReassembler } from './tcp-stream.js';

/** One transport payload found in a capture, in capture order. */
export interface CapturedPayload {
  /** Frame number, 1-based, as tshark counts. */
  frame: number;
  /** Capture timestamp, epoch milliseconds (fractional part kept). */
  timestamp: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  transport: 'udp' | 'tcp';
  /** UDP: the datagram payload. TCP: the bytes of the connection that became in order with this frame. */
  payload: Uint8Array;
  /** TCP only: this direction of the connection ended (FIN/RST); no more chunks will follow. */
  closed?: boolean;
}

export interface ReadCaptureOptions {
  /**
   * Called when the file is damaged (truncated record, bad block). Reading stops there either way; without
   * a handler the error is thrown after everything read before it was yielded.
   */
  onError?: (err: DecodeError) => void;
}

/** One link-layer frame of a capture file. */
export interface CaptureFrame {
  frame: number;
  timestamp: number;
  linkType: number;
  data: Uint8Array;
}

const PCAPNG_SHB = 0x0a0d0d0a;

/**
 * Classic pcap (both byte orders, µs and ns) and pcapng (SHB/IDB/EPB/SPB/OPB, per-interface link type
 * and timestamp resolution). Yields UDP datagrams and TCP stream chunks (reassembled in sequence order)
 * in capture order (a fragmented datagram at the frame of its last fragment). Link types: Ethernet, Linux
 * cooked v1/v2, raw IP, BSD loopback (see link.ts).
 */
export function* readCapture(file: Uint8Array, opts: ReadCaptureOptions = {}): Generator<CapturedPayload> {
  const tcp = new TcpReassembler();
  const defrag = new IpDefragmenter();
  let failure: DecodeError | null = null;
  const frames = captureFrames(file, (e) => {
    failure = e;
  });
  for (const f of frames) {
    const packet = parseLink(f.linkType, f.data);
    const ip = packet && defrag.push(packet);
    if (!ip) continue;
    const seg = ip.segment;
    if (ip.proto === 17) {
      if (seg.length < 8) continue;
      const udpLen = (seg[4] << 8) | seg[5];
      // The UDP length trims padding; a zero length (jumbograms) or overlong one falls back to the IP length.
      const end = udpLen >= 8 && udpLen <= seg.length ? udpLen : seg.length;
      yield {
        frame: f.frame,
        timestamp: f.timestamp,
        src: ip.src,
        dst: ip.dst,
        srcPort: (seg[0] << 8) | seg[1],
        dstPort: (seg[2] << 8) | seg[3],
        transport: 'udp',
        payload: seg.subarray(8, end),
      };
    } else if (ip.proto === 6) {
      if (seg.length < 20) continue;
      const hl = (seg[12] >> 4) * 4;
      if (hl < 20 || hl > seg.length) continue;
      const srcPort = (seg[0] << 8) | seg[1];
      const dstPort = (seg[2] << 8) | seg[3];
      const flags = seg[13];
      const seq = ((seg[4] << 24) | (seg[5] << 16) | (seg[6] << 8) | seg[7]) >>> 0;
      const key = `${ip.src}]:${srcPort}>${ip.dst}]:${dstPort}`;
      const r = tcp.push({
        key,
        seq,
        syn: (flags & 0x02) !== 0,
        fin: (flags & 0x01) !== 0,
        rst: (flags & 0x04) !== 0,
        payload: seg.subarray(hl),
      });
      if (r.data.length === 0 && !r.closed) continue;
      const out: CapturedPayload = {
        frame: f.frame,
        timestamp: f.timestamp,
        src: ip.src,
        dst: ip.dst,
        srcPort,
        dstPort,
        transport: 'tcp',
        payload: r.data,
      };
      if (r.closed) out.closed = true;
      yield out;
    }
  }
  const err = failure as DecodeError | null;
  if (err) {
    if (opts.onError) opts.onError(err);
    else throw err;
  }
}

/** The link-layer frames of a classic pcap or pcapng file; damage ends the walk and is reported. */
export function* captureFrames(file: Uint8Array, onError: (e: DecodeError) => void): Generator<CaptureFrame> {
  if (file.length < 4) {
    onError(new DecodeError('truncated', `capture file of ${file.length} bytes has no header`));
    return;
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0, true) === PCAPNG_SHB) yield* pcapngFrames(file, view, onError);
  else yield* pcapFrames(file, view, onError);
}

function* pcapFrames(
  file: Uint8Array,
  view: DataView,
  onError: (e: DecodeError) => void,
): Generator<CaptureFrame> {
  const magic = view.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else {
    onError(new DecodeError('unknown_protocol', 'not a pcap or pcapng capture (unknown magic number)'));
    return;
  }
  if (file.length < 24) {
    onError(new DecodeError('truncated', 'pcap file shorter than its 24-byte global header'));
    return;
  }
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  // The upper bits of the link-type field may carry FCS information (pcap spec, LinkType field).
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  let off = 24;
  let frame = 0;
  while (off < file.length) {
    if (off + 16 > file.length) {
      onError(truncated(`pcap record header of frame ${frame + 1} at offset ${off}`, off));
      return;
    }
    const sec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const incl = view.getUint32(off + 8, le);
    if (off + 16 + incl > file.length) {
      onError(truncated(`pcap frame ${frame + 1} at offset ${off} (${incl} bytes captured)`, off));
      return;
    }
    frame++;
    yield {
      frame,
      timestamp: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3),
      linkType,
      data: file.subarray(off + 16, off + 16 + incl),
    };
    off += 16 + incl;
  }
}

interface PcapngInterface {
  linkType: number;
  /** Timestamp units per second. */
  unitsPerSec: number;
  /** if_tsoffset, seconds. */
  offsetSec: number;
  snapLen: number;
}

const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
const BT_EPB = 6;

/** pcapng (draft-ietf-opsawg-pcapng): sections of blocks, each section with its own byte order. */
function* pcapngFrames(
  file: Uint8Array,
  view: DataView,
  onError: (e: DecodeError) => void,
): Generator<CaptureFrame> {
  let off = 0;
  let le = true;
  let ifaces: PcapngInterface[] = [];
  let frame = 0;
  let lastTs = 0;
  while (off < file.length) {
    if (off + 12 > file.length) {
      onError(truncated(`pcapng block header at offset ${off}`, off));
      return;
    }
    let type = view.getUint32(off, le);
    if (view.getUint32(off, true) === PCAPNG_SHB) {
      // Section header: its byte-order magic decides the order of everything in the section.
      if (off + 28 > file.length) {
        onError(truncated(`pcapng section header at offset ${off}`, off));
        return;
      }
      const bom = view.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else {
        onError(new DecodeError('bad_value', `pcapng section at offset ${off} has a bad byte-order magic`));
        return;
      }
      type = PCAPNG_SHB;
      ifaces = [];
    }
    const len = view.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > file.length) {
      onError(
        len < 12 || len % 4 !== 0
          ? new DecodeError('bad_length', `pcapng block at offset ${off} has length ${len}`, { offset: off })
          : truncated(`pcapng block at offset ${off} (${len} bytes)`, off),
      );
      return;
    }
    const body = off + 8;
    const bodyEnd = off + len - 4;
    if (type === BT_IDB && bodyEnd - body >= 8) {
      ifaces.push(parseIdb(file, view, body, bodyEnd, le));
    } else if (type === BT_EPB || type === BT_OPB) {
      const epb = type === BT_EPB;
      const need = epb ? 20 : 20;
      if (bodyEnd - body < need) {
        onError(
          new DecodeError('bad_length', `pcapng packet block at offset ${off} too short`, { offset: off }),
        );
        return;
      }
      const ifId = epb ? view.getUint32(body, le) : view.getUint16(body, le);
      const tsHigh = view.getUint32(body + 4, le);
      const tsLow = view.getUint32(body + 8, le);
      const capLen = view.getUint32(body + 12, le);
      const iface = ifaces[ifId];
      if (body + 20 + capLen > bodyEnd) {
        onError(
          new DecodeError('bad_length', `pcapng packet at offset ${off} overruns its block`, { offset: off }),
        );
        return;
      }
      frame++;
      if (iface) {
        lastTs = ((tsHigh * 4294967296 + tsLow) / iface.unitsPerSec + iface.offsetSec) * 1000;
        yield {
          frame,
          timestamp: lastTs,
          linkType: iface.linkType,
          data: file.subarray(body + 20, body + 20 + capLen),
        };
      }
    } else if (type === BT_SPB) {
      // Simple packet block: interface 0, no timestamp (the previous one is reused), captured length implied.
      const iface = ifaces[0];
      frame++;
      if (iface && bodyEnd - body >= 4) {
        const origLen = view.getUint32(body, le);
        const capLen = Math.min(origLen, bodyEnd - body - 4, iface.snapLen || Number.MAX_SAFE_INTEGER);
        yield {
          frame,
          timestamp: lastTs,
          linkType: iface.linkType,
          data: file.subarray(body + 4, body + 4 + capLen),
        };
      }
    }
    off += len;
  }
}

const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;

function parseIdb(file: Uint8Array, view: DataView, body: number, end: number, le: boolean): PcapngInterface {
  const iface: PcapngInterface = {
    linkType: view.getUint16(body, le),
    unitsPerSec: 1e6,
    offsetSec: 0,
    snapLen: view.getUint32(body + 4, le),
  };
  let p = body + 8;
  while (p + 4 <= end) {
    const code = view.getUint16(p, le);
    const olen = view.getUint16(p + 2, le);
    if (code === 0 || p + 4 + olen > end) break;
    if (code === OPT_TSRESOL && olen >= 1) {
      const v = file[p + 4];
      // High bit clear: 10^-v seconds; set: 2^-v seconds (pcapng if_tsresol).
      iface.unitsPerSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    } else if (code === OPT_TSOFFSET && olen >= 8) {
      const hi = view.getInt32(p + 4 + (le ? 4 : 0), le);
      const lo = view.getUint32(p + 4 + (le ? 0 : 4), le);
      iface.offsetSec = hi * 4294967296 + lo;
    }
    p += 4 + ((olen + 3) & ~3);
  }
  return iface;
}

function truncated(what: string, offset: number): DecodeError {
  return new DecodeError('truncated', `capture truncated: ${what} runs past the end of the file`, { offset });
}
