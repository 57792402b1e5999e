import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { FlowRecord } from '../core/record.js';

/**
 * What the spool keeps with each batch besides its rows: the batch id (the store's key for storing it
 * once) and the store keys of inserts of it whose outcome is unknown (see writer.ts). A line written before
 * batches had ids has neither.
 */
export interface SpooledMeta {
  id?: string;
  uncertain?: string[];
}

export interface SpooledRecords extends SpooledMeta {
  records: FlowRecord[];
}

/** Rows spooled in a store's own encoding (RowEncoding), replayed only into a store of the same format. */
export interface SpooledEncoded extends SpooledMeta {
  format: string;
  data: Uint8Array;
  rows: number;
  /** Per 5-minute window, the earliest flow_start (see EncodedChunk). */
  starts: number[];
}

export type FsyncPolicy = 'every' | 'interval' | 'never';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  fsync: FsyncPolicy;
  /** A segment file is closed and a new one begun beyond this size. */
  segmentBytes?: number;
}

/**
 * Bounded on-disk spool of flow batches, replayed in order when the store comes back (and at the next start
 * after a crash).
 *
 * Layout: `<dir>/seg-<20-digit number>.ndjson`, segments in numeric order, one batch per line: records as
 * {"$rec": batch id, "uncertain": [...], "records": [...]} (bigint counters as {"$n":"..."}, byte arrays as
 * {"$b":"<hex>"}; a bare JSON array of records is a line from before batch ids), encoded rows as
 * {"$enc": format, "id": batch id, ..., "bin": [offset, length]} with the bytes in the segment's
 * `seg-<n>.bin`, written before the line (a line of an older spool holds them as "b64": a 500 k-row batch
 * was a 130 MB string to build, scan and parse on serve's receive thread, for every batch spooled while
 * the store was behind). A line is complete only with its trailing newline: a torn last
 * line from a crash is ignored (counted as `torn`). Replay progress lives in memory; a fully replayed
 * segment is deleted. A crash during replay hands the batches of the current segment that were already
 * replayed to the store again: the spool is at-least-once, and the batch id kept with each line is what
 * lets the store keep them once (exactly-once storage, writer.ts).
 *
 * fsync policy: `every` fsyncs each appended batch before append() returns (nothing acknowledged is lost on
 * power failure); `interval` at most once per second (a second's worth may be lost); `never` leaves it to the
 * OS (survives a process crash, not a power failure).
 */
export class Spool {
  /** bytes: the line file and its bin file together. */
  private segments: { seq: number; bytes: number; batches: number; binBytes: number }[] = [];
  private fd: number | null = null;
  /** The live segment's bin file (appended to), and the oldest segment's (read from) when another. */
  private binFd: number | null = null;
  private readBin: { seq: number; fd: number } | null = null;
  private lastSync = 0;
  /** Batches already replayed from the oldest segment. */
  private readOffset = 0;
  /**
   * The oldest segment's complete lines read so far, and how many of its bytes they are: reading goes on
   * from there (the whole file was read again for every line appended to a live segment once the reader
   * had caught up with it: with the store behind, that took most of serve's receive thread).
   */
  private cache: { seq: number; lines: string[]; bytes: number } | null = null;
  torn = 0;

  constructor(private readonly opts: SpoolOptions) {}

  open(): void {
    mkdirSync(this.opts.dir, { recursive: true });
    this.segments = readdirSync(this.opts.dir)
      .map((f) => /^seg-(\d{20})\.ndjson$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => {
        const seq = Number(m[1]);
        const text = readFileSync(this.path(seq), 'utf8');
        const complete = text.lastIndexOf('\n') + 1;
        if (complete < text.length) this.torn++;
        const binBytes = existsSync(this.path(seq, 'bin')) ? statSync(this.path(seq, 'bin')).size : 0;
        const bytes = statSync(this.path(seq)).size + binBytes;
        return { seq, bytes, batches: countLines(text, complete), binBytes };
      })
      .sort((a, b) => a.seq - b.seq);
  }

  get bytes(): number {
    let b = 0;
    for (const s of this.segments) b += s.bytes;
    return b;
  }

  get batches(): number {
    let n = 0;
    for (const s of this.segments) n += s.batches;
    return n - this.readOffset;
  }

  get empty(): boolean {
    return this.batches === 0;
  }

  /**
   * false: the spool is full and the batch was not written (the caller counts spool_full). Without an id
   * the line is written as before batch ids (tests of old spools).
   */
  append(records: readonly FlowRecord[], meta: SpooledMeta = {}): boolean {
    const line =
      meta.id === undefined
        ? records
        : { $rec: meta.id, uncertain: meta.uncertain?.length ? meta.uncertain : undefined, records };
    // The replacer is called for every key of every record (most of serve's receive thread while a slow
    // store made it spool): only lines that hold a bigint or bytes take it.
    return this.appendLine(`${JSON.stringify(line, records.some(special) ? replacer : undefined)}\n`);
  }

