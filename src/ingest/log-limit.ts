/**
 * Rate limit for per-datagram log lines: at most `perInterval` lines per key per interval; the next line after
 * a quiet period says how many were suppressed. Keeps the log quiet under a flood of bad datagrams.
 */
export class LogLimiter {
  private readonly state = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 60_000,
    private readonly perInterval = 5,
  ) {}

  /** Returns null to stay quiet, or the number of lines suppressed since the last one logged. */
  allow(key: string, now = Date.now()): number | null {
    let s = this.state.get(key);
    if (!s || now - s.start >= this.intervalMs) {
      const suppressed = s?.suppressed ?? 0;
      if (this.state.size > 10_000) this.state.clear();
      s = { start: now, count: 0, suppressed: 0 };
      this.state.set(key, s);
      s.count++;
      return suppressed;
    }
    if (s.count < this.perInterval) {
      s.count++;
      return 0;
    }
    s.suppressed++;
    return null;
  }
}
