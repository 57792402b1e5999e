/**
 * Discovery as a scheduled job inside serve (registered after the tier jobs, on the aggregation's
 * interval or its own): each run discovers the aggregate windows aggregated since the last run, as the
 * discovery watermark kept in the store says (settings key discovered_until), so a restart resumes where
 * the last run stopped. Windows re-aggregated for late flows (TierJobs' onReaggregated) have their days
 * discovered again. Nothing to do: a run returns null.
 */
import { DAY_MS, dayStart } from '../core/rules.js';
import { StoredNumberSet } from '../core/stored-set.js';
import type { FlowStore } from '../storage/port.js';

import {
  DEFAULT_DISCOVERY_WINDOW_MS,
  type DiscoverOptions,
  type DiscoverReport,
  discoverRange,
  markIdle,
} from './discover.js';
import type { InferOptions } from './infer.js';

/** Settings key: every aggregate window before this instant (epoch ms, decimal text) was discovered. */
export const DISCOVERED_UNTIL_KEY = 'discovered_until';
/** Settings key: days re-aggregated for late flows that discovery has yet to examine again (JSON array). */
export const LATE_DAYS_KEY = 'discovery_late_days';
/** Bound on remembered late days (a year); beyond it the oldest are dropped. */
const MAX_LATE_DAYS = 366;
export const DEFAULT_IDLE_AFTER_MS = 7 * DAY_MS;

export interface DiscoveryJobOptions {
  store: FlowStore;
  everyMs: number;
  windowMs?: number;
  /** An edge not seen for this long (in data time) is marked idle. Default 7 days. */
  idleAfterMs?: number;
  /** DiscoverOptions.maxConversations (config deps.maxConversations). */
  maxConversations?: number;
  infer?: InferOptions;
}

/** Structurally the scheduler's Job (deps/ does not import jobs/). */
export interface DiscoveryJobSpec {
  name: string;
  everyMs: number;
  run(signal: AbortSignal): Promise<Record<string, unknown> | null>;
}

export class DiscoveryJob {
  /** Kept in the store too: a restart before the next run still examines them. */
  private readonly lateDays: StoredNumberSet;

  constructor(private readonly opts: DiscoveryJobOptions) {
    this.lateDays = new StoredNumberSet(opts.store, LATE_DAYS_KEY, MAX_LATE_DAYS);
  }

  job(): DiscoveryJobSpec {
    return { name: 'discover', everyMs: this.opts.everyMs, run: (s) => this.run(s) };
  }

  /** Windows re-aggregated because late flows reached them: their days are discovered again. */
  noteReaggregated(windows: readonly number[]): Promise<void> {
    for (const w of windows) this.lateDays.add(dayStart(w));
    return this.lateDays.save();
  }

  async run(signal: AbortSignal): Promise<Record<string, unknown> | null> {
    const { store } = this.opts;
    const { aggregatedUntil } = await store.tierState();
    if (aggregatedUntil === null) return null;
    const windowMs = this.opts.windowMs ?? DEFAULT_DISCOVERY_WINDOW_MS;
    const text = await store.getSetting(DISCOVERED_UNTIL_KEY);
    const done = text === null ? null : Number(text);
    const { maxConversations } = this.opts;
    const options: DiscoverOptions = { infer: this.opts.infer, windowMs, maxConversations, signal };
    const summary: Record<string, unknown> = {};
    const leftOut = { conversations: 0, bytes: 0 };
    const count = (r: DiscoverReport) => {
      leftOut.conversations += r.leftOut;
      leftOut.bytes += r.leftOutBytes;
    };
    if (done === null || aggregatedUntil > done) {
      // First run: the last window's worth; after downtime: everything since the watermark.
      const from = done ?? aggregatedUntil - windowMs;
      const r = await discoverRange(store, from, aggregatedUntil, options);
      if (signal.aborted) return { cancelled: true };
      count(r);
      await store.putSetting(DISCOVERED_UNTIL_KEY, String(aggregatedUntil));
      Object.assign(summary, {
        until: new Date(aggregatedUntil).toISOString(),
        edges: r.edges,
        newEdges: r.newEdges,
        corrections: r.corrections,
        dailyRows: r.dailyRows,
      });
    }
    await this.lateDays.ready();
    const late = this.lateDays.sorted().filter((d) => done !== null && d < done);
    let lateDays = 0;
    for (const d of late) {
      if (signal.aborted) break;
      count(await discoverRange(store, d, d + DAY_MS, options));
      this.lateDays.delete(d); // only once done: a failed run retries it
      lateDays++;
    }
    for (const d of this.lateDays.sorted()) if (done === null || d >= done) this.lateDays.delete(d); // covered above
    await this.lateDays.save();
    const idle = await markIdle(store, aggregatedUntil, this.opts.idleAfterMs ?? DEFAULT_IDLE_AFTER_MS);
    if (Object.keys(summary).length === 0 && lateDays === 0 && idle === 0) return null;
    return {
      ...summary,
      ...(lateDays ? { lateDays } : {}),
      ...(idle ? { idle } : {}),
      ...(leftOut.conversations > 0
        ? {
            conversationsLeftOut: leftOut.conversations,
            bytesLeftOut: leftOut.bytes,
            warning: `more conversations than deps.maxConversations (${maxConversations}): the lightest were left out of discovery`,
          }
        : {}),
    };
  }
}