  /**
   * Encoded rows as one line (an object, where a records line is an array); the bytes go base64. Same
   * bound, order and fsync policy as append().
   */
  appendEncoded(
    e: Omit<SpooledEncoded, 'data'> & {
      /** Written as given (a batch's chunks one after the other); read back as one buffer. */
      data: Uint8Array | readonly Uint8Array[];
    },
  ): boolean {
    const chunks = e.data instanceof Uint8Array ? [e.data] : e.data;
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const { format: $enc, id, uncertain, rows, starts } = e;
    // The line's size with the widest offset: the bound is checked before anything is written.
    const bound = `${JSON.stringify({ $enc, id, uncertain, rows, starts, bin: [Number.MAX_SAFE_INTEGER, length] })}\n`;
    const seg = this.segmentFor(Buffer.byteLength(bound) + length);
    if (!seg) return false;
    if (this.binFd === null) this.binFd = openSync(this.path(seg.seq, 'bin'), 'a');
    const offset = seg.binBytes;
    for (const c of chunks) writeSync(this.binFd, c);
    seg.binBytes += length;
    seg.bytes += length;
    // The bytes before the line that points at them: a crash between the two leaves unreferenced bytes only.
    if (this.syncDue()) fsyncSync(this.binFd);
    this.writeLine(seg, `${JSON.stringify({ $enc, id, uncertain, rows, starts, bin: [offset, length] })}\n`);
    return true;
  }

  private appendLine(line: string): boolean {
    const size = Buffer.byteLength(line);
    const seg = this.segmentFor(size);
    if (!seg) return false;
    this.writeLine(seg, line, size);
    return true;
  }

  /** The live segment with room for `size` more bytes (a new one begun if not), or null: spool full. */
  private segmentFor(size: number): Spool['segments'][number] | null {
    if (this.bytes + size > this.opts.maxBytes) return null;
    let last = this.segments[this.segments.length - 1];
    if (!last || this.fd === null || last.bytes + size > (this.opts.segmentBytes ?? 64 * 1024 * 1024)) {
      this.closeSegment();
      const seq = last ? last.seq + 1 : 1;
      this.fd = openSync(this.path(seq), 'a');
      last = { seq, bytes: 0, batches: 0, binBytes: 0 };
      this.segments.push(last);
    }
    return last;
  }

  private writeLine(seg: Spool['segments'][number], line: string, size = Buffer.byteLength(line)): void {
    if (this.fd === null) throw new Error('spool: no live segment');
    writeSync(this.fd, line);
    seg.bytes += size;
    seg.batches++;
    if (this.syncDue()) {
      fsyncSync(this.fd);
      this.lastSync = Date.now();
    }
  }

  /** Whether the fsync policy asks for a sync now (`interval`: a second since the last). */
  private syncDue(): boolean {
    return (
      this.opts.fsync === 'every' || (this.opts.fsync === 'interval' && Date.now() - this.lastSync >= 1000)
    );
  }

  /** The oldest batch not yet replayed (records only: see peekBatch for encoded lines), or null. */
  peek(): FlowRecord[] | null {
    const b = this.peekBatch();
    if (b !== null && !('records' in b))
      throw new Error('spool: the oldest batch is encoded (use peekBatch)');
    return b?.records ?? null;
  }

  /** The oldest batch not yet replayed (records or encoded rows), or null. Call `ack()` once it is stored. */
  peekBatch(): SpooledRecords | SpooledEncoded | null {
    while (this.segments.length) {
      const seg = this.segments[0];
      if (this.readOffset < seg.batches) {
        if (this.cache?.seq !== seg.seq) this.cache = { seq: seg.seq, lines: [], bytes: 0 };
        // The segment being appended to is flushed by writeSync already; read what is complete.
        if (this.cache.lines.length <= this.readOffset) this.readLines(this.cache);
        const line = this.cache.lines[this.readOffset];
        if (line !== undefined && line !== '') {
          if (line.startsWith('{"$enc"')) {
            const o = JSON.parse(line) as SpooledMeta & {
              $enc: string;
              rows: number;
              starts: number[];
              bin?: [number, number];
              b64?: string;
            };
            const data = o.bin ? this.readBinary(seg.seq, o.bin) : Buffer.from(o.b64 ?? '', 'base64');
            return { id: o.id, uncertain: o.uncertain, format: o.$enc, rows: o.rows, starts: o.starts, data };
          }
          // Only a line holding an escaped bigint or byte array needs the (slow) reviver on every value.
          const o = JSON.parse(line, ESCAPE_TEXT.test(line) ? reviver : undefined) as
            | FlowRecord[]
            | (SpooledMeta & { $rec: string; records: FlowRecord[] });
          if (Array.isArray(o)) return { records: o };
          return { id: o.$rec, uncertain: o.uncertain, records: o.records };
        }
      }
      if (this.segments.length === 1 && this.fd !== null) return null; // live segment, nothing more yet
      this.dropOldest();
    }
    return null;
  }

