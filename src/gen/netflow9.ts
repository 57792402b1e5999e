import { ByteWriter } from '../wire/writer.js';
import type { EncodedPacket, EncoderOptions, PacketEncoder } from './encoder.js';
import { type FieldDef, NSEL_FIELDS, v9Fields, type WriteContext } from './fields.js';
import type { GenFlow } from './flows.js';
import { SetPacker } from './sets.js';

export const V9_TEMPLATE_IPV4 = 256;
export const V9_TEMPLATE_IPV6 = 257;
export const V9_TEMPLATE_SAMPLER = 258;
export const V9_TEMPLATE_NSEL_IPV4 = 259;
export const V9_TEMPLATE_NSEL_IPV6 = 260;
/** RFC 3954 section 6.1 scope field type 1 = System. */
const SCOPE_SYSTEM = 1;

export interface V9Options extends EncoderOptions {
  /** Send the templates (and sampler options) in the first datagram and then every N datagrams. */
  templateRefresh: number;
  /** FLOW_SAMPLER_ID the data records point at (1..255). */
  samplerId?: number;
  /** Also announce NSEL templates (initiator/responder counters), used by flows that carry `responder`. */
  nsel?: boolean;
}

interface Template {
  id: number;
  fields: FieldDef[];
}

/**
 * NetFlow v9 (RFC 3954): header, then FlowSets. Templates (FlowSet 0) for IPv4 and IPv6 records and, when
 * sampling, an options template (FlowSet 1) plus its data record naming the sampler (FLOW_SAMPLER_ID 48,
 * FLOW_SAMPLER_MODE 49, FLOW_SAMPLER_RANDOM_INTERVAL 50) are resent every `templateRefresh` datagrams, as
 * exporters do over UDP (section 9). Every FlowSet is padded to 4 bytes (section 5.3 "Padding").
 */
export class V9Encoder implements PacketEncoder {
  readonly ipv4Only = false;
  private readonly templates: Template[];
  private readonly ctx: WriteContext;
  private readonly sampled: boolean;
  private w = new ByteWriter(1500);
  private packets = 0;
  private records = 0;
  private templateCount = 0;
  private optionsRecords = 0;
  private readonly sets: SetPacker;
  private exportSecs = 0;

  constructor(private readonly opts: V9Options) {
    this.sets = new SetPacker(this.w);
    this.sampled = opts.samplingRate > 1;
    const v4 = v9Fields(4, this.sampled);
    const v6 = v9Fields(6, this.sampled);
    this.templates = [
      { id: V9_TEMPLATE_IPV4, fields: v4 },
      { id: V9_TEMPLATE_IPV6, fields: v6 },
    ];
    // NSEL records carry no TCP flags (a firewall's connection record): no field 6 there.
    const nsel = (fields: FieldDef[]) => [...fields.filter((f) => f.id !== 6), ...NSEL_FIELDS];
    if (opts.nsel)
      this.templates.push(
        { id: V9_TEMPLATE_NSEL_IPV4, fields: nsel(v4) },
        { id: V9_TEMPLATE_NSEL_IPV6, fields: nsel(v6) },
      );
    this.ctx = { bootTime: opts.bootTime, samplerId: opts.samplerId ?? 1 };
  }

  begin(now: number): void {
    this.w = new ByteWriter(this.opts.mtu + 64);
    this.records = 0;
    this.templateCount = 0;
    this.optionsRecords = 0;
    this.sets.reset(this.w);
    // v9 export time has whole seconds only: sysUptime is taken at that same second so that
    // unix_secs * 1000 - sysUptime + FIRST_SWITCHED gives the flow's time back exactly.
    this.exportSecs = Math.floor(now / 1000);
    this.w
      .u16(9)
      .u16(0) // count, patched in finish()
      .u32(this.exportSecs * 1000 - this.opts.bootTime)
      .u32(this.exportSecs)
      .u32(this.packets) // sequence: export packets sent before this one (section 5.1)
      .u32(this.opts.exporterId);
    if (this.packets % Math.max(1, this.opts.templateRefresh) === 0) this.writeTemplates();
  }

  private writeTemplates(): void {
    const w = this.w;
    const start = this.sets.open(0);
    for (const { id, fields } of this.templates) {
      w.u16(id).u16(fields.length);
      for (const f of fields) w.u16(f.id).u16(f.length);
      this.templateCount++;
    }
    this.sets.close(start);
    if (!this.sampled) return;
    // Options template: scope System (4 bytes, the source id), then sampler id / mode / interval.
    const ot = this.sets.open(1);
    w.u16(V9_TEMPLATE_SAMPLER).u16(4).u16(12);
    w.u16(SCOPE_SYSTEM).u16(4);
    w.u16(48).u16(1).u16(49).u16(1).u16(50).u16(4);
    this.sets.close(ot);
    this.templateCount++;
    const od = this.sets.open(V9_TEMPLATE_SAMPLER);
    w.u32(this.opts.exporterId).u8(this.ctx.samplerId).u8(2).u32(this.opts.samplingRate);
    this.sets.close(od);
    this.optionsRecords++;
  }

  /** The template a flow goes under: plain, or NSEL when it carries responder counters. */
  private templateOf(f: GenFlow): Template {
    if (f.responder && !this.opts.nsel) throw new Error('an NSEL record needs the v9 encoder option nsel');
    return this.templates[(f.responder ? 2 : 0) + (f.ipVersion === 4 ? 0 : 1)];
  }

  add(f: GenFlow): GenFlow | null {
    const { id, fields } = this.templateOf(f);
    let size = 0;
    for (const d of fields) size += d.length;
    if (!this.sets.startRecord(id, size, this.opts.mtu)) return null;
    for (const d of fields) d.write(this.w, f, this.ctx);
    this.records++;
    return f;
  }

  finish(): EncodedPacket {
    this.sets.end();
    // Count: every record in the packet, template and options records included (section 5.1).
    this.w.patchU16(2, this.records + this.templateCount + this.optionsRecords);
    this.packets = (this.packets + 1) >>> 0;
    return {
      bytes: this.w.finish(),
      templates: this.templateCount,
      optionsRecords: this.optionsRecords,
      counterSamples: 0,
    };
  }
}
