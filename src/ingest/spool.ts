import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
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
 * {"$enc": format, "id": batch id, ...}. A line is complete only with its trailing newline: a torn last
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
  private segments: { seq: number; bytes: number; batches: number }[] = [];
  private fd: number | null = null;
  private lastSync = 0;
  /** Batches already replayed from the oldest segment. */
  private readOffset = 0;
  private cache: { seq: number; lines: string[] } | null = null;
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
        return { seq, bytes: statSync(this.path(seq)).size, batches: countLines(text, complete) };
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
    return this.appendLine(`${JSON.stringify(line, replacer)}\n`);
  }

  /**
   * Encoded rows as one line (an object, where a records line is an array); the bytes go base64. Same
   * bound, order and fsync policy as append().
   */
  appendEncoded(e: SpooledEncoded): boolean {
    const b64 = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.length).toString('base64');
    const { format: $enc, id, uncertain, rows, starts } = e;
    return this.appendLine(`${JSON.stringify({ $enc, id, uncertain, rows, starts, b64 })}\n`);
  }

  private appendLine(line: string): boolean {
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.opts.maxBytes) return false;
    let last = this.segments[this.segments.length - 1];
    if (!last || this.fd === null || last.bytes + size > (this.opts.segmentBytes ?? 64 * 1024 * 1024)) {
      this.closeSegment();
      const seq = last ? last.seq + 1 : 1;
      this.fd = openSync(this.path(seq), 'a');
      last = { seq, bytes: 0, batches: 0 };
      this.segments.push(last);
    }
    writeSync(this.fd, line);
    last.bytes += size;
    last.batches++;
    const now = Date.now();
    if (this.opts.fsync === 'every' || (this.opts.fsync === 'interval' && now - this.lastSync >= 1000)) {
      fsyncSync(this.fd);
      this.lastSync = now;
    }
    return true;
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
        if (this.cache?.seq !== seg.seq || this.cache.lines.length - 1 <= this.readOffset) {
          // The segment being appended to is flushed by writeSync already; read what is complete.
          const text = readFileSync(this.path(seg.seq), 'utf8');
          this.cache = { seq: seg.seq, lines: text.slice(0, text.lastIndexOf('\n') + 1).split('\n') };
        }
        const line = this.cache.lines[this.readOffset];
        if (line !== undefined && line !== '') {
          if (line.startsWith('{"$enc"')) {
            const o = JSON.parse(line) as SpooledMeta & {
              $enc: string;
              rows: number;
              starts: number[];
              b64: string;
            };
            const data = Buffer.from(o.b64, 'base64');
            return { id: o.id, uncertain: o.uncertain, format: o.$enc, rows: o.rows, starts: o.starts, data };
          }
          const o = JSON.parse(line, reviver) as
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
  }

  private dropOldest(): void {
    const seg = this.segments.shift();
    if (!seg) return;
    if (this.segments.length === 0) this.closeSegment();
    unlinkSync(this.path(seg.seq));
    this.readOffset = 0;
    this.cache = null;
  }

  private closeSegment(): void {
    if (this.fd !== null) {
      if (this.opts.fsync !== 'never') fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private path(seq: number): string {
    return join(this.opts.dir, `seg-${String(seq).padStart(20, '0')}.ndjson`);
  }
}

function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { $n: v.toString() };
  if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('hex') };
  return v;
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
