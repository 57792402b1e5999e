import { ByteWriter } from '../wire/writer.js';
import type { EncodedPacket, EncoderOptions, PacketEncoder } from './encoder.js';
import { BIFLOW_FIELDS, type FieldDef, ipfixFields, type WriteContext } from './fields.js';
import type { GenFlow } from './flows.js';
import { SetPacker } from './sets.js';

const HEADER_LEN = 16;
export const IPFIX_TEMPLATE_IPV4 = 256;
export const IPFIX_TEMPLATE_IPV6 = 257;
export const IPFIX_TEMPLATE_SELECTOR = 258;
export const IPFIX_TEMPLATE_BIFLOW_IPV4 = 259;
export const IPFIX_TEMPLATE_BIFLOW_IPV6 = 260;
const SET_TEMPLATE = 2;
const SET_OPTIONS_TEMPLATE = 3;

export interface IpfixOptions extends EncoderOptions {
  /** Send the templates (and sampling options) in the first message and then every N messages. */
  templateRefresh: number;
  /** Add applicationName (IE 96) as a variable-length field (RFC 7011 section 7). */
  variableLength: boolean;
  /** PSAMP selectorId (IE 302) the data records point at. */
  selectorId?: number;
  /** Also announce biflow templates (RFC 5103), used by flows that carry `reverse`. */
  biflow?: boolean;
}

interface Template {
  id: number;
  fields: FieldDef[];
}

/**
 * IPFIX (RFC 7011): 16-byte message header, Template Set (2), Options Template Set (3) and Data Sets.
 * Sampling is described the PSAMP way (RFC 5477): an options record scoped by selectorId (302) with
 * selectorAlgorithm (304) = 1 (systematic count-based), samplingPacketInterval (305) = 1 and
 * samplingPacketSpace (306) = N - 1, i.e. one packet of every N; data records carry the same selectorId.
 * Sets are padded to 4 bytes (section 3.3.1 allows padding). The sequence number counts Data Records
 * (options data included) sent before the message (section 3.1).
 */
export class IpfixEncoder implements PacketEncoder {
  readonly ipv4Only = false;
  private readonly templates: Template[];
  private readonly ctx: WriteContext;
  private readonly sampled: boolean;
  private w = new ByteWriter(1500);
  private messages = 0;
  private sequence = 0;
  private dataRecords = 0;
  private templateCount = 0;
  private optionsRecords = 0;
  private readonly sets: SetPacker;

  constructor(private readonly opts: IpfixOptions) {
    this.sets = new SetPacker(this.w);
    this.sampled = opts.samplingRate > 1;
    const v4 = ipfixFields(4, this.sampled, opts.variableLength);
    const v6 = ipfixFields(6, this.sampled, opts.variableLength);
    this.templates = [
      { id: IPFIX_TEMPLATE_IPV4, fields: v4 },
      { id: IPFIX_TEMPLATE_IPV6, fields: v6 },
    ];
    if (opts.biflow)
      this.templates.push(
        { id: IPFIX_TEMPLATE_BIFLOW_IPV4, fields: [...v4, ...BIFLOW_FIELDS] },
        { id: IPFIX_TEMPLATE_BIFLOW_IPV6, fields: [...v6, ...BIFLOW_FIELDS] },
      );
    this.ctx = { bootTime: opts.bootTime, samplerId: opts.selectorId ?? 1 };
  }

  begin(now: number): void {
    this.w = new ByteWriter(this.opts.mtu + 64);
    this.dataRecords = 0;
    this.templateCount = 0;
    this.optionsRecords = 0;
    this.sets.reset(this.w);
    this.w
      .u16(10)
      .u16(0) // length, patched in finish()
      .u32(Math.floor(now / 1000))
      .u32(this.sequence)
      .u32(this.opts.exporterId);
    if (this.messages % Math.max(1, this.opts.templateRefresh) === 0) this.writeTemplates();
  }

  private writeTemplates(): void {
    const w = this.w;
    const ts = this.sets.open(SET_TEMPLATE);
    for (const { id, fields } of this.templates) {
      w.u16(id).u16(fields.length);
      for (const f of fields) {
        if (f.pen)
          w.u16(f.id | 0x8000)
            .u16(f.length)
            .u32(f.pen);
        else w.u16(f.id).u16(f.length);
      }
      this.templateCount++;
    }
    this.sets.close(ts);
    if (!this.sampled) return;
    const os = this.sets.open(SET_OPTIONS_TEMPLATE);
    // Template id, field count 4, scope field count 1 (RFC 7011 section 3.4.2.2).
    w.u16(IPFIX_TEMPLATE_SELECTOR).u16(4).u16(1);
    w.u16(302).u16(4).u16(304).u16(2).u16(305).u16(4).u16(306).u16(4);
    this.sets.close(os);
    this.templateCount++;
    const ds = this.sets.open(IPFIX_TEMPLATE_SELECTOR);
    w.u32(this.ctx.samplerId)
      .u16(1)
      .u32(1)
      .u32(this.opts.samplingRate - 1);
    this.sets.close(ds);
    this.optionsRecords++;
  }

  /** The template a flow goes under: plain, or biflow when it carries a reverse direction. */
  private templateOf(f: GenFlow): Template {
    if (f.reverse && !this.opts.biflow)
      throw new Error('a biflow record needs the IPFIX encoder option biflow');
    return this.templates[(f.reverse ? 2 : 0) + (f.ipVersion === 4 ? 0 : 1)];
  }

  add(f: GenFlow): GenFlow | null {
    const { id, fields } = this.templateOf(f);
    let size = 0;
    for (const d of fields) size += d.size ? d.size(f) : d.length;
    if (!this.sets.startRecord(id, size, this.opts.mtu)) return null;
    for (const d of fields) d.write(this.w, f, this.ctx);
    this.dataRecords++;
    return f;
  }

  finish(): EncodedPacket {
    this.sets.end();
    this.w.patchU16(2, this.w.length);
    this.messages++;
    this.sequence = (this.sequence + this.dataRecords + this.optionsRecords) >>> 0;
    return {
      bytes: this.w.finish(),
      templates: this.templateCount,
      optionsRecords: this.optionsRecords,
      counterSamples: 0,
    };
  }
}

export const IPFIX_HEADER_LEN = HEADER_LEN;
