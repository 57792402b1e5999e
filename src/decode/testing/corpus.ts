/**
 * Test helper: the corpus captures copied from shared/corpus (see testdata/corpus/PROVENANCE.md) and their
 * tshark 4.0.17 ground truth (stored gzipped). Used by decoder tests only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata', 'corpus');

export interface CorpusCapture {
  /** Path relative to the corpus folder, e.g. "goflow2/netflow_v5.pcap". */
  name: string;
  path: string;
}

export function listCaptures(): CorpusCapture[] {
  const out: CorpusCapture[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.pcap')) out.push({ name: relative(CORPUS_DIR, p), path: p });
    }
  };
  walk(CORPUS_DIR);
  return out;
}

/** One export PDU as tshark printed it (see PROVENANCE.md "Ground truth"); values are tshark's strings. */
export interface TsharkPacket {
  frame: number;
  src: string;
  dst: string;
  transport: string;
  sport: string;
  dport: string;
  protocol: 'cflow' | 'sflow' | string;
  header?: Record<string, string>;
  records?: Record<string, unknown>[];
  flowsets?: TsharkFlowset[];
  samples?: TsharkSample[];
  expert?: string[];
}

export interface TsharkFlowset {
  'cflow.flowset_id': string;
  templates?: unknown[];
  records?: (Record<string, unknown> & { options_data?: boolean })[];
  options_data?: boolean;
  undecoded?: unknown;
  [key: string]: unknown;
}

export interface TsharkSample {
  label: string;
  fields: Record<string, string>;
  records: { record: string; fields: Record<string, unknown>; decoded_header?: Record<string, unknown> }[];
}

export interface TsharkTruth {
  file: string;
  command: string;
  summary: Record<string, unknown>;
  packets: TsharkPacket[];
  prepended_for_templates?: unknown;
  two_pass?: unknown;
  note?: unknown;
}

/** The single-pass ground truth of a capture (suffix "tshark" or e.g. "tshark-2pass"). */
export function loadTruth(capture: CorpusCapture, suffix = 'tshark'): TsharkTruth | null {
  try {
    return JSON.parse(gunzipSync(readFileSync(`${capture.path}.${suffix}.json.gz`)).toString('utf8'));
  } catch {
    return null;
  }
}
