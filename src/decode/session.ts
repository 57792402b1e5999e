import { asDecodeError, DecodeError } from '../core/errors.js';
import { detectProtocol } from './detect.js';
import { decodeIpfix, IpfixStreamFramer } from './ipfix/index.js';
import { decodeNetflowV5, type V5Record } from './netflow5/index.js';
import { decodeNetflowV9 } from './netflow9/index.js';
import { decodeSflow, type SflowSample } from './sflow/index.js';
import { ExporterState } from './state.js';
import {
  pendingCount,
  restoreTemplateState,
  snapshotTemplateState,
  type TemplateRecord,
} from './template/index.js';
import type { Datagram, DecodeOutput, DomainStats } from './types.js';

/** What one datagram decoded to, tagged by protocol so the normalizer picks the matching mapping. */
export type SessionOutput =
  | ({ protocol: 'netflow_v5' } & DecodeOutput<V5Record>)
  | ({ protocol: 'netflow_v9' | 'ipfix' } & DecodeOutput<TemplateRecord>)
  | ({ protocol: 'sflow_v5' } & DecodeOutput<SflowSample>)
  | ({ protocol: null } & DecodeOutput<never>);

/** One TCP connection from an exporter. */
export interface StreamConn {
  id: string;
  exporter: string;
  exporterPort: number;
}

/** JSON-serializable state of every exporter (templates, sampling tables) to survive a restart. */
export interface SessionSnapshot {
  version: 1;
  exporters: Record<string, unknown>;
}

/**
 * The decode session: one ExporterState per exporter address, dispatch by content (detectProtocol, never
 * by port), snapshot/restore of all state. Decoders are pure; the session is the only place that owns
 * state across datagrams. It never throws: anything unexpected at a decoder boundary becomes 'internal'.
 */
export class DecodeSession {
  readonly exporters = new Map<string, ExporterState>();
  private readonly framers = new Map<string, MessageFramer>();
  private readonly sniff = new Map<string, Uint8Array>();

  state(exporter: string): ExporterState {
    let s = this.exporters.get(exporter);
    if (!s) {
      s = new ExporterState(exporter);
      this.exporters.set(exporter, s);
    }
    return s;
  }

  decode(dg: Datagram): SessionOutput {
    const protocol = detectProtocol(dg.bytes);
    const ctx = { exporter: dg.exporter };
    try {
      switch (protocol) {
        case 'netflow_v5':
          return { protocol, ...decodeNetflowV5(dg, this.state(dg.exporter)) };
        case 'netflow_v9':
          return { protocol, ...decodeNetflowV9(dg, this.state(dg.exporter)) };
        case 'ipfix':
          return { protocol, ...decodeIpfix(dg, this.state(dg.exporter)) };
        case 'sflow_v5':
          return { protocol, ...decodeSflow(dg, this.state(dg.exporter)) };
        case null:
          return {
            protocol: null,
            records: [],
            errors: [new DecodeError('unknown_protocol', describeUnknown(dg.bytes), ctx)],
          };
      }
    } catch (err) {
      return { protocol: null, records: [], errors: [asDecodeError(err, ctx)] };
    }
  }

  /**
   * Export messages over a TCP connection (IPFIX RFC 7011 section 10.4, NetFlow v9 from softflowd):
   * `chunk` is the next in-order bytes of connection `conn.id`; the framer is chosen by the first bytes.
   */
  decodeStream(conn: StreamConn, chunk: Uint8Array, receivedAt: number): SessionOutput[] {
    let framer = this.framers.get(conn.id);
    if (!framer) {
      const head = concat(this.sniff.get(conn.id) ?? new Uint8Array(0), chunk);
      if (head.length < 2) {
        this.sniff.set(conn.id, head);
        return [];
      }
      this.sniff.delete(conn.id);
      const version = (head[0] << 8) | head[1];
      if (version === 10) framer = new IpfixFramer();
      else if (version === 9) framer = new V9Framer();
      else {
        // Not a stream protocol we know: reported once, the rest of the connection is ignored.
        this.framers.set(conn.id, new IgnoreFramer());
        const ctx = { exporter: conn.exporter };
        return [
          {
            protocol: null,
            records: [],
            errors: [new DecodeError('unknown_protocol', `TCP stream ${describeUnknown(head)}`, ctx)],
          },
        ];
      }
      this.framers.set(conn.id, framer);
      chunk = head;
    }
    const out: SessionOutput[] = [];
    for (const bytes of framer.push(chunk)) {
      out.push(this.decode({ bytes, exporter: conn.exporter, exporterPort: conn.exporterPort, receivedAt }));
    }
    const errors = framer.takeErrors?.() ?? [];
    if (errors.length) {
      for (const e of errors) e.context.exporter ??= conn.exporter;
      out.push({ protocol: null, records: [], errors });
    }
    return out;
  }

  closeStream(id: string): void {
    this.framers.delete(id);
    this.sniff.delete(id);
  }

  /** Health of every (exporter, protocol, domain) seen. */
  stats(): DomainStats[] {
    const out: DomainStats[] = [];
    for (const s of this.exporters.values()) for (const d of s.stats.values()) out.push(d);
    return out;
  }