  ack(): void {
    this.readOffset++;
    const seg = this.segments[0];
    if (seg && this.readOffset >= seg.batches) {
      if (this.segments.length === 1) this.closeSegment();
      this.dropOldest();
    }
  }

  close(): void {
    this.closeSegment();
    this.closeReadBin();
  }

  /** Appends the complete lines written to the segment past `c.bytes` (a torn last line stays unread). */
  private readLines(c: { seq: number; lines: string[]; bytes: number }): void {
    const fd = openSync(this.path(c.seq), 'r');
    try {
      const more = fstatSync(fd).size - c.bytes;
      if (more <= 0) return;
      const buf = Buffer.allocUnsafe(more);
      let got = 0;
      while (got < more) {
        const n = readSync(fd, buf, got, more - got, c.bytes + got);
        if (n === 0) break;
        got += n;
      }
      // Up to the last newline byte: never inside a UTF-8 sequence, so the text decodes whole.
      const end = buf.lastIndexOf(0x0a, got - 1) + 1;
      if (end === 0) return;
      const lines = buf.toString('utf8', 0, end - 1).split('\n');
      for (const l of lines) c.lines.push(l);
      c.bytes += end;
    } finally {
      closeSync(fd);
    }
  }

  /** An encoded batch's bytes from the segment's bin file (the live segment's too: written by writeSync). */
  private readBinary(seq: number, [offset, length]: [number, number]): Buffer {
    if (this.readBin?.seq !== seq) {
      this.closeReadBin();
      this.readBin = { seq, fd: openSync(this.path(seq, 'bin'), 'r') };
    }
    const data = Buffer.allocUnsafe(length);
    for (let got = 0; got < length; ) {
      const n = readSync(this.readBin.fd, data, got, length - got, offset + got);
      if (n === 0) throw new Error(`spool: ${this.path(seq, 'bin')} ends before byte ${offset + length}`);
      got += n;
    }
    return data;
  }

  private closeReadBin(): void {
    if (this.readBin) closeSync(this.readBin.fd);
    this.readBin = null;
  }

  private dropOldest(): void {
    const seg = this.segments.shift();
    if (!seg) return;
    if (this.segments.length === 0) this.closeSegment();
    if (this.readBin?.seq === seg.seq) this.closeReadBin();
    unlinkSync(this.path(seg.seq));
    if (existsSync(this.path(seg.seq, 'bin'))) unlinkSync(this.path(seg.seq, 'bin'));
    this.readOffset = 0;
    this.cache = null;
  }

  private closeSegment(): void {
    for (const fd of [this.binFd, this.fd]) {
      if (fd === null) continue;
      if (this.opts.fsync !== 'never') fsyncSync(fd);
      closeSync(fd);
    }
    this.fd = null;
    this.binFd = null;
  }

  private path(seq: number, kind: 'ndjson' | 'bin' = 'ndjson'): string {
    return join(this.opts.dir, `seg-${String(seq).padStart(20, '0')}.${kind}`);
  }
}

function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** A value JSON cannot carry as it is: written escaped by replacer, read back by reviver. */
function escaped(v: unknown): boolean {
  return typeof v === 'bigint' || v instanceof Uint8Array;
}

/** The escapes' opening text: a line without it is parsed without the reviver. */
const ESCAPE_TEXT = /\{"\$[nb]":/;

/** Whether a record holds an escaped value (counters, or anywhere in extended_fields). */
function special(r: FlowRecord): boolean {
  return escaped(r.bytes_total) || escaped(r.packets_total) || holdsEscaped(r.extended_fields);
}

function holdsEscaped(v: unknown): boolean {
  if (escaped(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(holdsEscaped);
  for (const k in v as Record<string, unknown>)
    if (holdsEscaped((v as Record<string, unknown>)[k])) return true;
  return false;
}

function replacer(_key: string, v: unknown): unknown {
  if (!escaped(v)) return v;
  return typeof v === 'bigint' ? { $n: v.toString() } : { $b: Buffer.from(v as Uint8Array).toString('hex') };
}

function reviver(_key: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$n === 'string' && Object.keys(o).length === 1) return BigInt(o.$n);
    if (typeof o.$b === 'string' && Object.keys(o).length === 1)
      return new Uint8Array(Buffer.from(o.$b, 'hex'));
  }
  return v;
}
