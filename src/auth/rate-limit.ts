// Failed-login limiter per client IP: a sliding window of failure times. Once `limit` failures
// fall inside the window, further attempts are refused until the oldest one ages out.
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    readonly limit = 5,
    readonly windowMs = 60_000,
  ) {}

  /** Seconds the client must wait, or 0 when it may try now. */
  retryAfter(ip: string, now = Date.now()): number {
    const recent = this.prune(ip, now);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000));
  }

  recordFailure(ip: string, now = Date.now()): void {
    const recent = this.prune(ip, now);
    recent.push(now);
    this.failures.set(ip, recent);
  }

  private prune(ip: string, now: number): number[] {
    const recent = (this.failures.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, recent);
    return recent;
  }
}
