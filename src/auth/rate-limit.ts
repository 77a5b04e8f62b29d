// Failed-login limiter per client IP: a sliding window of failure times. Once `limit` failures
// fall inside the window, further attempts are refused until the oldest one ages out. An attempt
// counts as a failure from the moment it starts (password checks are slow, and parallel attempts
// must not all pass the check before the first one fails); a success takes its entry back.
const MAX_TRACKED = 10_000;

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

  /** Counts an attempt now; returns a token to `succeeded()` if it turns out right. */
  attempt(ip: string, now = Date.now()): number {
    const recent = this.prune(ip, now);
    recent.push(now);
    this.failures.set(ip, recent);
    if (this.failures.size > MAX_TRACKED) this.sweep(now);
    return now;
  }

  /** The attempt made at `token` succeeded: it no longer counts against the client. */
  succeeded(ip: string, token: number): void {
    const recent = this.failures.get(ip);
    const i = recent?.indexOf(token) ?? -1;
    if (recent && i >= 0) recent.splice(i, 1);
  }

  /** Forgets clients whose failures have all aged out (keeps the map from growing without bound). */
  private sweep(now: number): void {
    for (const ip of [...this.failures.keys()]) this.prune(ip, now);
  }

  private prune(ip: string, now: number): number[] {
    const recent = (this.failures.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, recent);
    return recent;
  }
}