  /** Data waiting for a template, over all exporters. */
  pendingCount(): number {
    let n = 0;
    for (const s of this.exporters.values()) n += pendingCount(s);
    return n;
  }

  /** Template, sampling-options and pending-data state of every exporter that has any. */
  snapshot(): SessionSnapshot {
    const exporters: Record<string, unknown> = {};
    for (const [addr, s] of this.exporters) {
      if (s.slots.has(TEMPLATE_SLOT)) exporters[addr] = { template: snapshotTemplateState(s) };
    }
    return { version: 1, exporters };
  }

  /**
   * Adds the state of a snapshot (corrupt or unknown entries are skipped, never thrown on). `copy`: another
   * decoder restores the same snapshot and decodes the data it held; this one learns from it only.
   */
  restore(snap: SessionSnapshot, copy = false): void {
    if (snap?.version !== 1 || typeof snap.exporters !== 'object' || snap.exporters === null) return;
    for (const [addr, entry] of Object.entries(snap.exporters)) {
      const template = (entry as { template?: unknown } | null)?.template;
      if (template !== undefined) restoreTemplateState(this.state(addr), template, copy);
    }
  }
}

function describeUnknown(b: Uint8Array): string {
  const head = Buffer.from(b.subarray(0, 8)).toString('hex');
  return `not NetFlow v5/v9, IPFIX or sFlow v5 (${b.length} bytes, starts ${head || 'empty'})`;
}

/** The ExporterState slot the template protocols keep their state in (decode/template/state.ts). */
const TEMPLATE_SLOT = 'template';

/** Splits a TCP byte stream into export messages. */
export interface MessageFramer {
  push(chunk: Uint8Array): Uint8Array[];
  /** Framing errors since the last call (resynchronisation, dropped bytes). */
  takeErrors?(): DecodeError[];
}

/** Longest message a framer buffers before it gives up on a connection (v9 messages fit a datagram). */
const MAX_MESSAGE = 65535;

/** IPFIX over TCP (RFC 7011 section 10.4) through the IPFIX framer, its resynchronisations as errors. */
class IpfixFramer implements MessageFramer {
  private readonly inner = new IpfixStreamFramer();
  private seen = 0;
  push(chunk: Uint8Array): Uint8Array[] {
    return this.inner.push(chunk);
  }
  takeErrors(): DecodeError[] {
    if (this.inner.errorCount === this.seen || !this.inner.lastError) return [];
    const n = this.inner.errorCount - this.seen;
    this.seen = this.inner.errorCount;
    const e = this.inner.lastError;
    return [new DecodeError(e.code, n > 1 ? `${e.message} (${n} times)` : e.message, e.context)];
  }
}

/** A connection that carries no export protocol (BMP, BGP next to IPFIX in pmacct captures): ignored. */
class IgnoreFramer implements MessageFramer {
  push(): Uint8Array[] {
    return [];
  }
}

/**
 * NetFlow v9 over TCP (softflowd -P tcp) is not standardized and the v9 header has no length (RFC 3954
 * section 5.1), so the framer walks flowsets by their length fields: a message ends where a new header
 * (version 9, which is never a valid flowset id: ids 2-255 are reserved) starts, or where the buffered
 * bytes end exactly on a flowset boundary (exporters write one message per send). A continuation that
 * arrives later without a header gets the previous message's header again.
 */
export class V9Framer implements MessageFramer {
  private buf: Uint8Array = new Uint8Array(0);
  private lastHeader: Uint8Array | null = null;
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = concat(this.buf, chunk);
    const out: Uint8Array[] = [];
    let start = 0;
    const b = this.buf;
    while (b.length - start >= 20) {
      if (((b[start] << 8) | b[start + 1]) !== 9) {
        // Continuation of the previous message (or garbage): re-attach the last header.
        if (!this.lastHeader) return this.reset(out);
        const end = this.walk(start);
        if (end < 0) break;
        out.push(concat(this.lastHeader, b.subarray(start, end)));
        start = end;
        continue;
      }
      const end = this.walk(start + 20);
      if (end < 0) break;
      this.lastHeader = b.slice(start, start + 20);
      out.push(b.slice(start, end));
      start = end;
    }
    if (b.length - start > MAX_MESSAGE) return this.reset(out);
    this.buf = b.slice(start);
    return out;
  }

  /** End of the flowsets from `off`: at a following v9 header or at the buffer end; -1 if incomplete. */
  private walk(off: number): number {
    const b = this.buf;
    while (off < b.length) {
      if (b.length - off < 4) return -1;
      const id = (b[off] << 8) | b[off + 1];
      if (id === 9) return off;
      const len = (b[off + 2] << 8) | b[off + 3];
      if (len < 4) return b.length; // unframeable: hand the rest to the decoder, which reports it
      if (b.length - off < len) return -1;
      off += len;
    }
    return off;
  }

  private reset(out: Uint8Array[]): Uint8Array[] {
    this.buf = new Uint8Array(0);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
