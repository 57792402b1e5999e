/**
 * Sampling state learnt from options data (RFC 3954 section 6.2 / RFC 7011 section 4 + RFC 5476 / 7014
 * PSAMP elements) and resolved for each data record at decode time, so a later options change never
 * rewrites the rate of records already decoded.
 *
 * Keys: (version, domain, sampler id) for options records that carry samplerId (48) / selectorId (302),
 * (version, domain) for options records without one (exporter/domain-wide sampling).
 */
import type { FieldSpec, FieldValue, ResolvedSampling, Template } from './types.js';

export interface SamplingTable {
  /** `${version}:${domain}:${samplerId}` -> rate. */
  bySampler: Map<string, number>;
  /** `${version}:${domain}` -> rate. */
  byDomain: Map<string, number>;
  /** `${version}:${domain}` -> systemInitTimeMilliseconds (IE 160). */
  sysInit: Map<string, number>;
}

export function newSamplingTable(): SamplingTable {
  return { bySampler: new Map(), byDomain: new Map(), sysInit: new Map() };
}

export const NO_SAMPLING: ResolvedSampling = Object.freeze({ rate: 1, source: 'none' }) as ResolvedSampling;

function num(v: FieldValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return 0;
}

/**
 * The 1:N rate stated by these fields, or 0 when they state none. In order of directness:
 * samplingInterval (34) / samplerRandomInterval (50): one packet out of N;
 * samplingPopulation / samplingSize (310/309): N of M packets (RFC 5477);
 * samplingPacketInterval + samplingPacketSpace (305/306): select I, skip S -> (I + S) / I;
 * samplingProbability (311): 1 / p.
 */
export function rateOf(fields: readonly FieldSpec[], values: readonly FieldValue[]): number {
  let interval = 0;
  let size = 0;
  let population = 0;
  let pInterval = 0;
  let pSpace = -1;
  let probability = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.pen !== 0) continue;
    switch (f.id) {
      case 34:
      case 50:
        if (interval === 0) interval = num(values[i]);
        break;
      case 309:
        size = num(values[i]);
        break;
      case 310:
        population = num(values[i]);
        break;
      case 305:
        pInterval = num(values[i]);
        break;
      case 306:
        pSpace = num(values[i]);
        break;
      case 311:
        probability = num(values[i]);
        break;
    }
  }
  if (interval > 0) return interval;
  if (size > 0 && population > 0) return population / size;
  if (pInterval > 0 && pSpace >= 0) return (pInterval + pSpace) / pInterval;
  if (probability > 0 && probability <= 1) return 1 / probability;
  return 0;
}

function samplerIdOf(t: Template, values: readonly FieldValue[]): number | null {
  // Scope or non-scope: an options record names its sampler by 48 or 302 wherever it puts it.
  for (let i = 0; i < t.fields.length; i++) {
    const f = t.fields[i];
    if (f.pen === 0 && (f.id === 48 || f.id === 302)) {
      const v = values[i];
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
    }
  }
  return null;
}

/** Learn sampling and systemInitTimeMilliseconds from one options-data record. */
export function learnOptions(table: SamplingTable, t: Template, values: readonly FieldValue[]): void {
  const dkey = `${t.version}:${t.domain}`;
  for (let i = 0; i < t.fields.length; i++) {
    const f = t.fields[i];
    if (f.pen === 0 && f.id === 160 && typeof values[i] === 'number')
      table.sysInit.set(dkey, values[i] as number);
  }
  const rate = rateOf(t.fields, values);
  if (rate <= 0) return;
  const sid = samplerIdOf(t, values);
  if (sid === null) table.byDomain.set(dkey, rate);
  else table.bySampler.set(`${dkey}:${sid}`, rate);
}

const cache = new Map<number, ResolvedSampling>();
function resolved(rate: number, source: 'record' | 'options'): ResolvedSampling {
  // Shared frozen objects: records of one rate share one sampling object (no per-record allocation).
  const key = source === 'record' ? rate : -rate;
  let r = cache.get(key);
  if (!r) {
    r = Object.freeze({ rate, source });
    if (cache.size < 4096) cache.set(key, r);
  }
  return r;
}

/** Sampling of one data record: its own fields, else its sampler's options, else the domain's options. */
export function resolveSampling(
  table: SamplingTable,
  t: Template,
  values: readonly FieldValue[],
): ResolvedSampling {
  if (t.recordSampling) {
    const rate = rateOf(t.fields, values);
    if (rate > 0) return resolved(rate, 'record');
  }
  const dkey = `${t.version}:${t.domain}`;
  if (t.samplerIdIndex >= 0) {
    const v = values[t.samplerIdIndex];
    if (typeof v === 'number') {
      const rate = table.bySampler.get(`${dkey}:${v}`);
      if (rate !== undefined) return resolved(rate, 'options');
    }
  }
  const rate = table.byDomain.get(dkey);
  return rate !== undefined ? resolved(rate, 'options') : NO_SAMPLING;
}
