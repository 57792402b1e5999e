import type { ByteWriter } from '../wire/writer.js';

/**
 * Packs records into NetFlow v9 FlowSets / IPFIX Sets: both have the same 4-byte header (id, length) and are
 * padded to 4 bytes (RFC 3954 section 5.3, RFC 7011 section 3.3.1). Data records of one template share an
 * open set until a record of another template, or the end of the packet, closes it.
 */
export class SetPacker {
  private openId = -1;
  private openAt = 0;

  constructor(private w: ByteWriter) {}

  /** Starts a new packet in `w`. */
  reset(w: ByteWriter): void {
    this.w = w;
    this.openId = -1;
  }

  /** Writes a set header for `id` (length patched by `close`) and returns where the set starts. */
  open(id: number): number {
    const at = this.w.mark();
    this.w.u16(id).u16(0);
    return at;
  }

  /** Pads the set that starts at `at` to 4 bytes and writes its length. */
  close(at: number): void {
    while ((this.w.length - at) % 4 !== 0) this.w.u8(0);
    this.w.patchU16(at + 2, this.w.length - at);
  }

  /**
   * Makes room for one data record of `size` bytes under template `id`: false when it would not fit in `mtu`
   * (counting the worst-case padding), otherwise the record's set is open and the caller writes the record.
   */
  startRecord(id: number, size: number, mtu: number): boolean {
    const opening = this.openId !== id;
    const needed = (opening ? (this.openId >= 0 ? 3 : 0) + 4 : 0) + size + 3;
    if (this.w.length + needed > mtu) return false;
    if (opening) {
      if (this.openId >= 0) this.close(this.openAt);
      this.openId = id;
      this.openAt = this.open(id);
    }
    return true;
  }

  /** Closes the open data set, if any (before the packet is finished). */
  end(): void {
    if (this.openId >= 0) this.close(this.openAt);
    this.openId = -1;
  }
}
