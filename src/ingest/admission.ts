import { AddressSet } from './address.js';

export type AdmissionVerdict = 'ok' | 'not_allowed' | 'rate_limited';

export interface AdmissionOptions {
  /** Addresses / CIDRs; empty admits every exporter. */
  allow: readonly string[];
  /** Datagrams per second per exporter; 0 = unlimited. */
  rateLimit: number;
  /** Bucket size in datagrams; 0 = one second's worth. */
  rateBurst?: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * Who may send: the allow-list, then a token bucket per exporter (refilled continuously at `rateLimit`/s).
 * `now` comes from the caller (the receive time), so this stays testable without a clock.
 */
export class Admission {
  private readonly allow: AddressSet | null;
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;

  constructor(private readonly opts: AdmissionOptions) {
    this.allow = opts.allow.length ? new AddressSet(opts.allow) : null;
    this.burst = opts.rateBurst || opts.rateLimit;
  }

  isAllowed(exporter: string): boolean {
    return !this.allow || this.allow.has(exporter);
  }

  check(exporter: string, now: number): AdmissionVerdict {
    if (this.allow && !this.allow.has(exporter)) return 'not_allowed';
    const rate = this.opts.rateLimit;
    if (rate <= 0) return 'ok';
    let b = this.buckets.get(exporter);
    if (!b) {
      // Bounded: only admitted exporters get a bucket; an absurd number of them resets the table.
      if (this.buckets.size >= 100_000) this.buckets.clear();
      b = { tokens: this.burst, last: now };
      this.buckets.set(exporter, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) * rate) / 1000);
    b.last = now;
    if (b.tokens < 1) return 'rate_limited';
    b.tokens -= 1;
    return 'ok';
  }
}
