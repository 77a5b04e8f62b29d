// A logged-in user typing their password again before a drastic action (a restore). Wrong passwords
// count against the same per-client limiter as failed logins, so confirming is no second door to guess
// passwords through.
import type { LoginRateLimiter } from "./rate-limit.ts";
import type { UserStore } from "./users.ts";

export type Confirmation = { ok: true } | { ok: false; retryAfter: number };

/** `retryAfter` > 0: the client must wait (nothing was checked); 0: the password was wrong. */
export async function confirmPassword(users: UserStore, limiter: LoginRateLimiter, userId: number, password: string, client: string): Promise<Confirmation> {
  const wait = limiter.retryAfter(client);
  if (wait > 0) return { ok: false, retryAfter: wait };
  const attempt = limiter.attempt(client);
  if (!(await users.confirm(userId, password))) return { ok: false, retryAfter: 0 };
  limiter.succeeded(client, attempt);
  return { ok: true };
}
