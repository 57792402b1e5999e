/**
 * Deterministic pseudo-random numbers for the synthetic exporter: the same seed gives the same flows and the
 * same bytes on every machine, so a test or a load run can be replayed exactly. Algorithm: mulberry32 (a
 * 32-bit state, one multiply-xorshift round per draw); fast and plenty for traffic shapes, not for crypto.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** An item chosen with probability proportional to its weight. */
  weighted<T extends { weight: number }>(items: readonly T[]): T {
    let total = 0;
    for (const it of items) total += it.weight;
    let x = this.float() * total;
    for (const it of items) {
      x -= it.weight;
      if (x < 0) return it;
    }
    return items[items.length - 1];
  }

  /**
   * Heavy-tailed integer in [lo, hi]: most values small, a few large (flow sizes on real networks are
   * roughly Pareto distributed). `shape` > 1 makes the tail lighter.
   */
  pareto(lo: number, hi: number, shape = 1.2): number {
    const u = 1 - this.float(); // (0, 1]
    const v = Math.floor(lo / u ** (1 / shape));
    return Math.min(v, hi);
  }
}
